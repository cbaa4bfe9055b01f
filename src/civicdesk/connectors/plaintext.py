"""Plain text from the HTML some platforms send (Mastodon ``content``, feed summaries).

The archive keeps the original HTML in ``ItemRecord.raw``; ``text`` is what staff read, search
and triage. Entities are decoded, so ``&lt;script&gt;`` becomes the literal text ``<script>``:
escaping is the job of the template that renders it, never of the connector.
"""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = frozenset(
    {"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_SILENT = frozenset({"script", "style", "template"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._silent_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SILENT:
            self._silent_depth += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SILENT:
            self._silent_depth = max(0, self._silent_depth - 1)
        elif tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self._silent_depth:
            self.parts.append(data)

    def _break(self) -> None:
        if self.parts and not "".join(self.parts[-2:]).endswith("\n\n"):
            self.parts.append("\n\n")


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: paragraphs as blank lines, ``<br>`` as newlines.

    Link text is kept whole, including Mastodon's ``invisible`` spans, so shortened links read as
    the full address.
    """
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return "".join(collector.parts).strip("\n")
