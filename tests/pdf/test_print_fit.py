"""Printouts fit the paper: no near-empty pages, nothing past the page edge, large print large,
addresses broken where a reader expects, calls and visits told apart, Arabic joined and in order.

Positions come from pdfium (each character's box, as a printer places it); sizes and text from
pypdf, as in the other PDF tests.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime

import pypdf
import pypdfium2 as pdfium
import pytest

from sp_desktop.pdf import fonts, samples
from sp_desktop.pdf.letter import build_letter
from sp_desktop.pdf.model import LinkWorker, PlanActivity
from sp_desktop.pdf.plan import build_plan, build_visit_pack

# A real name's shape at 73 characters (the was 70), and the longest the record allows
# (given and family names of 100 characters each).
LONG_NAME = "Maximiliana Wilhelmina Bartholomew-Featherstonehaugh Castellanos-Oyelaran"
LONGEST_NAME = ("Wilhelmina " * 9)[:100].strip() + " " + ("Featherstonehaugh-" * 6)[:100]
ARABIC_NAME = "محمد عبد الله"
LATE_IN_YEAR = date(2026, 11, 30)


def _boxes(data: bytes) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's characters with their boxes (left, bottom, right, top) in points."""
    document = pdfium.PdfDocument(data)
    pages = []
    for page in document:
        text = page.get_textpage()
        chars = []
        for index in range(text.count_chars()):
            char = text.get_text_range(index, 1)
            if char.strip():
                chars.append((char, *text.get_charbox(index)))
        pages.append(chars)
    return pages


def _page_size(data: bytes) -> tuple[float, float]:
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    return float(page.mediabox.width), float(page.mediabox.height)


def _outside(data: bytes) -> list[str]:
    """Characters printed past the page edge (or within 3 mm of it, where printers clip)."""
    width, height = _page_size(data)
    edge = 3 / 25.4 * 72
    found = []
    for number, chars in enumerate(_boxes(data), start=1):
        for char, left, bottom, right, top in chars:
            if left < edge or bottom < edge or right > width - edge or top > height - edge:
                found.append(f"page {number}: {char!r} at ({left:.0f}, {bottom:.0f})")
    return found


def _sizes(data: bytes) -> set[float]:
    sizes: set[float] = set()

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes.add(round(size * abs(tm[3]) * abs(cm[3]), 2))

    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def _pages(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join(p.extract_text().replace("\u00a0", " ").split()) for p in reader.pages]


def _fill(data: bytes) -> list[float]:
    """How far down each page's text area the body text reaches, 0 to 1 (footers left out)."""
    width, height = _page_size(data)
    margin = 20 / 25.4 * 72
    fills = []
    for chars in _boxes(data):
        # The footer is the lowest block; the body is everything above its top line.
        page_label = [c for c in chars if c[0] == "P" and c[2] < height * 0.15]
        footer_top = max(c[4] for c in page_label)
        body = [c for c in chars if c[2] > footer_top + 4]
        lowest = min(c[2] for c in body)
        fills.append((height - margin - lowest) / (height - margin - footer_top))
    return fills


# --- no mostly-empty pages ---------------------------------------------------------------------


def test_standard_sample_plan_is_three_well_filled_pages() -> None:
    pdf = build_plan(samples.sample_plan())
    fills = _fill(pdf)
    # Four pages before (two of them half empty); the same words now fill three.
    assert len(fills) == 3
    assert all(fill >= 0.85 for fill in fills[:-1]), fills
    assert fills[-1] >= 0.5, fills


@pytest.mark.parametrize("large_print", [False, True], ids=["standard", "large-print"])
def test_no_page_but_the_last_is_left_mostly_empty(large_print: bool) -> None:
    for doc in (
        samples.sample_plan(large_print=large_print),
        samples.long_plan(large_print=large_print),
    ):
        fills = _fill(build_plan(doc))
        assert all(fill >= 0.6 for fill in fills[:-1]), fills


# --- nothing outside the page ------------------------------------------------------------------


