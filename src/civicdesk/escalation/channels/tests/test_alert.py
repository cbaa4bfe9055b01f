from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from civicdesk.escalation.channels.alert import (
    clean,
    email_html,
    email_subject,
    email_text,
    encode,
    is_gsm,
    json_payload,
    slack_payload,
    sms_text,
    teams_payload,
    truncate,
)

from .factories import HOSTILE, make_alert

HUGE = "word " * 20_000 + "<!channel>" * 2_000
INVISIBLE = ["\u202e", "\u2066", "\u200b", "\x00", "\x07", "\x1b", "\ud800"]


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: dict[str, str] = {}
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self._href = dict(attrs)["href"] or ""

    def handle_data(self, data: str) -> None:
        if self._href and data.strip():
            self.links[data.strip()] = self._href
            self._href = ""


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def hostile_alert():
    return make_alert(
        one_line=HOSTILE,
        reason=HOSTILE,
        text=HOSTILE,
        thread=((HOSTILE, HOSTILE),),
        account=HOSTILE,
        platform=HOSTILE,
        incident_ref="Incident 42",
    )


def huge_alert():
    return make_alert(
        one_line=HUGE,
        reason=HUGE,
        text=HUGE,
        thread=tuple((HUGE, HUGE) for _ in range(50)),
        account=HUGE,
        platform=HUGE,
    )


class TestAlert:
    @pytest.mark.parametrize("field", ["item_url", "ack_url", "short_ack_url"])
    @pytest.mark.parametrize(
        "url",
        [
            "/escalation/ack/42",
            "javascript:alert(1)",
            "https://",
            "https://cd.example/a\nBcc: x@example.org",
            "https://cd.example/\u202egnp.exe",
        ],
    )
    def test_it_refuses_a_url_that_is_not_absolute(self, field, url) -> None:
        with pytest.raises(ValueError, match=f"Alert.{field} must be an absolute http"):
            make_alert(**{field: url})

    def test_it_needs_an_idempotency_key(self) -> None:
        with pytest.raises(ValueError, match="idempotency_key must not be empty"):
            make_alert(idempotency_key="")


class TestClean:
    def test_it_removes_bidi_and_control_characters(self) -> None:
        assert clean("a\u202eb\u2066c\u2069\x00d\u200be", 100) == "abcde"

    def test_long_text_is_cut_at_a_word_boundary(self) -> None:
        assert clean("the quick brown fox jumps", 15) == "the quick…"

    def test_a_huge_string_comes_back_short(self) -> None:
        cleaned = clean("x" * 50_000_000, 100)
        assert len(cleaned) == 100
        assert cleaned.endswith("…")

    def test_single_line_joins_lines(self) -> None:
        assert clean("one\r\ntwo\u2028three\n\n\nfour", 100, single_line=True) == (
            "one two three four"
        )

    def test_truncate_leaves_short_text_alone(self) -> None:
        assert truncate("short", 10) == "short"


