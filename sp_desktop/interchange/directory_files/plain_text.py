"""Descriptions arrive as HTML (HSDS allows it); advisers read and print plain text.

Paragraphs and headings stay separate paragraphs, list items become '• ' lines (numbered for
ordered lists), line breaks stay, and a link keeps its address: 'our site (https://…)'.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_LOOKS_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>")
_BLOCKS = {"p", "div", "section", "article", "header", "footer", "blockquote", "table", "tr",
           "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "pre", "address"}
_SKIP = {"script", "style", "head", "title"}


def plain_text(text: str) -> str:
    """Plain text of a description: unchanged when it holds no HTML tag."""
    if not _LOOKS_HTML.search(text):
        return text.strip()
    parser = _Flattener()
    parser.feed(text)
    parser.close()
    return parser.result()


class _Flattener(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [ordered, next number]
        self.links: list[tuple[str, int]] = []  # href, index of the first part of its text
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self._paragraph()
            if tag in ("ul", "ol"):
                self.lists.append([tag == "ol", 1])
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self._line()
            if self.lists and self.lists[-1][0]:
                self.parts.append(f"{self.lists[-1][1]}. ")
                self.lists[-1][1] += 1
            else:
                self.parts.append("• ")
        elif tag in ("td", "th", "dd"):
            self.parts.append(" ")
        elif tag == "dt":
            self._line()
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append((href.strip(), len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            self._paragraph()
        elif tag == "li":
            self._line()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.parts[start:]).strip()
            address = href[7:] if href.lower().startswith("mailto:") else href
            if address and not address.startswith("#") and address not in label:
                self.parts.append(f" ({address})" if label else address)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))

    def _line(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def _paragraph(self) -> None:
        self.parts.append("\n\n")

    def result(self) -> str:
        text = html.unescape("".join(self.parts))
        lines = [" ".join(line.split()) for line in text.split("\n")]
        joined = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", joined).strip()