@pytest.mark.parametrize("name", [LONG_NAME, LONGEST_NAME, ARABIC_NAME])
@pytest.mark.parametrize("large_print", [False, True], ids=["standard", "large-print"])
def test_a_long_name_stays_on_the_page_with_the_date_on_every_page(
    name: str, large_print: bool
) -> None:
    doc = replace(samples.sample_plan(large_print=large_print, name=name), printed_on=LATE_IN_YEAR)
    pdf = build_plan(doc)
    assert _outside(pdf) == []
    pages = _pages(pdf)
    for number, page in enumerate(pages, start=1):
        assert "30 November 2026" in page, f"page {number} lost the date"
        assert f"Page {number} of {len(pages)}" in page


@pytest.mark.parametrize("name", [LONG_NAME, LONGEST_NAME])
def test_the_letter_keeps_the_nhs_number_on_every_page_however_long_the_name(name: str) -> None:
    letter = samples.sample_letter()
    pdf = build_letter(replace(letter, person=replace(letter.person, name=name)))
    assert _outside(pdf) == []
    for page in _pages(pdf):
        assert "NHS number 999 123 4519" in page


def test_a_visit_pack_lays_each_person_out_as_when_printed_alone() -> None:
    docs = (
        samples.sample_plan(),
        samples.sample_plan(name=LONGEST_NAME, large_print=True),
        samples.sample_plan(name="Αλέξης Παπαδόπουλος"),
    )
    pack = build_visit_pack(docs)
    assert _outside(pack) == []
    alone = sum(len(_pages(build_plan(doc))) for doc in docs)
    assert len(_pages(pack)) == alone


# --- large print -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Αλέξης Παπαδόπουλος", "Дмитрий Иванов", "Gwenllïan ap Ŵyn", ARABIC_NAME]
)
def test_large_print_is_16_pt_or_more_in_the_fallback_face_too(name: str) -> None:
    doc = replace(
        samples.sample_plan(large_print=True, name=name),
        what_matters="Seeing my grandson Ŵyn, and reading Ξ in my crossword.",
    )
    sizes = _sizes(build_plan(doc))
    assert min(sizes) >= 16, sorted(sizes)


@pytest.mark.parametrize(("size", "floor"), [(18, 16.38), (16, 16), (12.5, 11.375), (24, 21.84)])
def test_fallback_size_keeps_to_the_x_height_but_not_below_large_print(
    size: float, floor: float
) -> None:
    assert fonts.fallback_size(size) == pytest.approx(floor)


# --- addresses and emails ----------------------------------------------------------------------

EMAIL = "bartholomew.featherstonehaugh@northfield-community-wellbeing.example.org"


def _email_lines(page_text: str, email: str) -> list[str]:
    """The lines of extracted text that together spell ``email``, in order."""
    lines = [line.strip() for line in page_text.splitlines()]
    for start, line in enumerate(lines):
        if line and email.startswith(line.split(" ")[-1]) and len(line.split(" ")[-1]) > 3:
            found = [line.split(" ")[-1]]
            for following in lines[start + 1 :]:
                if "".join(found) == email:
                    break
                found.append(following.split(" ")[0])
            if "".join(found) == email:
                return found
    raise AssertionError(f"{email} not found whole")


@pytest.mark.parametrize("large_print", [False, True], ids=["standard", "large-print"])
def test_a_long_email_breaks_only_before_its_at_sign_or_a_dot(large_print: bool) -> None:
    worker = replace(samples.LINK_WORKER, email=EMAIL)
    activity = PlanActivity(name="Walking group", contact=f"Bart, or email {EMAIL}")
    doc = replace(
        samples.sample_plan(large_print=large_print), link_worker=worker, activities=(activity,)
    )
    reader = pypdf.PdfReader(io.BytesIO(build_plan(doc)))
    text = "\n".join(p.extract_text().replace("\u00a0", " ") for p in reader.pages)
    pieces = _email_lines(text, EMAIL)
    assert len(pieces) <= 3, pieces
    for piece in pieces[1:]:
        assert piece[0] in "@.", pieces
    if len(pieces) > 1:
        assert pieces[1].startswith("@"), "the first break is before the @"


