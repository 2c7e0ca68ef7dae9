"""A4 page set-up shared by every document: margins, metadata and "Page 1 of 3" footers.

Page totals are only known once the story has been laid out, so the canvas holds each finished
page back and draws footers at save time. A document can hold several sections (one per person
in a visit pack); numbering restarts at each, so every person's pages read "Page 1 of N".
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph
from reportlab.platypus.flowables import CallerMacro

from sp_desktop.pdf import fonts
from sp_desktop.pdf.styles import INK, RULE, Styles, make_style

LANGUAGE = "en-GB"
CREATOR = "SP Desktop"


@dataclass(frozen=True)
class Section:
    """Where page numbering restarts, and what the footer says on that section's pages.

    Attributes:
        footer: plain text for the left of the footer ("For Zoë Dvořák, printed 12 March 2026").
        outline: a bookmark title for the PDF viewer's sidebar, or "" for none.
        footer_size: the footer's point size on these pages; None uses the document's.
    """

    footer: str
    outline: str = ""
    footer_size: float | None = None


def section_start(section: Section) -> Flowable:
    """A zero-size marker: every page from the one it lands on belongs to ``section``."""
    return CallerMacro(drawCallable=lambda flowable: flowable.canv.sp_start_section(section))


class _PagedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type information
    """A canvas that keeps pages until the end so footers can say "Page 1 of 3".

    Attributes:
        styles: the document's styles (footer size, margins).
    """

    def __init__(self, *args: Any, styles: Styles, page_labels: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.styles = styles
        self._page_labels = page_labels
        self._held: list[dict[str, Any]] = []
        self._sections: list[Section] = []
        self._section_of_page: list[int] = []
        self._pending: Section | None = None

    def sp_start_section(self, section: Section) -> None:
        """Called by a :func:`section_start` marker when it is drawn."""
        self._pending = section

    def showPage(self) -> None:  # noqa: N802  # reportlab's name
        if self._pending is not None or not self._sections:
            self._sections.append(self._pending or Section(footer=""))
            self._pending = None
        self._section_of_page.append(len(self._sections) - 1)
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        totals = [self._section_of_page.count(i) for i in range(len(self._sections))]
        seen: list[int] = [0] * len(self._sections)
        pages = list(zip(self._held, self._section_of_page, strict=True))
        for index, (state, section_index) in enumerate(pages):
            self.__dict__.update(state)
            seen[section_index] += 1
            section = self._sections[section_index]
            if seen[section_index] == 1:
                self._mark_section_start(index, section_index, section)
            self._draw_footer(section, seen[section_index], totals[section_index])
            super().showPage()
        super().save()

    def _mark_section_start(self, page_index: int, section_index: int, section: Section) -> None:
        if section.outline:
            key = f"section-{section_index}"
            self.bookmarkPage(key)
            self.addOutlineEntry(section.outline, key, level=0)
        if self._page_labels:
            # Viewers then show "Zoë Dvořák 1, 2; Arthur Bell 1 ..." in their page box.
            self.addPageLabel(page_index, style="D", start=1, prefix=f"{section.outline} ")

    def _draw_footer(self, section: Section, page: int, total: int) -> None:
        size = section.footer_size or self.styles.footer_size
        margin = self.styles.margin
        width, _ = self._pagesize
        baseline = margin * 0.55
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.6)
        self.line(margin, baseline + size * 1.5, width - margin, baseline + size * 1.5)
        self.setFillColor(INK)
        self.setFont(fonts.MAIN, size)
        right = f"Page {page} of {total}"
        self.drawRightString(width - margin, baseline, right)
        if section.footer:
            room = width - 2 * margin - self.stringWidth(right, fonts.MAIN, size) - size * 2
            style = make_style("footer", fonts.MAIN, size, leading=1.2)
            para = Paragraph(fonts.markup(section.footer, size=size), style)
            _, height = para.wrapOn(self, room, size * 4)
            # Align the first line's baseline with the page number's.
            para.drawOn(self, margin, baseline - height + size * 1.2 - size * 0.2)
        self.restoreState()


@dataclass(frozen=True)
class Metadata:
    """The PDF's document information, shown by viewers and read by screen readers.

    Attributes:
        title: document title.
        author: the organisation behind it.
        subject: one line on what it is.
    """

    title: str
    author: str
    subject: str


def render(
    story: Sequence[Flowable], styles: Styles, metadata: Metadata, *, page_labels: bool = False
) -> bytes:
    """Lay ``story`` out on A4 and return the PDF bytes; nothing is written to disk."""
    fonts.register_fonts()
    buffer = io.BytesIO()
    margin = styles.margin
    template = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        # Room for the footer rule, text and a clear gap above it.
        bottomMargin=margin + styles.footer_size * 2.5,
        title=fonts.clean_text(metadata.title),
        author=fonts.clean_text(metadata.author),
        subject=fonts.clean_text(metadata.subject),
        creator=CREATOR,
        lang=LANGUAGE,
        displayDocTitle=1,
        # Without this reportlab's page preamble names Helvetica, a font that is never embedded.
        initialFontName=fonts.MAIN,
        initialFontSize=styles.body.fontSize,
        initialLeading=styles.body.leading,
    )

    # No frame padding: tables are sized to the full text width and must line up with headings.
    frame = Frame(
        template.leftMargin,
        template.bottomMargin,
        template.width,
        template.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="text",
    )
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def make_canvas(*args: Any, **kwargs: Any) -> _PagedCanvas:
        return _PagedCanvas(*args, styles=styles, page_labels=page_labels, **kwargs)

    template.build(list(story), canvasmaker=make_canvas)
    return buffer.getvalue()