class TestEmail:
    def test_the_text_part_reads_top_to_bottom(self) -> None:
        text = email_text(make_alert())
        assert text.splitlines()[0] == (
            "Incident 42: Possible threat on Lincoln Middle's Facebook: 'someone should …'"
        )
        assert (
            "Acknowledge (the link works once): https://cd.example/escalation/ack/42/abc.def-ghi"
            in text
        )
        assert "Why it was flagged: Threat of violence against a school" in text
        assert (
            "What was posted on Lincoln Middle (Facebook):\n> someone should do something" in text
        )
        assert "- Pat Parent: Pickup is at 3 today?\n- Lincoln Middle: Yes, 3:00 as usual." in text
        assert text.rstrip().endswith("View the item: https://cd.example/inbox/items/314")

    def test_the_html_part_has_headings_and_a_visible_acknowledge_link(self) -> None:
        html = email_html(make_alert())
        tags = parse(html)
        assert tags.tags.count("h1") == 1
        assert tags.tags.count("h2") == 3
        assert tags.links == {
            "Acknowledge this alert": "https://cd.example/escalation/ack/42/abc.def-ghi",
            "View the item": "https://cd.example/inbox/items/314",
        }
        assert '<html lang="en">' in html
        assert "<h2>Why it was flagged</h2>" in html

    def test_hostile_text_is_escaped_in_html(self) -> None:
        html = email_html(hostile_alert())
        assert set(parse(html).tags) <= {
            "html", "head", "meta", "title", "body", "h1", "h2", "p", "a", "blockquote", "ol",
            "li", "strong", "br",
        }  # fmt: skip
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&amp;amp;" in html
        assert not any(char in html for char in INVISIBLE)
        html.encode()

    def test_hostile_text_has_no_invisible_characters_in_the_text_part(self) -> None:
        text = email_text(hostile_alert())
        assert not any(char in text for char in INVISIBLE)
        assert "<script>alert(1)</script>" in text

    def test_the_subject_is_one_short_line(self) -> None:
        subject = email_subject(make_alert(one_line="line one\nBcc: everyone@example.org " * 20))
        assert "\n" not in subject
        assert len(subject) <= 150

    def test_huge_text_makes_a_bounded_e_mail(self) -> None:
        alert = huge_alert()
        assert len(email_text(alert)) < 10_000
        assert len(email_html(alert)) < 40_000
        assert "…" in email_text(alert)


class TestSms:
    def test_it_is_the_one_line_and_the_short_link(self) -> None:
        assert sms_text(make_alert()) == (
            "Possible threat on Lincoln Middle's Facebook: 'someone should ...' "
            "https://cd.example/a/Xy12"
        )

    def test_typographic_punctuation_is_made_gsm(self) -> None:
        text = sms_text(make_alert(one_line="“Quoted” – it’s here…"))
        assert text.startswith('"Quoted" - it\'s here...')
        assert is_gsm(text) is True

    def test_a_long_line_is_cut_at_a_word_and_keeps_the_link(self) -> None:
        text = sms_text(make_alert(one_line="threat " * 100))
        assert len(text) <= 320
        assert text.endswith("threat... https://cd.example/a/Xy12")

    def test_text_outside_gsm_keeps_its_characters_and_uses_one_ellipsis(self) -> None:
        text = sms_text(make_alert(one_line="угроза " * 100))
        assert len(text) <= 320
        assert text.endswith("угроза… https://cd.example/a/Xy12")
        assert is_gsm(text) is False

    def test_hostile_text_is_one_clean_line(self) -> None:
        text = sms_text(hostile_alert())
        assert "\n" not in text
        assert not any(char in text for char in INVISIBLE)
        assert len(text) <= 320

    def test_a_huge_line_still_fits(self) -> None:
        assert len(sms_text(huge_alert())) <= 320


