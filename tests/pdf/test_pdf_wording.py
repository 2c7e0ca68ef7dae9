"""Plain-English wording, font coverage and per-word fallback for printed documents."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from sp_desktop.pdf import fonts, wording


@pytest.mark.parametrize(
    ("day", "words"),
    [(date(2026, 4, 14), "14 April 2026"), (date(2025, 12, 1), "1 December 2025")],
)
def test_long_date(day: date, words: str) -> None:
    assert wording.long_date(day) == words


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        (time(14, 30), "2:30pm"),
        (time(10, 0), "10am"),
        (time(12, 0), "midday"),
        (time(12, 15), "12:15pm"),
        (time(0, 0), "midnight"),
        (time(0, 5), "12:05am"),
        (time(9, 5), "9:05am"),
    ],
)
def test_clock_time(moment: time, words: str) -> None:
    assert wording.clock_time(moment) == words


def test_appointment() -> None:
    assert wording.appointment(datetime(2026, 3, 17, 14, 30)) == "Tuesday 17 March 2026 at 2:30pm"


@pytest.mark.parametrize(
    ("progress", "words"),
    [
        (0, "Not started yet"),
        (1, "Started"),
        (3, "Started"),
        (4, "Half way"),
        (6, "Half way"),
        (7, "Nearly there"),
        (9, "Nearly there"),
        (10, "Done"),
    ],
)
def test_progress_words(progress: int, words: str) -> None:
    assert wording.progress_words(progress) == words


@pytest.mark.parametrize("progress", [-1, 11])
def test_progress_out_of_range(progress: int) -> None:
    with pytest.raises(ValueError):
        wording.progress_words(progress)


@pytest.mark.parametrize(
    ("digits", "shown"), [("9991234519", "999 123 4519"), ("999 123 4519", "999 123 4519")]
)
def test_nhs_number_shown_3_3_4(digits: str, shown: str) -> None:
    assert wording.nhs_number(digits) == shown


@pytest.mark.parametrize(("count", "words"), [(1, "1 week"), (12, "12 weeks")])
def test_weeks(count: int, words: str) -> None:
    assert wording.weeks(count) == words


def test_fonts_register_once() -> None:
    assert fonts.register_fonts() is fonts.register_fonts()


@pytest.mark.parametrize(
    "name",
    [
        "Zoë",
        "Siobhán",
        "Łukasz",
        "Dvořák",
        "Wiśniewski",
        "Ștefan",
        "Őrs",
        "Çağlar",
        "£2 – “free” …",
    ],
)
def test_main_face_covers_european_names(name: str) -> None:
    covered = fonts.register_fonts().main_chars
    assert all(ord(ch) in covered for ch in name)


@pytest.mark.parametrize("text", ["Αλέξης", "Дмитрий", "Ŵyn", "Ŷ"])
def test_fallback_face_covers_what_the_main_face_lacks(text: str) -> None:
    faces = fonts.register_fonts()
    assert any(ord(ch) not in faces.main_chars for ch in text)
    assert all(ord(ch) in faces.fallback_chars for ch in text)


def test_markup_switches_whole_words_to_the_fallback_face() -> None:
    marked = fonts.markup("Mr Αλέξης Παπαδόπουλος and Zoë")
    # π is in Atkinson, but the whole Greek name still goes to one face.
    assert marked == f'Mr <font name="{fonts.FALLBACK}">Αλέξης Παπαδόπουλος </font>and Zoë'


def test_markup_bold_and_scaled_fallback() -> None:
    marked = fonts.markup("Дмитрий", bold=True, size=20)
    assert marked == f'<font name="{fonts.FALLBACK_BOLD}" size="18.20">Дмитрий</font>'


def test_markup_escapes_and_keeps_numbers_whole() -> None:
    assert fonts.markup("A & B <i>\nring 020 7946 0321") == (
        "A &amp; B &lt;i&gt;<br/>ring 020\u00a07946\u00a00321"
    )


def test_clean_text_composes_and_drops_control_characters() -> None:
    assert fonts.clean_text("Zoe\u0308\x07\tDvor\u030cák\r\n") == "Zoë Dvořák\n"


def test_appointment_without_a_time_gives_the_day_only() -> None:
    assert wording.appointment(date(2026, 3, 17)) == "Tuesday 17 March 2026"
