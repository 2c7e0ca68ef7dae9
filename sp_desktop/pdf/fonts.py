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
#: Large print's floor: text at this size or more never has fallback runs set below it.
LARGE_PRINT_MIN = 16.0

_WORDS = re.compile(r"(\s+)")
# A space between two digits, as in "020 7946 0321" or "999 123 4519": a number broken across
# lines is easy to misdial, so these spaces become non-breaking.
_NUMBER_SPACE = re.compile(r"(?<=\d) (?=\d)")
# A house number and the street after it ("12 Church Lane"), or a count and its unit ("4 weeks"),
# read as one: a line ending in a bare "12" sends the eye looking for what it was.
_NUMBER_WORD_SPACE = re.compile(r"(?<![\w.,])(\d+[A-Za-z]?) (?=[^\W\d_])")
# A UK postcode ("NF3 2AB") is one thing to copy onto an envelope or into a map.
_POSTCODE_SPACE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?) (\d[A-Z]{2})\b")
# Where a long email address or web address may break: before "@", ".", "/", "_" and "-", so
# the next line starts with the punctuation and reads as a continuation (Chicago style).
_ADDRESS_BREAK = re.compile(r"(?=[@./_-])")
# Right-to-left scripts and words: Hebrew, Arabic, Syriac, Thaana, N'Ko and their
# presentation forms all have bidirectional class R or AL.
_RTL_CLASSES = frozenset({"R", "AL"})
# Punctuation at the edges of a right-to-left run ("(" before, "," or "." after).
_EDGE_LEAD = re.compile(r"^[^\w\s]+")
_EDGE_TRAIL = re.compile(r"[^\w\s]+$")


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


def fallback_size(size: float) -> float:
    """The point size of a fallback run inside text of ``size`` points.

    Scaled to the main face's x-height, but never below large print's 16 pt floor when the
    text around it is large print.
    """
    scaled = size * FALLBACK_SCALE
    return max(scaled, LARGE_PRINT_MIN) if size >= LARGE_PRINT_MIN else scaled


def is_rtl(word: str) -> bool:
    """Whether a word is written right to left (Arabic, Hebrew, ...)."""
    return any(unicodedata.bidirectional(ch) in _RTL_CLASSES for ch in word)


def needs_shaping(text: str) -> bool:
    """Whether ``text`` holds letters that change shape with their neighbours (Arabic joins),
    so its paragraph must be shaped with HarfBuzz."""
    return is_rtl(text)


def _visual_order(tokens: list[str]) -> list[str]:
    """Put each run of right-to-left words in the order they are seen, right to left.

    Reportlab lays words out left to right and (without a bidi library) leaves a run of Arabic
    or Hebrew words in typed order, so "محمد عبد الله" would read backwards. HarfBuzz orders the
    letters inside each word (each is shaped on its own, right to left); this orders the words.
    Punctuation at the run's edges ("الله," in "For محمد عبد الله, printed") belongs to the
    surrounding English, so it is moved to where right-to-left shaping leaves it on the correct
    side. A run longer than its line still wraps with its later words on the first line: names
    fit on a line, and no bidi library is installed to do better for prose.
    """
    out: list[str] = []
    index = 0
    while index < len(tokens):
        if not is_rtl(tokens[index]):
            out.append(tokens[index])
            index += 1
            continue
        end = index
        # A run is right-to-left words separated only by spaces.
        while end + 2 < len(tokens) and tokens[end + 1].isspace() and is_rtl(tokens[end + 2]):
            end += 2
        words = list(tokens[index : end + 1])
        lead = _EDGE_LEAD.match(words[0])
        trail = _EDGE_TRAIL.search(words[-1])
        prefix = lead.group(0) if lead else ""
        suffix = trail.group(0) if trail else ""
        words[0] = words[0][len(prefix) :]
        words[-1] = words[-1][: len(words[-1]) - len(suffix)]
        visual = words[::-1]
        # Shaped right to left, a word's last characters are drawn leftmost: the leading
        # punctuation goes last to be drawn on the left, the trailing punctuation first.
        visual[0] = visual[0] + prefix[::-1]
        visual[-1] = suffix[::-1] + visual[-1]
        out += visual
        index = end + 1
    return out


