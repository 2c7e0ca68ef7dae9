"""Helpers for reading the PDFs the builders return, as a reader (or a checker) would."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pypdf
import pytest
from pypdf.generic import DictionaryObject

BASE_14 = {
    "Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique",
    "Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique",
    "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic", "Symbol", "ZapfDingbats",
}  # fmt: skip


@dataclass
class ReadPdf:
    """A built PDF opened with pypdf.

    Attributes:
        reader: the pypdf reader.
        pages: each page's extracted text, non-breaking spaces read as spaces.
    """

    reader: pypdf.PdfReader
    pages: list[str]

    @property
    def text(self) -> str:
        """All pages' text, one after the other."""
        return "\n".join(self.pages)

    @property
    def flat(self) -> str:
        """All text with every run of whitespace made one space, so wrapped lines still match."""
        return " ".join(self.text.split())

    def font_sizes(self) -> Counter[float]:
        """Characters drawn at each point size, as a reader sees them on the page."""
        sizes: Counter[float] = Counter()

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            if text.strip():
                sizes[round(size * abs(tm[3]) * abs(cm[3]), 1)] += len(text.strip())

        for page in self.reader.pages:
            page.extract_text(visitor_text=visit)
        return sizes

    def fonts(self) -> list[DictionaryObject]:
        """Every font dictionary named in any page's resources."""
        found = []
        for page in self.reader.pages:
            resources = page["/Resources"].get_object()
            for ref in resources.get("/Font", {}).values():
                found.append(ref.get_object())
        return found

    def font_problems(self) -> list[str]:
        """Fonts a printer or another computer could substitute: base-14 or not embedded.

        Also flags fonts without a ToUnicode map, whose text could not be copied or searched.
        """
        problems = []
        fonts = self.fonts()
        if not fonts:
            problems.append("no fonts at all")
        for font in fonts:
            name = str(font["/BaseFont"]).lstrip("/")
            if name.split("+")[-1] in BASE_14:
                problems.append(f"{name} is a base-14 font")
            descriptor = font.get("/FontDescriptor")
            if descriptor is None or "/FontFile2" not in descriptor.get_object():
                problems.append(f"{name} is not embedded")
            if "/ToUnicode" not in font:
                problems.append(f"{name} has no ToUnicode map")
        return problems

    def font_names(self, page: int) -> set[str]:
        """Base font names on one page, subset prefix removed ("DejaVuSans")."""
        resources = self.reader.pages[page]["/Resources"].get_object()
        return {
            str(ref.get_object()["/BaseFont"]).lstrip("/").split("+")[-1]
            for ref in resources.get("/Font", {}).values()
        }


def read(data: bytes) -> ReadPdf:
    """Open PDF bytes; fails the test if they are not a PDF."""
    assert data.startswith(b"%PDF-"), "builders must return PDF bytes"
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [page.extract_text().replace("\u00a0", " ") for page in reader.pages]
    return ReadPdf(reader=reader, pages=pages)


@pytest.fixture
def read_pdf() -> Callable[[bytes], ReadPdf]:
    """The :func:`read` helper, as a fixture so test modules need not import conftest."""
    return read
