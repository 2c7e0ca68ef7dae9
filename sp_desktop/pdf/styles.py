"""Type sizes, colours and spacing for the standard, large-print and letter documents."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, TableStyle

from sp_desktop.pdf import fonts

# Near-black on white and a dark blue for headings: both far above WCAG AAA contrast, and both
# still read clearly from a mono laser printer, which is what most link workers carry.
INK = colors.HexColor("#1b1b1b")
HEADING = colors.HexColor("#0b3d59")
RULE = colors.HexColor("#7d8f9b")
TINT = colors.HexColor("#eaf1f5")
BAR_NOW = HEADING
BAR_THEN = colors.HexColor("#a9bccb")
BAR_TRACK = colors.white


@dataclass(frozen=True)
class Styles:
    """One document's paragraph styles and the measures drawings are sized from.

    Attributes:
        body: running text.
        body_bold: running text in bold, for names and labels.
        lines: body text without space after, for address blocks read as one unit.
        small: secondary text (dates printed, notes in tables).
        title: the document title.
        heading: section headings; kept with what follows.
        subheading: an activity's name, a step's number, a question.
        footer_size: point size of the page footer.
        margin: page margin on every side.
        gap: space between blocks within a section.
        bar_height: height of progress and wellbeing bars.
    """

    body: ParagraphStyle
    body_bold: ParagraphStyle
    lines: ParagraphStyle
    small: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    footer_size: float
    margin: float
    gap: float
    bar_height: float


def make_style(
    name: str, font: str, size: float, *, leading: float = 1.4, **extra: object
) -> ParagraphStyle:
    """Left-aligned, ragged-right text: justified spacing makes uneven gaps older readers trip on.

    ``leading`` is a multiple of the size; generous line spacing helps eyes find the next line.
    """
    settings: dict[str, object] = {
        "fontName": font,
        "fontSize": size,
        "leading": round(size * leading, 1),
        "textColor": INK,
        "alignment": TA_LEFT,
        "allowWidows": 0,
        "allowOrphans": 0,
    }
    settings.update(extra)
    return ParagraphStyle(name, **settings)


def _make(
    prefix: str,
    body: float,
    *,
    title: float,
    heading: float,
    sub: float,
    small: float,
    footer: float,
    margin: float,
    gap: float,
    bar: float,
) -> Styles:
    return Styles(
        body=make_style(f"{prefix}-body", fonts.MAIN, body, spaceAfter=body * 0.4),
        body_bold=make_style(f"{prefix}-bold", fonts.MAIN_BOLD, body, spaceAfter=body * 0.4),
        lines=make_style(f"{prefix}-lines", fonts.MAIN, body, leading=1.3),
        small=make_style(f"{prefix}-small", fonts.MAIN, small, leading=1.3),
        title=make_style(
            f"{prefix}-title",
            fonts.MAIN_BOLD,
            title,
            leading=1.2,
            textColor=HEADING,
            spaceAfter=title * 0.3,
        ),
        heading=make_style(
            f"{prefix}-heading",
            fonts.MAIN_BOLD,
            heading,
            leading=1.25,
            textColor=HEADING,
            spaceBefore=heading * 1.1,
            spaceAfter=heading * 0.45,
            keepWithNext=1,
        ),
        subheading=make_style(
            f"{prefix}-sub",
            fonts.MAIN_BOLD,
            sub,
            leading=1.3,
            textColor=INK,
            spaceAfter=sub * 0.25,
            keepWithNext=1,
        ),
        footer_size=footer,
        margin=margin,
        gap=gap,
        bar_height=bar,
    )


@functools.cache
def plan_styles(large_print: bool) -> Styles:
    """Styles for the person's printout: 12.5 pt body, or 18 pt for large print.

    RNIB's clear-print guidance asks for 12 pt at least and 16-18 pt for large print; the upper
    end is used because most readers are in their eighties.
    """
    fonts.register_fonts()
    if large_print:
        return _make(
            "plan-lp",
            18,
            title=30,
            heading=24,
            sub=20,
            # Nothing in large print is below 16 pt, page numbers included.
            small=16,
            footer=16,
            margin=20 * mm,
            gap=7 * mm,
            bar=7 * mm,
        )
    return _make(
        "plan",
        12.5,
        title=24,
        heading=17.5,
        sub=14,
        small=10.5,
        footer=10,
        margin=20 * mm,
        gap=5 * mm,
        bar=4.5 * mm,
    )


@functools.cache
def letter_styles() -> Styles:
    """Styles for the referrer letter: a clinician's letter, compact but still generous."""
    fonts.register_fonts()
    return _make(
        "letter",
        10.5,
        title=15,
        heading=12.5,
        sub=11,
        small=9.5,
        footer=8.5,
        margin=20 * mm,
        gap=3 * mm,
        bar=3 * mm,
    )