def _break_points(token: str, width: float, font: str, size: float) -> str:
    """A word wider than ``width`` (an email or web address) broken at its punctuation.

    Reportlab would otherwise cut it wherever the line ends, letter by letter ("siobhan.oco" /
    "nnell@bro" / ...). An email breaks first before its "@", so each line is a whole part of
    it; a part still too long breaks before a ".", "/", "_" or "-", packed greedily. A piece
    longer than a line even then is left for reportlab to cut.
    """

    def fits(piece: str) -> bool:
        return float(pdfmetrics.stringWidth(piece, font, size)) <= width

    if fits(token):
        return escape(token)
    at = token.find("@", 1)
    parts = [token[:at], token[at:]] if at > 0 else [token]
    lines: list[str] = []
    for part in parts:
        if fits(part):
            lines.append(part)
            continue
        line = ""
        for piece in _ADDRESS_BREAK.split(part):
            if line and not fits(line + piece):
                lines.append(line)
                line = piece
            else:
                line += piece
        lines.append(line)
    return "<br/>".join(escape(line) for line in lines if line)


def markup(
    text: str, *, bold: bool = False, size: float | None = None, width: float | None = None
) -> str:
    """Turn plain text into paragraph markup, switching to the fallback face word by word.

    Reportlab draws a blank box for a glyph a face lacks, so each word with a character the main
    face cannot draw is set in the fallback face. Whole words switch, not single letters:
    Atkinson has a few Greek letters (π, Ω) for maths, and a name half in one face and half in
    the other looks broken. Spaces inside numbers, between a number and its word and inside a
    postcode become non-breaking; right-to-left words are put in visual order (see
    :func:`_visual_order`).

    ``size`` is the surrounding font size, used to scale fallback runs to the main face's
    x-height (see :func:`fallback_size`); ``bold`` picks the fallback's bold face, since an
    explicit font name overrides the paragraph's own bold. With ``width`` (the line length, in
    points, and ``size`` given), a word longer than a line breaks at its punctuation. Line
    breaks become ``<br/>``; ``&``, ``<`` and ``>`` are escaped, so the result is safe to embed
    in more markup.
    """
    fonts = register_fonts()
    face = FALLBACK_BOLD if bold else FALLBACK
    main = MAIN_BOLD if bold else MAIN
    size_attr = f' size="{fallback_size(size):.2f}"' if size else ""
    out: list[str] = []
    run: list[str] = []
    run_is_fallback = False

    def flush() -> None:
        if run:
            chunk = "".join(run).replace("\n", "<br/>")
            wrapped = f'<font name="{face}"{size_attr}>{chunk}</font>'
            out.append(wrapped if run_is_fallback else chunk)
            run.clear()

    cleaned = _POSTCODE_SPACE.sub("\\1\u00a0\\2", clean_text(text))
    cleaned = _NUMBER_WORD_SPACE.sub("\\1\u00a0", _NUMBER_SPACE.sub("\u00a0", cleaned))
    for token in _visual_order(_WORDS.split(cleaned)):
        if not token:
            continue
        if not token.isspace():
            needs_fallback = any(
                ord(ch) not in fonts.main_chars and ord(ch) in fonts.fallback_chars for ch in token
            )
            if needs_fallback != run_is_fallback:
                flush()
                run_is_fallback = needs_fallback
            if width and size:
                font, at = (face, fallback_size(size)) if needs_fallback else (main, size)
                run.append(_break_points(token, width, font, at))
                continue
        run.append(escape(token))
    flush()
    return "".join(out)