def test_an_email_that_fits_is_never_broken() -> None:
    pages = _pages(build_plan(samples.sample_plan(large_print=True)))
    assert "siobhan.oconnell@brookside-links.example.org" in " ".join(pages)


@pytest.mark.parametrize(
    ("words", "kept"),
    [
        ("St Anne's Hall, 12 Church Lane, Northfield NF3 2AB", ["12\u00a0Church", "NF3\u00a02AB"]),
        ("Ring 020 7946 0555 by Tuesday", ["020\u00a07946\u00a00555"]),
        ("for 12 weeks", ["12\u00a0weeks"]),
        ("Flat 3, 27 Elm Road, LS6 2AB", ["27\u00a0Elm", "LS6\u00a02AB"]),
    ],
)
def test_numbers_stay_with_their_words_and_postcodes_stay_whole(
    words: str, kept: list[str]
) -> None:
    marked = fonts.markup(words, size=18)
    for piece in kept:
        assert piece in marked


# --- follow-up wording -------------------------------------------------------------------------


def test_a_phone_follow_up_is_printed_as_a_call() -> None:
    doc = replace(
        samples.sample_plan(),
        next_visit=date(2026, 3, 24),
        next_visit_place=None,
        next_contact_by_phone=True,
    )
    text = " ".join(_pages(build_plan(doc)))
    assert "Your next phone call Tuesday 24 March 2026" in text
    assert "Siobhán O'Connell will ring you then." in text
    assert "Your next visit" not in text
    assert "beforehand" not in text and "At your home" not in text


def test_a_visit_is_printed_as_a_visit() -> None:
    doc = replace(samples.sample_plan(), next_visit=datetime(2026, 3, 17, 14, 30))
    text = " ".join(_pages(build_plan(doc)))
    assert "Your next visit Tuesday 17 March 2026 at 2:30pm" in text
    assert "Your next phone call" not in text
    assert "If that time no longer suits you" in text


# --- right-to-left names -----------------------------------------------------------------------


def _title_line(data: bytes) -> list[tuple[str, float]]:
    """The characters of the "For <name>" line under the title, with their left edges."""
    chars = _boxes(data)[0]
    heights = sorted({round(c[2]) for c in chars}, reverse=True)
    for bottom in heights:
        line = sorted((c for c in chars if round(c[2]) == bottom), key=lambda c: c[1])
        if "".join(c[0] for c in line).startswith("For"):
            return [(c[0], c[1]) for c in line]
    raise AssertionError("no 'For <name>' line")


@pytest.mark.parametrize("large_print", [False, True], ids=["standard", "large-print"])
def test_an_arabic_name_prints_joined_and_right_to_left(large_print: bool) -> None:
    doc = replace(
        samples.sample_plan(large_print=large_print), person_name=ARABIC_NAME, preferred_name=None
    )
    data = build_plan(doc)
    first_page = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    # Joined: letters drawn in their initial, medial and final forms, not one by one.
    assert re.search("[\ufe70-\ufefc]{3}", first_page), first_page[:200]
    # In order: the first word (محمد) rightmost, then عبد, then الله on the left.
    x = {char: left for char, left in _title_line(data)}
    assert x["ح"] > x["ع"] > x["ه"] > x["F"]


def test_punctuation_after_a_right_to_left_name_stays_on_its_right() -> None:
    marked = fonts.markup(f"For {ARABIC_NAME}, printed", size=12)
    # Drawn right to left, a comma put first in the word lands on its right.
    assert ",محمد" in marked and "الله عبد" in marked


def test_a_worker_without_email_prints_no_email_line() -> None:
    worker = LinkWorker(name="Sam Lee", phone="020 7946 0999", email="", organisation="Org")
    text = " ".join(_pages(build_plan(replace(samples.sample_plan(), link_worker=worker))))
    assert "Email" not in text
