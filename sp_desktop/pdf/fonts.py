"""Embedded fonts for printed documents: registration once per process and per-run fallback."""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

#: Main face: Atkinson Hyperlegible, drawn for low-vision readers (SIL OFL).
MAIN = "AtkinsonHyperlegible"
MAIN_BOLD = "AtkinsonHyperlegible-Bold"
MAIN_ITALIC = "AtkinsonHyperlegible-Italic"
MAIN_BOLD_ITALIC = "AtkinsonHyperlegible-BoldItalic"

#: Fallback face for scripts the main face lacks (Greek, Cyrillic, Welsh ŵ ŷ, ...).
FALLBACK = "DejaVuSans"
FALLBACK_BOLD = "DejaVuSans-Bold"

_FILES: dict[str, str] = {
    MAIN: "AtkinsonHyperlegible-Regular.ttf",
    MAIN_BOLD: "AtkinsonHyperlegible-Bold.ttf",
    MAIN_ITALIC: "AtkinsonHyperlegible-Italic.ttf",
    MAIN_BOLD_ITALIC: "AtkinsonHyperlegible-BoldItalic.ttf",
    FALLBACK: "DejaVuSans.ttf",
    FALLBACK_BOLD: "DejaVuSans-Bold.ttf",
}

# DejaVu's letters stand taller than Atkinson's (x-height 0.547 em against 0.496 em, measured from
# the two files), so fallback runs are set this much smaller to sit evenly in the same line.
FALLBACK_SCALE = 0.91

_WORDS = re.compile(r"(\s+)")
# A space between two digits, as in "020 7946 0321" or "999 123 4519": a number broken across
# lines is easy to misdial, so these spaces become non-breaking.
_NUMBER_SPACE = re.compile(r"(?<=\d) (?=\d)")


@dataclass(frozen=True)
class FontSet:
    """The registered faces and the characters each can draw.

    Attributes:
        main_chars: code points the main face has glyphs for.
        fallback_chars: code points the fallback face has glyphs for.
    """

    main_chars: frozenset[int]
    fallback_chars: frozenset[int]


def _load(name: str) -> TTFont:
    """Read a TTF through importlib.resources so it also works from a zipped install."""
    data = (files("sp_desktop.resources") / "fonts" / _FILES[name]).read_bytes()
    return TTFont(name, io.BytesIO(data))


@functools.cache
def register_fonts() -> FontSet:
    """Register every face with reportlab once per process; later calls are free."""
    faces = {name: _load(name) for name in _FILES}
    for face in faces.values():
        pdfmetrics.registerFont(face)
    # Families let <b> and <i> in paragraph markup pick the right face of either family.
    for family, normal, bold, italic, bold_italic in (
        (MAIN, MAIN, MAIN_BOLD, MAIN_ITALIC, MAIN_BOLD_ITALIC),
        # DejaVu's obliques are not shipped: an upright fallback reads better than a missing glyph.
        (FALLBACK, FALLBACK, FALLBACK_BOLD, FALLBACK, FALLBACK_BOLD),
    ):
        addMapping(family, 0, 0, normal)
        addMapping(family, 1, 0, bold)
        addMapping(family, 0, 1, italic)
        addMapping(family, 1, 1, bold_italic)
    return FontSet(
        main_chars=frozenset(faces[MAIN].face.charToGlyph),
        fallback_chars=frozenset(faces[FALLBACK].face.charToGlyph),
    )


def clean_text(text: str) -> str:
    """Compose accents (NFC) and drop control characters a printer cannot show.

    Names typed on some keyboards arrive decomposed ("e" + combining diaeresis); the fonts have
    the composed letters, so composing first keeps "Zoë" one glyph and searchable.
    """
    composed = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\t", " ")
    return "".join(ch for ch in composed if ch == "\n" or unicodedata.category(ch) != "Cc")


def markup(text: str, *, bold: bool = False, size: float | None = None) -> str:
    """Turn plain text into paragraph markup, switching to the fallback face word by word.

    Reportlab draws a blank box for a glyph a face lacks, so each word with a character the main
    face cannot draw is set in the fallback face. Whole words switch, not single letters:
    Atkinson has a few Greek letters (π, Ω) for maths, and a name half in one face and half in
    the other looks broken. Spaces inside numbers become non-breaking.

    ``size`` is the surrounding font size, used to scale fallback runs to the main face's
    x-height; ``bold`` picks the fallback's bold face, since an explicit font name overrides the
    paragraph's own bold. Line breaks become ``<br/>``; ``&``, ``<`` and ``>`` are escaped, so
    the result is safe to embed in more markup.
    """
    fonts = register_fonts()
    face = FALLBACK_BOLD if bold else FALLBACK
    size_attr = f' size="{size * FALLBACK_SCALE:.2f}"' if size else ""
    out: list[str] = []
    run: list[str] = []
    run_is_fallback = False

    def flush() -> None:
        if run:
            chunk = escape("".join(run)).replace("\n", "<br/>")
            wrapped = f'<font name="{face}"{size_attr}>{chunk}</font>'
            out.append(wrapped if run_is_fallback else chunk)
            run.clear()

    for token in _WORDS.split(_NUMBER_SPACE.sub("\u00a0", clean_text(text))):
        if not token:
            continue
        if not token.isspace():
            needs_fallback = any(
                ord(ch) not in fonts.main_chars and ord(ch) in fonts.fallback_chars for ch in token
            )
            if needs_fallback != run_is_fallback:
                flush()
                run_is_fallback = needs_fallback
        run.append(token)
    flush()
    return "".join(out)
