"""What Facebook's and Instagram's "Download your information" JSON exports have in common.

- Text is UTF-8 whose bytes were written as ``\\u00XX`` escapes, one per byte ("mojibake"):
  ``é`` arrives as ``\\u00c3\\u00a9``. :func:`repair_text` turns it back.
- Entries have no platform ids. :func:`entry_id` makes one from the entry's time and a hash of
  its words and media, so the same export (or an overlapping later one) maps every entry to the
  same item. An edited post in a later export therefore becomes a new item, not a new version.
- Times are seconds since 1970 (``timestamp``, ``creation_timestamp``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def repair_text(text: str) -> str:
    """The text the person wrote, from Meta's byte-per-character escaping."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        # Not mojibake after all (a character above U+00FF, or bytes that are not UTF-8).
        return text


def entry_id(prefix: str, timestamp: int | float, parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return f"{prefix}-{int(timestamp)}-{digest.hexdigest()[:16]}"
