"""One escalation alert, and how it reads in each channel.

The item's text, its reason and the thread come from strangers on social media. Every renderer
first passes them through :func:`clean` (no control or bidi characters, bounded length) and then
escapes them for its format: HTML for e-mail, ``&<>`` and broadcast mentions for Slack, TextRuns
(which Teams never reads as Markdown) for Adaptive Cards.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone

EVENT = "escalation.alert"
SMS_LIMIT = 320
ONE_LINE_LIMIT = 200
REASON_LIMIT = 500
TEXT_LIMIT = 2000
THREAD_LENGTH = 5
THREAD_TEXT_LIMIT = 300
NAME_LIMIT = 80
# Slack refuses a section whose text is longer than this, counted after escaping.
SLACK_SECTION_LIMIT = 3000
SLACK_HEADER_LIMIT = 150

# Bidi embeddings, overrides and isolates (Trojan Source), zero-width characters, soft hyphen,
# byte order mark, C0/C1 controls other than tab and newline, and lone surrogates, which cannot
# be encoded for sending.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"
)
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85]")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_BROADCAST = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)

_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = "^{}\\[~]|€\f"
_GSM = frozenset(_GSM_BASIC + _GSM_EXTENDED)
_TO_GSM = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "…": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)


@dataclass(frozen=True, slots=True)
class Alert:
    """Everything a channel needs to tell one person about one incident.

    The three URLs must be absolute http(s) addresses; anything else raises ``ValueError``.
    """

    one_line: str
    reason: str
    text: str
    thread: tuple[tuple[str, str], ...]  # the last few messages, oldest first: (author, text)
    account: str
    platform: str
    item_url: str
    ack_url: str  # signed, works once
    short_ack_url: str
    incident_ref: str
    idempotency_key: str  # the same for every try of one notification
    raised_at: datetime = field(default_factory=timezone.now)

    def __post_init__(self) -> None:
        for name in ("item_url", "ack_url", "short_ack_url"):
            url = getattr(self, name)
            parts = urlsplit(url)
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or _INVISIBLE.search(url)
                or any(char.isspace() for char in url)
            ):
                raise ValueError(f"Alert.{name} must be an absolute http(s) URL, not {url!r}.")
        if not self.idempotency_key:
            raise ValueError("Alert.idempotency_key must not be empty.")


def clean(text: str, limit: int, *, single_line: bool = False) -> str:
    """``text`` without invisible or control characters, at most ``limit`` characters long.

    Longer text is cut at a word boundary and ends with "…". With ``single_line`` every run of
    whitespace, line breaks included, becomes one space.
    """
    # Only the head can survive the cut, so a 100 MB string costs no more than a short one.
    head = text[: limit * 4]
    cleaned = _INVISIBLE.sub("", _LINE_BREAKS.sub("\n", head))
    if single_line:
        cleaned = " ".join(cleaned.split())
    else:
        cleaned = _BLANK_LINES.sub("\n\n", cleaned).strip()
    if len(head) < len(text):
        return truncate(cleaned, min(limit, len(cleaned)), force=True)
    return truncate(cleaned, limit)


def truncate(text: str, limit: int, *, ellipsis: str = "…", force: bool = False) -> str:
    """``text`` if it fits in ``limit`` characters (and ``force`` is off), else cut with ``ellipsis``.

    The cut falls at the last space when that keeps at least half of the room.
    """
    if len(text) <= limit and not force:
        return text
    room = max(0, limit - len(ellipsis))
    cut = text[:room]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= room // 2 and room > 0:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def _thread(alert: Alert) -> list[tuple[str, str]]:
    return [
        (
            clean(author, NAME_LIMIT, single_line=True) or "Someone",
            clean(said, THREAD_TEXT_LIMIT, single_line=True),
        )
        for author, said in alert.thread[-THREAD_LENGTH:]
    ]


def _heading(alert: Alert) -> str:
    ref = clean(alert.incident_ref, NAME_LIMIT, single_line=True)
    return f"{ref}: {clean(alert.one_line, ONE_LINE_LIMIT, single_line=True)}"


def _where(alert: Alert) -> str:
    account = clean(alert.account, NAME_LIMIT, single_line=True)
    return f"{account} ({clean(alert.platform, NAME_LIMIT, single_line=True)})"


def email_subject(alert: Alert) -> str:
    return clean(alert.one_line, 150, single_line=True) or "Escalation alert"


def email_text(alert: Alert) -> str:
    """The plain-text part of the alert e-mail."""
    lines = [
        _heading(alert),
        "",
        f"Acknowledge (the link works once): {alert.ack_url}",
        "",
        f"Why it was flagged: {clean(alert.reason, REASON_LIMIT, single_line=True)}",
        "",
        f"What was posted on {_where(alert)}:",
        *(f"> {line}" for line in clean(alert.text, TEXT_LIMIT).splitlines()),
    ]
    thread = _thread(alert)
    if thread:
        lines += ["", "Conversation so far:", *(f"- {who}: {said}" for who, said in thread)]
    lines += ["", f"View the item: {alert.item_url}", ""]
    return "\n".join(lines)


def email_html(alert: Alert) -> str:
    """The HTML part of the alert e-mail: headings, a visible link, nothing told by colour."""
    e = html.escape
    text = "<br>\n".join(e(line) for line in clean(alert.text, TEXT_LIMIT).splitlines())
    thread = "".join(
        f'<li dir="auto"><strong>{e(who)}</strong>: {e(said)}</li>\n'
        for who, said in _thread(alert)
    )
    thread_part = f"<h2>Conversation so far</h2>\n<ol>\n{thread}</ol>\n" if thread else ""
    button = (
        "display:inline-block;padding:0.6em 1.2em;border:2px solid #1a1a1a;"
        "color:#1a1a1a;background:#ffffff;font-weight:bold;text-decoration:underline"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(email_subject(alert))}</title>\n</head>\n"
        '<body style="font-family:sans-serif;line-height:1.5;max-width:40em">\n'
        f'<h1 style="font-size:1.3em" dir="auto">{e(_heading(alert))}</h1>\n'
        f'<p><a href="{e(alert.ack_url)}" style="{button}">Acknowledge this alert</a></p>\n'
        "<p>The link works once.</p>\n"
        "<h2>Why it was flagged</h2>\n"
        f'<p dir="auto">{e(clean(alert.reason, REASON_LIMIT, single_line=True))}</p>\n'
        f"<h2>What was posted on {e(_where(alert))}</h2>\n"
        f'<blockquote dir="auto">{text}</blockquote>\n'
        f"{thread_part}"
        f'<p><a href="{e(alert.item_url)}">View the item</a></p>\n'
        "</body>\n</html>\n"
    )


def is_gsm(text: str) -> bool:
    """Whether ``text`` fits the GSM 03.38 alphabet, so a segment holds 160 characters, not 70."""
    return all(char in _GSM for char in text)


def sms_text(alert: Alert) -> str:
    """The one line and the short acknowledge link, at most ``SMS_LIMIT`` characters."""
    line = clean(alert.one_line, ONE_LINE_LIMIT * 2, single_line=True)
    link = alert.short_ack_url
    gsm_line = line.translate(_TO_GSM)
    # One character outside GSM makes the whole message UCS-2: keep the ellipsis GSM as well.
    if is_gsm(gsm_line + link):
        line, ellipsis = gsm_line, "..."
    else:
        ellipsis = "…"
    return f"{truncate(line, SMS_LIMIT - len(link) - 1, ellipsis=ellipsis)} {link}"


def _slack_escape(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A word joiner after the @ keeps "@here" readable but no longer a mention of everyone.
    return _BROADCAST.sub("@\u2060", escaped)


def _slack_fit(text: str, limit: int, *, quote: bool = False) -> str:
    """``text`` escaped for mrkdwn (and quoted), cut so that the result fits in ``limit``."""

    def render(text: str) -> str:
        escaped = _slack_escape(text)
        return "\n".join(f"> {line}" for line in escaped.splitlines()) if quote else escaped

    rendered = render(text)
    while len(rendered) > limit:
        text = truncate(text, max(1, len(text) - (len(rendered) - limit) - 1))
        rendered = render(text)
    return rendered


def _slack_section(title: str, body: str, *, quote: bool = False) -> dict[str, Any]:
    room = SLACK_SECTION_LIMIT - len(title) - 1
    text = f"{title}\n{_slack_fit(body, room, quote=quote)}"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def slack_payload(alert: Alert) -> dict[str, Any]:
    """A Slack incoming-webhook message: Block Kit blocks and the ``text`` notifications show."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clean(alert.incident_ref, SLACK_HEADER_LIMIT, single_line=True) or "Alert",
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{_slack_fit(clean(alert.one_line, ONE_LINE_LIMIT, single_line=True), 400)}*",
                "verbatim": True,
            },
        },
        _slack_section("*Why it was flagged*", clean(alert.reason, REASON_LIMIT, single_line=True)),
        _slack_section(
            f"*What was posted on {_slack_escape(_where(alert))}*",
            clean(alert.text, TEXT_LIMIT),
            quote=True,
        ),
    ]
    thread = _thread(alert)
    if thread:
        said = "\n".join(f"• {who}: {text}" for who, text in thread)
        blocks.append(_slack_section("*Conversation so far*", said))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Acknowledge"},
                    "url": alert.ack_url,
                    "style": "primary",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "View the item"},
                    "url": alert.item_url,
                },
            ],
        }
    )
    return {"text": _slack_fit(_heading(alert), 400), "blocks": blocks}


