"""The letter back to the referrer and GP: the PRSB dataset, the ONS4 change and the codes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from sp_desktop.pdf import samples
from sp_desktop.pdf.letter import build_letter, change_words
from sp_desktop.pdf.model import (
    REFERRAL_TO_SOCIAL_PRESCRIBING,
    SOCIAL_PRESCRIBING_DECLINED,
    SOCIAL_PRESCRIBING_OFFERED,
    Change,
    DocumentDataError,
    PersonDetails,
    Practice,
    SnomedCode,
    WellbeingOutcome,
)


@pytest.fixture(scope="module")
def letter() -> bytes:
    return build_letter(samples.sample_letter())


@pytest.fixture
def text(letter: bytes, read_pdf: Any) -> str:
    return str(read_pdf(letter).flat)


def test_person_demographics(text: str) -> None:
    assert "Name Zoë Dvořák" in text
    assert "Date of birth 4 May 1941" in text
    assert "NHS number 999 123 4519" in text
    assert "Address Flat 3, 27 Elm Road, Northfield, NF2 8QT" in text


def test_nhs_number_on_every_page(letter: bytes, read_pdf: Any) -> None:
    pdf = read_pdf(letter)
    assert len(pdf.pages) >= 2
    for number, page in enumerate(pdf.pages, start=1):
        flat = " ".join(page.split())
        assert "Zoë Dvořák, NHS number 999 123 4519" in flat
        assert f"Page {number} of {len(pdf.pages)}" in flat


def test_referrer_referral_and_date(text: str) -> None:
    assert "Dr Amara Okafor, GP" in text
    assert "3 Station Road" in text
    assert "Dear Dr Amara Okafor," in text
    assert "on 2 December 2025" in text
    assert "Reason for referral: Lives alone since her husband died last year." in text
    assert "10 March 2026" in text


def test_needs_and_concerns(text: str) -> None:
    for concern in samples.sample_letter().concerns:
        assert concern.domain in text
        assert f"\u201c{concern.words}\u201d" in text
    assert "Loneliness \u201cI can go days without speaking to anyone.\u201d 8 4" in text
    assert "not recorded" in text  # the money concern has no latest severity


def test_support_offered(text: str) -> None:
    assert (
        "Tuesday tea and chat St Anne's Community Centre Accepted 6 January 2026 12 weeks" in text
    )
    assert "Befriending phone calls Brookside Befrienders Declined" in text
    assert "Benefits check Citizens Advice Northfield Completed 20 January 2026" in text


def test_ons4_change_in_the_letter(text: str) -> None:
    assert "Life satisfaction 4 (low) 7 (high) Up 3: better" in text
    assert "Worthwhile 5 (medium) 7 (high) Up 2: better" in text
    assert "Happiness Preferred not to say 6 (medium) Not known" in text
    assert "Anxiety 7 (high) 3 (low) Down 4: better" in text
    assert "First (9 December 2025)" in text and "Latest (3 March 2026)" in text


@pytest.mark.parametrize(
    ("first", "latest", "lower_is_better", "change", "words"),
    [
        (4, 7, False, Change.BETTER, "Up 3: better"),
        (7, 4, False, Change.WORSE, "Down 3: worse"),
        (7, 3, True, Change.BETTER, "Down 4: better"),
        (3, 7, True, Change.WORSE, "Up 4: worse"),
        (5, 5, False, Change.SAME, "No change"),
        (5, 5, True, Change.SAME, "No change"),
        (None, 5, False, Change.NOT_KNOWN, "Not known"),
        (5, None, True, Change.NOT_KNOWN, "Not known"),
        (0, 0, False, Change.SAME, "No change"),
        (0, 10, True, Change.WORSE, "Up 10: worse"),
    ],
)
def test_change_accounts_for_anxiety(
    first: int | None, latest: int | None, lower_is_better: bool, change: Change, words: str
) -> None:
    outcome = WellbeingOutcome("Item", first, "a", latest, "b", lower_is_better=lower_is_better)
    assert outcome.change is change
    assert change_words(outcome) == words


def test_declined_item_is_never_printed_as_zero(read_pdf: Any) -> None:
    doc = replace(
        samples.sample_letter(),
        wellbeing=(WellbeingOutcome("Happiness", None, "", None, ""),),
    )
    text = read_pdf(build_letter(doc)).flat
    assert "Happiness Preferred not to say Preferred not to say Not known" in text


def test_outcome_and_carrying_on(text: str) -> None:
    assert "Attendance Allowance" in text
    assert "Carrying on: Yes, the person plans to carry on with their activities." in text


@pytest.mark.parametrize(
    ("carries_on", "words"),
    [(True, "Carrying on: Yes"), (False, "Carrying on: No"), (None, "Carrying on: Not known.")],
)
def test_carrying_on_in_words(carries_on: bool | None, words: str, read_pdf: Any) -> None:
    doc = replace(samples.sample_letter(), carries_on=carries_on)
    assert words in read_pdf(build_letter(doc)).flat


def test_snomed_codes_with_terms(text: str) -> None:
    assert "871731000000106 Referral to social prescribing service" in text
    assert "871691000000100 Social prescribing offered" in text
    # The service decides which codes apply; the letter prints only those.
    assert "871711000000103" not in text


def test_declined_code_when_the_service_chooses_it(read_pdf: Any) -> None:
    doc = replace(
        samples.sample_letter(), codes=(REFERRAL_TO_SOCIAL_PRESCRIBING, SOCIAL_PRESCRIBING_DECLINED)
    )
    text = read_pdf(build_letter(doc)).flat
    assert "871711000000103 Social prescribing declined" in text
    assert SOCIAL_PRESCRIBING_OFFERED.code not in text


def test_no_codes_section_without_codes(read_pdf: Any) -> None:
    doc = replace(samples.sample_letter(), codes=())
    assert "SNOMED CT" not in read_pdf(build_letter(doc)).flat


@pytest.mark.parametrize("code", ["871691000000101", "87169100000010x", "12345", ""])
def test_snomed_code_with_a_typo_is_refused(code: str) -> None:
    with pytest.raises(DocumentDataError):
        SnomedCode(code, "Social prescribing offered")


def test_signature_block(text: str) -> None:
    assert (
        "Yours sincerely Siobhán O'Connell Social prescribing link worker "
        "Brookside Link Workers Phone 020 7946 0321"
    ) in text


def test_copy_to_practice_only_when_it_is_not_the_referrer(read_pdf: Any) -> None:
    same = read_pdf(build_letter(samples.sample_letter())).flat
    assert "Copy to" not in same
    other = replace(
        samples.sample_letter(),
        practice=Practice("Riverside Surgery", ("1 Mill Lane", "Northfield", "NF4 1RS")),
    )
    assert (
        "Copy to: Riverside Surgery, 1 Mill Lane, Northfield, NF4 1RS"
        in read_pdf(build_letter(other)).flat
    )


def test_unknown_nhs_number(read_pdf: Any) -> None:
    base = samples.sample_letter()
    doc = replace(base, person=replace(base.person, nhs_number=None))
    text = read_pdf(build_letter(doc)).flat
    assert "NHS number Not known" in text


@pytest.mark.parametrize("number", ["99912345", "999 123 451X", "99912345190"])
def test_malformed_nhs_number_is_refused(number: str) -> None:
    with pytest.raises(DocumentDataError):
        PersonDetails("A Person", samples.sample_letter().person.date_of_birth, number, ())


def test_letter_metadata_and_fonts(letter: bytes, read_pdf: Any) -> None:
    pdf = read_pdf(letter)
    assert pdf.reader.metadata.title == "Social prescribing outcome: Zoë Dvořák"
    assert pdf.reader.metadata.author == "Brookside Link Workers"
    assert pdf.reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert pdf.font_problems() == []


def test_sample_nhs_number_is_synthetic_and_valid() -> None:
    number = samples.sample_letter().person.nhs_number
    assert number is not None and number.startswith("999")
    weights = range(10, 1, -1)
    total = sum(int(d) * w for d, w in zip(number[:9], weights, strict=True))
    assert (11 - total % 11) % 11 == int(number[9])
    with pytest.raises(ValueError, match="no valid check digit"):
        samples.synthetic_nhs_number("999123456")
