"""Turn hostile or messy social text into the bounded, plain form every signal reads."""

from __future__ import annotations

import html
import re
import unicodedata

# Social items are short; the first few thousand characters carry the signal. Anything longer
# (a pasted essay, a 100 KB attack string) is cut so that scoring time stays bounded.
MAX_CHARS = 4000
# Models read the first 1,000 characters: enough for any social post, and it bounds the
# n-gram count per item.
MODEL_CHARS = 1000

# Zero-width and bidirectional control characters are invisible; attackers use them to split
# words ("k\u200bill") or to reverse how text is shown. They never carry meaning for triage.
_INVISIBLE = dict.fromkeys(
    [
        *range(0x200B, 0x2010),  # zero-width space/joiners, LRM, RLM
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        *range(0x2060, 0x2070),  # word joiner, invisible operators, LRI/RLI/FSI/PDI
        0x00AD,  # soft hyphen
        0xFEFF,  # byte-order mark / zero-width no-break space
        0x180E,  # Mongolian vowel separator
    ]
)
_TAG = re.compile(r"<[^>]{0,200}>")
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|ly|co|info|biz|me|io)/\S*", re.I
)
_MENTION = re.compile(r"@\w{1,30}")
_REPEAT = re.compile(r"(\S)\1{2,}")
_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Return text with markup, invisible characters and excess length removed.

    Case is kept: rules for PII and questions read capitals. Never raises on str input.
    """
    if not isinstance(text, str):
        text = str(text)
    text = text[: MAX_CHARS * 2]
    text = html.unescape(text)
    text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_INVISIBLE)
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    return _SPACE.sub(" ", text).strip()[:MAX_CHARS]


def model_text(cleaned: str) -> str:
    """Return the lower-cased form that n-gram models read.

    Links and account handles become placeholder words so that a model learns "has a link"
    instead of memorising one domain, and long letter runs ("soooo") fold to two letters.
    """
    text = _URL.sub(" httpurl ", cleaned[:MODEL_CHARS])
    text = _MENTION.sub(" @user ", text)
    text = _REPEAT.sub(r"\1\1", text.lower())
    return _SPACE.sub(" ", text).strip()
