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
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
)
from reportlab.platypus.flowables import CallerMacro

from sp_desktop.pdf import fonts
from sp_desktop.pdf.styles import INK, RULE, Styles, make_style, text

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


class _SectionStart(CallerMacro):  # type: ignore[misc]  # reportlab ships no type information
    """The marker :func:`section_start` makes; :func:`render` finds them to size the footer.

    Attributes:
        section: the section that starts here.
    """

    def __init__(self, section: Section) -> None:
        super().__init__(drawCallable=lambda flowable: flowable.canv.sp_start_section(section))
        self.section = section


def section_start(section: Section) -> Flowable:
    """A zero-size marker: every page from the one it lands on belongs to ``section``."""
    return _SectionStart(section)


# The widest page number a footer leaves room for.
_WIDEST_PAGE_NUMBER = "Page 88 of 88"


@dataclass(frozen=True)
class _Footer:
    """A footer laid out for one section: its paragraph and where the lines go.

    Attributes:
        size: point size.
        text: the left-hand words, wrapped to their room, or None when there are none.
        height: the height of the wrapped words (at least one line).
    """

    size: float
    text: Paragraph | None
    height: float


def _layout_footer(section: Section, styles: Styles, canvas: Canvas | None) -> _Footer:
    """Wrap a section's footer words beside the page number, growing upwards line by line.

    A long name wraps rather than running off the page, and the type never shrinks: large print
    stays at 16 pt or more, so the footer takes more lines and the text above gives way.
    """
    size = section.footer_size or styles.footer_size
    style = make_style("footer", fonts.MAIN, size, leading=1.2)
    line = float(style.leading)
    if not section.footer:
        return _Footer(size, None, line)
    width = A4[0] - 2 * styles.margin
    room = width - pdfmetrics.stringWidth(_WIDEST_PAGE_NUMBER, fonts.MAIN, size) - size * 2
    para = text(section.footer, style)
    if canvas is not None:
        para.canv = canvas
    _, height = para.wrap(room, A4[1])
    return _Footer(size, para, max(float(height), line))


def _footer_top(footer: _Footer, styles: Styles) -> float:
    """Height above the page's bottom edge of the footer's rule."""
    line = footer.size * 1.2
    # The last line's baseline sits a little above the bottom margin's middle.
    last_baseline = styles.margin * 0.55
    return last_baseline - (line - footer.size) + footer.height + footer.size * 0.5


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
        footer = _layout_footer(section, self.styles, self)
        size = footer.size
        margin = self.styles.margin
        width, _ = self._pagesize
        top = _footer_top(footer, self.styles)
        first_baseline = top - size * 0.5 - size
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.6)
        self.line(margin, top, width - margin, top)
        self.setFillColor(INK)
        self.setFont(fonts.MAIN, size)
        self.drawRightString(width - margin, first_baseline, f"Page {page} of {total}")
        if footer.text is not None:
            # Lines stack down from the rule, the first level with the page number.
            footer.text.drawOn(self, margin, top - size * 0.5 - footer.height)
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


def _bottom_margin(section: Section, styles: Styles) -> float:
    """Room under the text for this section's footer, its rule and a clear gap above it; never
    less than the page margin."""
    room = _footer_top(_layout_footer(section, styles, None), styles)
    return float(max(styles.margin, room + (section.footer_size or styles.footer_size) * 1.5))


def _with_page_templates(
    story: Sequence[Flowable], styles: Styles
) -> tuple[list[Flowable], list[float]]:
    """The story with a switch of page template before each section after the first, and each
    template's bottom margin.

    Each section gets the text height its own footer leaves, so a person's pages in a visit
    pack are laid out exactly as when printed alone, whoever else is in the pack.
    """
    margins: list[float] = []
    out: list[Flowable] = []
    for flowable in story:
        if isinstance(flowable, _SectionStart):
            bottom = _bottom_margin(flowable.section, styles)
            if bottom not in margins:
                margins.append(bottom)
            switch = NextPageTemplate(f"page-{margins.index(bottom)}")
            # The switch must come before the page break that starts the section's first page.
            if out and isinstance(out[-1], PageBreak):
                out.insert(len(out) - 1, switch)
            elif out:
                out.append(switch)
        out.append(flowable)
    return out, margins or [_bottom_margin(Section(footer=""), styles)]


def render(
    story: Sequence[Flowable], styles: Styles, metadata: Metadata, *, page_labels: bool = False
) -> bytes:
    """Lay ``story`` out on A4 and return the PDF bytes; nothing is written to disk."""
    fonts.register_fonts()
    buffer = io.BytesIO()
    margin = styles.margin
    laid_out, bottoms = _with_page_templates(story, styles)
    template = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=bottoms[0],
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
    template.addPageTemplates(
        [
            PageTemplate(
                id=f"page-{index}",
                frames=[
                    Frame(
                        margin,
                        bottom,
                        template.width,
                        A4[1] - margin - bottom,
                        leftPadding=0,
                        rightPadding=0,
                        topPadding=0,
                        bottomPadding=0,
                        id="text",
                    )
                ],
            )
            for index, bottom in enumerate(bottoms)
        ]
    )

    def make_canvas(*args: Any, **kwargs: Any) -> _PagedCanvas:
        return _PagedCanvas(*args, styles=styles, page_labels=page_labels, **kwargs)

    template.build(laid_out, canvasmaker=make_canvas)
    return buffer.getvalue()
