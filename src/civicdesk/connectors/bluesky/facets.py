"""Rich-text facets (links and hashtags) found in a post's text, as the Bluesky app finds them.

The rules are those of ``detectFacets`` in ``@atproto/api`` (``rich-text/detection.ts`` and
``util.ts``), so a post published from Civic Desk links the same words as one typed in the app:

- a hashtag starts with ``#`` or ``＃`` at the start of the text or after whitespace, runs to the
  next whitespace or invisible separator, must hold one character that is neither a digit nor
  punctuation, loses its trailing punctuation, and is at most 64 graphemes long;
- a link starts with ``http://`` or ``https://`` at the start of a line, after whitespace or after
  ``(``, and loses one trailing ``.,;:!?`` and then a ``)`` that closes nothing.

Offsets count UTF-8 bytes (``byteStart`` inclusive, ``byteEnd`` exclusive), as the facet lexicon
requires. Mentions are not detected: a mention facet needs the handle resolved to a DID. Bare
domains (``elm.gov``) are not linked either: the app checks them against its list of top-level
domains.
"""

from __future__ import annotations

from typing import Any

import regex

# JavaScript's \s, which the app's patterns use; Python's differs (\x1c-\x1f, \x85, U+FEFF).
_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Characters the app treats as the end of a tag although they are not whitespace.
_INVISIBLE = r"\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_TAG = regex.compile(
    rf"(^|[{_SPACE}])[#＃]((?!\ufe0f)[^{_SPACE}{_INVISIBLE}]*"
    rf"[^0-9{_SPACE}\p{{P}}{_INVISIBLE}]+[^{_SPACE}{_INVISIBLE}]*)?",
    regex.VERSION1,
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
_LINK = regex.compile(
    rf"(^|[{_SPACE}]|\()((https?://[^{_SPACE}]+)|([a-z][a-z0-9]*(\.[a-z0-9]+)+[^{_SPACE}]*))",
    regex.IGNORECASE | regex.MULTILINE | regex.VERSION1,
)
MAX_TAG_GRAPHEMES = 64
LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"


def facets_for(text: str) -> list[dict[str, Any]]:
    """The link and hashtag facets of ``text``, in the order they appear."""

    def byte_index(start: int, end: int) -> dict[str, int]:
        byte_start = len(text[:start].encode())
        return {"byteStart": byte_start, "byteEnd": byte_start + len(text[start:end].encode())}

    facets: list[dict[str, Any]] = []
    for match in _LINK.finditer(text):
        uri = match.group(2)
        if not uri.startswith("http"):
            continue  # a bare domain, or a scheme in capitals, which the app does not link
        start = match.start(2)
        if uri[-1] in ".,;:!?":
            uri = uri[:-1]
        if uri.endswith(")") and "(" not in uri:
            uri = uri[:-1]
        facets.append(
            {
                "index": byte_index(start, start + len(uri)),
                "features": [{"$type": LINK, "uri": uri}],
            }
        )
    for match in _TAG.finditer(text):
        if not match.group(2):
            continue
        tag = _TRAILING_PUNCTUATION.sub("", match.group(2))
        if not tag or len(regex.findall(r"\X", tag)) > MAX_TAG_GRAPHEMES:
            continue
        start = match.start(0) + len(match.group(1))
        facets.append(
            {
                "index": byte_index(start, start + 1 + len(tag)),
                "features": [{"$type": TAG, "tag": tag}],
            }
        )
    return sorted(facets, key=lambda facet: facet["index"]["byteStart"])