def mrkdwn_texts(payload):
    texts = [payload["text"]]
    for block in payload["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
    return texts


class TestSlack:
    def test_it_has_blocks_and_a_fallback_text(self) -> None:
        payload = slack_payload(make_alert())
        assert payload["text"] == (
            "Incident 42: Possible threat on Lincoln Middle's Facebook: 'someone should …'"
        )
        assert [block["type"] for block in payload["blocks"]] == [
            "header", "section", "section", "section", "section", "actions",
        ]  # fmt: skip
        buttons = payload["blocks"][-1]["elements"]
        assert [(b["text"]["text"], b["url"]) for b in buttons] == [
            ("Acknowledge", "https://cd.example/escalation/ack/42/abc.def-ghi"),
            ("View the item", "https://cd.example/inbox/items/314"),
        ]
        assert (
            "> someone should do something about that school tomorrow"
            in (payload["blocks"][3]["text"]["text"])
        )

    def test_hostile_text_cannot_mention_or_link(self) -> None:
        payload = slack_payload(hostile_alert())
        for text in mrkdwn_texts(payload):
            assert "<" not in text
            assert ">" not in text.replace("\n> ", "\n").removeprefix("> ")
            assert "&lt;!channel&gt;" in text
            assert "@here" not in text
            assert "@channel" not in text
            assert "@everyone" not in text
            assert "@\u2060here" in text
            assert not any(char in text for char in INVISIBLE)
        assert all(
            block["text"].get("verbatim") is True
            for block in payload["blocks"]
            if block["type"] == "section"
        )

    def test_huge_text_stays_within_slack_limits(self) -> None:
        payload = slack_payload(huge_alert())
        for block in payload["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
        assert len(payload["blocks"][0]["text"]["text"]) <= 150
        assert len(encode(payload)) < 40_000


class TestTeams:
    def test_it_is_an_adaptive_card_in_the_envelope_teams_expects(self) -> None:
        payload = teams_payload(make_alert())
        assert payload["type"] == "message"
        [attachment] = payload["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert card["type"] == "AdaptiveCard"
        assert [(a["type"], a["title"], a["url"]) for a in card["actions"]] == [
            ("Action.OpenUrl", "Acknowledge", "https://cd.example/escalation/ack/42/abc.def-ghi"),
            ("Action.OpenUrl", "View the item", "https://cd.example/inbox/items/314"),
        ]
        headings = [b["text"] for b in card["body"] if b.get("style") == "heading"]
        assert headings == ["Why it was flagged", "What was posted", "Conversation so far"]

    def test_hostile_text_only_appears_in_text_runs(self) -> None:
        card = teams_payload(hostile_alert())["attachments"][0]["content"]
        for block in card["body"]:
            if block["type"] == "TextBlock":
                assert "<" not in block["text"]
        runs = [
            run["text"]
            for b in card["body"]
            if b["type"] == "RichTextBlock"
            for run in b["inlines"]
        ]
        assert any("[click](https://evil.example)" in run for run in runs)
        assert not any(char in json.dumps(card) for char in INVISIBLE)

    def test_huge_text_keeps_the_card_under_the_teams_size_limit(self) -> None:
        assert len(encode(teams_payload(huge_alert()))) < 28_000


class TestJson:
    def test_it_carries_the_alert_as_plain_fields(self) -> None:
        assert json_payload(make_alert()) == {
            "event": "escalation.alert",
            "incident": "Incident 42",
            "one_line": "Possible threat on Lincoln Middle's Facebook: 'someone should …'",
            "reason": "Threat of violence against a school",
            "text": "someone should do something about that school tomorrow",
            "thread": [
                {"author": "Pat Parent", "text": "Pickup is at 3 today?"},
                {"author": "Lincoln Middle", "text": "Yes, 3:00 as usual."},
            ],
            "account": "Lincoln Middle",
            "platform": "Facebook",
            "urls": {
                "item": "https://cd.example/inbox/items/314",
                "acknowledge": "https://cd.example/escalation/ack/42/abc.def-ghi",
                "acknowledge_short": "https://cd.example/a/Xy12",
            },
            "idempotency_key": "incident-42-contact-7-step-1",
            "timestamp": "2025-03-04T15:30:00Z",
        }

    def test_hostile_text_is_valid_json_without_invisible_characters(self) -> None:
        body = encode(json_payload(hostile_alert()))
        decoded = json.loads(body)
        assert "<script>alert(1)</script>" in decoded["text"]
        assert not any(char in body.decode() for char in INVISIBLE)

    def test_only_the_last_few_messages_of_the_thread_are_sent(self) -> None:
        thread = tuple((f"user{n}", f"message {n}") for n in range(20))
        payload = json_payload(make_alert(thread=thread))
        assert [m["author"] for m in payload["thread"]] == [f"user{n}" for n in range(15, 20)]

    def test_huge_text_makes_a_bounded_body(self) -> None:
        assert len(encode(json_payload(huge_alert()))) < 20_000