def _plain_run(text: str, **style: Any) -> dict[str, Any]:
    # A TextRun is never read as Markdown, so "[click](http://…)" stays literal text.
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def _card_heading(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "style": "heading", "wrap": True}


def teams_payload(alert: Alert) -> dict[str, Any]:
    """A Teams incoming-webhook message: one Adaptive Card in the ``attachments`` envelope."""
    body: list[dict[str, Any]] = [
        _plain_run(clean(alert.incident_ref, NAME_LIMIT, single_line=True), weight="Bolder"),
        _plain_run(
            clean(alert.one_line, ONE_LINE_LIMIT, single_line=True), size="Large", weight="Bolder"
        ),
        _card_heading("Why it was flagged"),
        _plain_run(clean(alert.reason, REASON_LIMIT, single_line=True)),
        _card_heading("What was posted"),
        _plain_run(f"On {_where(alert)}:", isSubtle=True),
        _plain_run(clean(alert.text, TEXT_LIMIT)),
    ]
    thread = _thread(alert)
    if thread:
        body.append(_card_heading("Conversation so far"))
        body += [_plain_run(f"{who}: {said}") for who, said in thread]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": "Acknowledge", "url": alert.ack_url},
            {"type": "Action.OpenUrl", "title": "View the item", "url": alert.item_url},
        ],
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def json_payload(alert: Alert) -> dict[str, Any]:
    """The generic webhook body: the alert as plain fields, for receivers to render themselves."""
    return {
        "event": EVENT,
        "incident": clean(alert.incident_ref, NAME_LIMIT, single_line=True),
        "one_line": clean(alert.one_line, ONE_LINE_LIMIT, single_line=True),
        "reason": clean(alert.reason, REASON_LIMIT, single_line=True),
        "text": clean(alert.text, TEXT_LIMIT),
        "thread": [{"author": who, "text": said} for who, said in _thread(alert)],
        "account": clean(alert.account, NAME_LIMIT, single_line=True),
        "platform": clean(alert.platform, NAME_LIMIT, single_line=True),
        "urls": {
            "item": alert.item_url,
            "acknowledge": alert.ack_url,
            "acknowledge_short": alert.short_ack_url,
        },
        "idempotency_key": alert.idempotency_key,
        "timestamp": alert.raised_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed) for a webhook payload."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