def is_bold(style: ParagraphStyle) -> bool:
    """Whether a style's face is bold, so fallback runs inside it are set bold too."""
    return style.fontName in (fonts.MAIN_BOLD, fonts.MAIN_BOLD_ITALIC)


_SHAPED: dict[tuple[str, str, float, float], ParagraphStyle] = {}


def shaped(style: ParagraphStyle, content: str) -> ParagraphStyle:
    """``style``, shaped with HarfBuzz when ``content`` has letters that join (Arabic).

    Only those paragraphs are shaped: shaping everything would also swap Latin letter pairs for
    ligatures, which copy out of the PDF as odd characters.
    """
    if not fonts.needs_shaping(content):
        return style
    # Keyed by what differs: page footers share one name at every size.
    key = (style.name, style.fontName, float(style.fontSize), float(style.leading))
    if key not in _SHAPED:
        _SHAPED[key] = ParagraphStyle(f"{style.name}-shaped", parent=style, shaping=1)
    return _SHAPED[key]


class _Text(Paragraph):  # type: ignore[misc]  # reportlab ships no type information
    """A paragraph of plain text, marked up again for the width it is laid out in.

    Only then is the line length known, so only then can a word longer than a line (an email
    address in a narrow column) be broken at its punctuation rather than letter by letter.

    Attributes:
        words: the plain text, or None for the pieces reportlab makes when it splits a paragraph
            across pages (already marked up).
    """

    def __init__(
        self,
        text: str | None,
        style: ParagraphStyle | None = None,
        *args: Any,
        words: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(text, style, *args, **kwargs)
        self.words = words
        self._marked_for: float | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        if self.words is not None and availWidth != self._marked_for:
            self._marked_for = availWidth
            style = self.style
            redone = fonts.markup(
                self.words, bold=is_bold(style), size=style.fontSize, width=availWidth
            )
            Paragraph.__init__(self, redone, style)
        width, height = super().wrap(availWidth, availHeight)
        return float(width), float(height)


def text(words: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (never markup) in ``style``, with fallback faces where needed."""
    return _Text(
        fonts.markup(words, bold=is_bold(style), size=style.fontSize),
        shaped(style, words),
        words=words,
    )


def marked(markup: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph from markup already built with :func:`fonts.markup` and fixed tags."""
    return Paragraph(markup, shaped(style, markup))


def plain(words: str, style: ParagraphStyle, *, bold: bool = False) -> str:
    """Markup for plain text inside a larger paragraph in ``style``."""
    return fonts.markup(words, bold=bold or is_bold(style), size=style.fontSize)


def table_style(commands: list[tuple[object, ...]]) -> TableStyle:
    """A table style whose cells default to the embedded face.

    Reportlab's cell default is Helvetica, which it selects for every cell even when the cell
    only holds paragraphs; that would pull an unembedded font into the PDF.
    """
    return TableStyle([("FONT", (0, 0), (-1, -1), fonts.MAIN), *commands])
