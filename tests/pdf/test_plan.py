"""The person's printout and the visit pack, read back with pypdf as the person would read them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from sp_desktop.pdf import samples
from sp_desktop.pdf.letter import build_letter
from sp_desktop.pdf.model import (
    DocumentDataError,
    LinkWorker,
    PlanActivity,
    PlanDocument,
    PlanStep,
    WellbeingLine,
)
from sp_desktop.pdf.plan import build_plan, build_visit_pack

Reader = Any  # conftest.ReadPdf; test modules do not import conftest


@pytest.fixture(scope="module")
def standard() -> bytes:
    return build_plan(samples.sample_plan())


@pytest.fixture(scope="module")
def large() -> bytes:
    return build_plan(samples.sample_plan(large_print=True))


@pytest.fixture(scope="module")
def long_standard() -> bytes:
    return build_plan(samples.long_plan())


@pytest.fixture(scope="module")
def long_large() -> bytes:
    return build_plan(samples.long_plan(large_print=True))


@pytest.mark.parametrize("large_print", [False, True], ids=["standard", "large-print"])
def test_plan_shows_steps_activities_contact_and_next_visit(
    large_print: bool, read_pdf: Any
) -> None:
    pdf = read_pdf(build_plan(samples.sample_plan(large_print=large_print))).flat
    for step in samples.STEPS:
        assert step.words in pdf
    for activity in samples.ACTIVITIES:
        for value in (
            activity.name,
            activity.where,
            activity.when,
            activity.contact,
            activity.cost,
            activity.getting_there,
        ):
            assert value in pdf, value
    assert "Your link worker will come with you." in pdf
    assert "You will go on your own." in pdf
    assert "Tuesday 24 March 2026, for 12 weeks" in pdf
    assert "Siobhán O'Connell" in pdf
    assert "020 7946 0321" in pdf
    assert "siobhan.oconnell@brookside-links.example.org" in pdf
    assert "Tuesday 17 March 2026 at 2:30pm" in pdf
    assert "At your home." in pdf
    assert "Your journey with Brookside Link Workers" in pdf
    for heading in (
        "What matters to you",
        "Your steps",
        "Your activities",
        "Your link worker",
        "Your next visit",
        "How you said you were feeling",
    ):
        assert heading in pdf


@pytest.mark.parametrize(
    ("progress", "words"),
    [(0, "Not started yet"), (2, "Started"), (5, "Half way"), (8, "Nearly there"), (10, "Done")],
)
def test_step_progress_is_shown_in_words(progress: int, words: str, read_pdf: Any) -> None:
    doc = replace(samples.sample_plan(), steps=(PlanStep("Feed the birds", None, progress),))
    text = read_pdf(build_plan(doc)).flat
    assert f"Feed the birds {words}" in text


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Dvořák",
        "Siobhán Ní Bhriain",
        "Łukasz Wiśniewski",
        "Antonín Dvořák",
        "Gwenllïan ap Ŵyn",
        "Αλέξης Παπαδόπουλος",
        "Дмитрий Иванов",
    ],
)
def test_names_survive_printing_and_extraction(name: str, read_pdf: Any) -> None:
    doc = replace(samples.sample_plan(), person_name=name, preferred_name=None)
    pdf = read_pdf(build_plan(doc))
    assert f"For {name}" in pdf.pages[0]
    assert f"Hello {name}." in pdf.flat
    # Every page carries the name in its footer, so loose pages find their owner.
    for page in pdf.pages:
        assert f"For {name}, printed 10 March 2026" in " ".join(page.split())


@pytest.mark.parametrize(
    ("name", "needs_fallback"),
    [
        ("Zoë Dvořák", False),
        ("Łukasz Wiśniewski", False),
        ("Αλέξης Παπαδόπουλος", True),
        ("Дмитрий Иванов", True),
        ("Gwenllïan ap Ŵyn", True),
    ],
)
def test_fallback_face_only_where_the_main_face_lacks_glyphs(
    name: str, needs_fallback: bool, read_pdf: Any
) -> None:
    doc = replace(samples.sample_plan(), person_name=name, preferred_name=None)
    fonts_used = read_pdf(build_plan(doc)).font_names(0)
    assert "AtkinsonHyperlegible-Regular" in fonts_used
    assert ("DejaVuSans" in fonts_used) is needs_fallback


def test_decomposed_accents_print_as_one_letter(read_pdf: Any) -> None:
    doc = replace(samples.sample_plan(), person_name="Zoe\u0308 Dvor\u030cák")
    assert "For Zoë Dvořák" in read_pdf(build_plan(doc)).pages[0]


def test_markup_characters_in_text_are_printed_not_interpreted(read_pdf: Any) -> None:
    doc = replace(samples.sample_plan(), what_matters="Tea & cake <b>not bold</b> & more")
    assert "Tea & cake <b>not bold</b> & more" in read_pdf(build_plan(doc)).flat


def test_large_print_really_is_larger(standard: bytes, large: bytes, read_pdf: Any) -> None:
    small_pdf, large_pdf = read_pdf(standard), read_pdf(large)
    small_sizes, large_sizes = small_pdf.font_sizes(), large_pdf.font_sizes()
    body_small = small_sizes.most_common(1)[0][0]
    body_large = large_sizes.most_common(1)[0][0]
    assert 11.5 <= body_small <= 13
    assert body_large >= 16
    # Nothing at all in large print is set below 16 pt, page numbers included.
    assert min(large_sizes) >= 16
    assert max(large_sizes) > max(small_sizes)
    assert len(large_pdf.pages) > len(small_pdf.pages)
    # Same words in both.
    assert small_pdf.flat.split("Page 1 of")[0][:200] == large_pdf.flat.split("Page 1 of")[0][:200]


@pytest.mark.parametrize(
    "which", ["standard", "large", "long_standard", "long_large", "letter", "pack", "greek"]
)
def test_every_font_is_embedded_and_none_is_base_14(
    which: str, request: pytest.FixtureRequest, read_pdf: Any
) -> None:
    data = {
        "letter": lambda: build_letter(samples.sample_letter()),
        "pack": lambda: build_visit_pack(samples.sample_pack()),
        "greek": lambda: build_plan(replace(samples.sample_plan(), person_name="Αλέξης")),
    }.get(which, lambda: request.getfixturevalue(which))()
    assert read_pdf(data).font_problems() == []


def test_metadata_title_author_subject_and_language(standard: bytes, read_pdf: Any) -> None:
    pdf = read_pdf(standard)
    meta = pdf.reader.metadata
    assert meta.title == "Your journey with Brookside Link Workers: Zoë Dvořák"
    assert meta.author == "Brookside Link Workers"
    assert meta.subject
    assert pdf.reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_author_falls_back_to_the_app_name(read_pdf: Any) -> None:
    worker = LinkWorker(name="Sam Lee", phone="020 7946 0999", email="", organisation="")
    doc = replace(samples.sample_plan(), link_worker=worker)
    assert read_pdf(build_plan(doc)).reader.metadata.author == "SP Desktop"


@pytest.mark.parametrize("fixture", ["long_standard", "long_large"])
def test_ten_steps_and_six_activities_lay_out_over_several_pages(
    fixture: str, request: pytest.FixtureRequest, read_pdf: Any
) -> None:
    pdf = read_pdf(request.getfixturevalue(fixture))
    total = len(pdf.pages)
    assert total >= 4
    text = pdf.flat
    for n in range(1, 11):
        assert f"Step words number {n}:" in text
    for n in range(1, 7):
        assert f"Activity number {n}:" in text
    # The long text survives whole, not clipped at a page or cell edge.
    assert text.count("without squeezing or overlapping anything on the page") == 10 + 6 * 2
    for number, page in enumerate(pdf.pages, start=1):
        assert f"Page {number} of {total}" in page
    # Steps stay in order.
    positions = [text.index(f"Step words number {n}:") for n in range(1, 11)]
    assert positions == sorted(positions)


@pytest.mark.parametrize("fixture", ["standard", "large", "long_standard", "long_large"])
def test_no_goals_compliance_or_plan_jargon(
    fixture: str, request: pytest.FixtureRequest, read_pdf: Any
) -> None:
    pdf = read_pdf(request.getfixturevalue(fixture))
    text = pdf.text.lower()
    for word in ("goal", "compliance", "adherence", "ons4", "score"):
        assert word not in text, word
    assert "goal" not in str(pdf.reader.metadata).lower()


def _question_block(text: str, question: str) -> str:
    start = text.index(question) + len(question)
    rest = text[start:]
    ends = [rest.index(q.question) for q in samples.WELLBEING if q.question in rest]
    return rest[: min(ends)] if ends else rest


def test_declined_answer_says_preferred_not_to_say_not_zero(standard: bytes, read_pdf: Any) -> None:
    text = read_pdf(standard).flat
    block = _question_block(text, "How happy you felt the day before")
    assert block.strip().startswith("Then You preferred not to say Now Medium")
    assert "0" not in block
    assert "Better" not in block and "Not as good" not in block


def test_feelings_never_show_a_bare_score(read_pdf: Any) -> None:
    lines = (WellbeingLine("How satisfied you are with your life", 3, "low", 8, "high"),)
    doc = replace(samples.sample_plan(), wellbeing=lines)
    text = read_pdf(build_plan(doc)).flat
    block = text.split("How satisfied you are with your life", 1)[1]
    assert not re.search(r"\d", block.split("Page ")[0])
    assert "Then Low" in block and "Now High" in block


@pytest.mark.parametrize(
    ("then", "now", "lower_is_better", "sentence"),
    [
        (4, 7, False, "Better than before."),
        (7, 4, False, "Not as good as before."),
        (7, 4, True, "Better than before."),
        (3, 6, True, "Not as good as before."),
        (5, 5, True, "About the same as before."),
    ],
)
def test_change_in_feeling_reads_the_right_way_round(
    then: int, now: int, lower_is_better: bool, sentence: str, read_pdf: Any
) -> None:
    line = WellbeingLine("How you felt", then, "x", now, "y", lower_is_better=lower_is_better)
    doc = replace(samples.sample_plan(), wellbeing=(line,))
    text = read_pdf(build_plan(doc)).flat
    assert sentence in text
    assert ("a shorter bar is better" in text) is lower_is_better


def test_first_answers_only_show_now_without_then(read_pdf: Any) -> None:
    doc = replace(samples.sample_plan(), wellbeing_then_date=None)
    text = read_pdf(build_plan(doc)).flat
    block = _question_block(text, "How satisfied you are with your life")
    assert "Then" not in block and "Now Medium" in block
    assert "Better than before" not in text


def test_next_visit_not_arranged_yet(read_pdf: Any) -> None:
    doc = replace(samples.sample_plan(), next_visit=None, next_visit_place=None)
    text = read_pdf(build_plan(doc)).flat
    assert "Siobhán O'Connell will ring you to arrange your next visit." in text


def test_blank_activity_fields_are_left_off(read_pdf: Any) -> None:
    doc = replace(samples.sample_plan(), activities=(PlanActivity(name="Knit and natter"),))
    text = read_pdf(build_plan(doc)).flat
    assert "Knit and natter" in text
    for label in ("Where", "When", "Who to contact", "Cost", "Getting there", "Starting"):
        assert f" {label} " not in text.split("Knit and natter")[1].split("Your link worker")[0]


def test_visit_pack_has_each_persons_plan_in_order(read_pdf: Any) -> None:
    docs = samples.sample_pack()
    pdf = read_pdf(build_visit_pack(docs))
    owners = []
    for page in pdf.pages:
        footer = page.strip().splitlines()[-1]
        match = re.fullmatch(r"For (.+), printed 10 March 2026", footer.strip())
        assert match, footer
        owners.append(match.group(1))
    names = [doc.person_name for doc in docs]
    # Grouped, in order, nobody's pages mixed into someone else's.
    assert [n for i, n in enumerate(owners) if i == 0 or owners[i - 1] != n] == names
    for name in names:
        count = owners.count(name)
        own_pages = [p for p, owner in zip(pdf.pages, owners, strict=True) if owner == name]
        assert own_pages[0].startswith("Your journey with"), "each plan starts a new page"
        for number, page in enumerate(own_pages, start=1):
            assert f"Page {number} of {count}" in page
        # The same pages as printing that person on their own.
        alone = read_pdf(build_plan(docs[names.index(name)]))
        assert len(alone.pages) == count
    assert [item.title for item in pdf.reader.outline] == names
    labels = pdf.reader.page_labels
    assert labels[0] == f"{names[0]} 1" and labels[owners.index(names[1])] == f"{names[1]} 1"


def test_visit_pack_needs_someone() -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_visit_pack([])


@pytest.mark.parametrize(
    "make",
    [
        lambda: PlanStep("x", None, 11),
        lambda: PlanStep("x", None, -1),
        lambda: WellbeingLine("q", 12, "", 3, ""),
        lambda: PlanActivity(name="x", weeks=0),
        lambda: replace(samples.sample_plan(), person_name="  "),
    ],
)
def test_bad_data_is_refused_when_made(make: Any) -> None:
    with pytest.raises(DocumentDataError):
        make()


def test_plan_document_is_frozen() -> None:
    doc: PlanDocument = samples.sample_plan()
    with pytest.raises(AttributeError):
        doc.person_name = "Someone else"  # type: ignore[misc]


def test_builders_write_no_files(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    build_plan(samples.sample_plan())
    build_visit_pack(samples.sample_pack())
    build_letter(samples.sample_letter())
    assert list(tmp_path.iterdir()) == []


def test_printed_on_date_is_in_the_footer(read_pdf: Any) -> None:
    doc = replace(samples.sample_plan(), printed_on=date(2026, 1, 2))
    assert "printed 2 January 2026" in read_pdf(build_plan(doc)).pages[-1]
