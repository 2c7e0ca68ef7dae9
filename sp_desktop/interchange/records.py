"""A person's record as plain data, the one shape every export (FHIR, the PRSB message, CSV) reads.

Both sides fill it: the laptop from its store (``services/records.py``) and the office from the
rows it holds, so the exports never reach into a database and give the same answer on both.
Values are as recorded; the words and codes of each output format are the exporter's business.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from sp_desktop.domain.choices import PrescriptionStatus, ProviderReferral
from sp_desktop.domain.measures import AnswerKind, Measure, Sitting, catalogue, measure
from sp_desktop.domain.prescribing import Prescription
from sp_desktop.resource_files import load_json


class ExportKind(enum.StrEnum):
    """What a record is exported as; also the entity named in the audit trail."""

    FHIR = "fhir_record"
    CSV = "analyst_csv"


# What the save box offers for each: the start of the name and the file type.
_EXPORT_NAMES = {
    ExportKind.FHIR: ("Record", ".json"),
    ExportKind.CSV: ("Record for analysts", ".zip"),
}
_UNSAFE_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def export_file_name(kind: ExportKind, name: str, day: date) -> str:
    """The name offered in the save box ("Record - Zoë Dvořák - 2026-03-02.json")."""
    what, suffix = _EXPORT_NAMES[kind]
    stem = " - ".join(p for p in (what, name.strip(), day.isoformat()) if p)
    return _UNSAFE_IN_FILE_NAMES.sub(" ", stem).strip(" .") + suffix


@dataclass(frozen=True, slots=True)
class MeasureItem:
    """One question of a measure, as asked.

    Attributes:
        link_id: the item's key in the definition (stable across wording fixes).
        text: the question exactly as published.
        minimum: the lowest answer allowed.
        maximum: the highest answer allowed.
        options: labelled answers (value, words) where the instrument names each; empty for a
            numeric scale with words only at its ends.
        low_label: the words at the low end of a numeric scale ("Not at all satisfied").
        high_label: the words at the high end.
    """

    link_id: str
    text: str
    minimum: int
    maximum: int
    options: tuple[tuple[int, str], ...] = ()
    low_label: str = ""
    high_label: str = ""


@dataclass(frozen=True, slots=True)
class MeasureDefinition:
    """A questionnaire the scheme uses (ONS4, SWEMWBS, ...), enough to ship it with the answers.

    Attributes:
        key: short stable name ("ons4"), also the end of its canonical URL.
        title: the instrument's name as published.
        version: the definition's version, so answers name what they answered.
        preamble: what is read out before the questions.
        source: who publishes it and which edition.
        items: the questions, in order.
        licence: the licence note ("" when free to use without registration).
    """

    key: str
    title: str
    version: str
    preamble: str
    source: str
    items: tuple[MeasureItem, ...]
    licence: str = ""


@dataclass(frozen=True, slots=True)
class MeasureAnswers:
    """One time a person answered a measure.

    Attributes:
        id: the stored answer set's id.
        measure: the definition's key.
        taken_on: the day they answered.
        context: baseline, review or exit.
        answers: (link id, value) in question order; None means they preferred not to say,
            which is never a zero.
    """

    id: str
    measure: str
    taken_on: date
    context: str
    answers: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """Who the record is about.

    Attributes:
        gender: the app's choice value ("female", "non_binary", ...) or None if not recorded.
        ethnicity: the app's choice value (ONS 2021 categories) or None.
        nhs_number: ten digits, or None when not known.
        conditions: long-term condition keys (resources/conditions.json), sorted.
    """

    id: str
    given_name: str
    family_name: str
    preferred_name: str = ""
    date_of_birth: date | None = None
    nhs_number: str | None = None
    gender: str | None = None
    ethnicity: str | None = None
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    phone: str = ""
    email: str = ""
    gp_practice: str = ""
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReferralFacts:
    """A referral to the scheme and what the person decided.

    Attributes:
        source: who referred, as the app's choice value ("gp", "self", ...).
        source_words: the same in words ("GP").
        status: new, active, declined or closed.
        consent: pending, given or declined.
    """

    id: str
    received_on: date
    source: str
    source_words: str
    referrer_name: str
    referrer_organisation: str
    reason: str
    status: str
    consent: str
    consent_on: date | None = None


@dataclass(frozen=True, slots=True)
class StepFacts:
    """A step the person chose, with how far they got (0 not started - 10 done)."""

    id: str
    words: str
    progress: int
    target_date: date | None = None


@dataclass(frozen=True, slots=True)
class ConcernFacts:
    """A need or concern from the conversation, with how much it bothered them (0-10).

    `severity_latest` is None when it was rated only once.
    """

    id: str
    area: str
    words: str
    severity_first: int | None
    severity_latest: int | None = None


@dataclass(frozen=True, slots=True)
class ActivityFacts:
    """An activity prescribed: what, who runs it, and where it stands in words ("completed")."""

    id: str
    name: str
    provider: str
    status: str
    status_words: str
    start_date: date
    weeks: int
    ended_on: date | None = None
    carries_on: bool | None = None


@dataclass(frozen=True, slots=True)
class CaseClosed:
    """How the journey ended (the closing review)."""

    id: str
    closed_on: date
    outcome: str
    outcome_words: str
    reason: str
    carries_on: bool


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """Everything one export says about one person.

    Attributes:
        organisation: the scheme or team that holds the record (the author of the export).
        measures: every answer set, oldest first.
    """

    person: PersonFacts
    organisation: str
    referrals: tuple[ReferralFacts, ...] = ()
    steps: tuple[StepFacts, ...] = ()
    concerns: tuple[ConcernFacts, ...] = ()
    activities: tuple[ActivityFacts, ...] = ()
    measures: tuple[MeasureAnswers, ...] = ()
    closing: CaseClosed | None = None


def definition_of(measure: Measure) -> MeasureDefinition:
    """A measure as the exports ship it, from its definition file (domain/measures.py).

    The version is a digest of what a person is asked and may answer, so answers given to
    different wording never claim the same questionnaire.
    """
    items = tuple(
        MeasureItem(
            link_id=item.key,
            text=item.question,
            minimum=item.low,
            maximum=item.high,
            options=tuple(sorted(item.labels.items())) if item.kind is AnswerKind.CHOICE else (),
            low_label=item.labels.get(item.low, "") if item.kind is AnswerKind.RATING else "",
            high_label=item.labels.get(item.high, "") if item.kind is AnswerKind.RATING else "",
        )
        for item in measure.items
    )
    asked = json.dumps(
        [measure.key, measure.preamble, [dataclasses.astuple(i) for i in items]],
        ensure_ascii=False,
    )
    licence = measure.licence_note
    if measure.registration_required:
        licence = f"Registration with the publisher is required. {licence}".strip()
    return MeasureDefinition(
        key=measure.key,
        title=measure.title,
        version=hashlib.sha256(asked.encode("utf-8")).hexdigest()[:12],
        preamble=measure.preamble,
        source=measure.source,
        items=items,
        licence=licence,
    )


def measure_definitions() -> dict[str, MeasureDefinition]:
    """Every measure shipped, by key, ready to go out with answers to it."""
    return {key: definition_of(m) for key, m in catalogue().items()}


def answers_of(sitting: Sitting) -> MeasureAnswers:
    """One sitting as the exports read it, answers in the definition's question order."""
    order = [item.key for item in measure(sitting.measure).items]
    answers = dict(sitting.answers)
    return MeasureAnswers(
        id=sitting.id,
        measure=sitting.measure,
        taken_on=sitting.taken_on,
        context=sitting.context.value,
        answers=tuple((key, answers[key]) for key in order if key in answers),
    )


def activity_standing(prescription: Prescription) -> str:
    """Where an activity stands, in words a GP or an analyst reads without knowing the app."""
    status = prescription.status
    referral = prescription.provider_referral
    if status is PrescriptionStatus.CANCELLED:
        return "declined by provider" if referral is ProviderReferral.DECLINED else "cancelled"
    if status is PrescriptionStatus.ENDED:
        ended, start, weeks = prescription.ended_on, prescription.start_date, prescription.weeks
        if ended is not None and (ended - start).days < weeks * 7:
            return "stopped early"
        return "completed"
    return {
        ProviderReferral.TO_SEND: "offered",
        ProviderReferral.SENT: "referral sent",
        ProviderReferral.ACCEPTED: "accepted",
        ProviderReferral.WAITING_LIST: "on waiting list",
        ProviderReferral.DECLINED: "declined by provider",
    }.get(referral, "offered")


@cache
def _area_titles() -> dict[str, str]:
    guide = load_json("conversation_guide.json")
    return {str(d["key"]): str(d["title"]) for d in guide.get("domains", [])}


def area_title(key: str) -> str:
    """A concern's life area as the conversation guide names it ("Loneliness and connection")."""
    return _area_titles().get(key) or key.replace("_", " ").capitalize()


def concern_facts(
    concern_id: str, area_key: str, words: str, severity: int | None, ratings: Sequence[int]
) -> ConcernFacts:
    """A concern with how much it bothered them first and at the latest rating (oldest first).

    A concern rated only once has no "latest": repeating the first number would read as
    "no change" when it was simply never asked again.
    """
    return ConcernFacts(
        id=concern_id,
        area=area_title(area_key),
        words=words,
        severity_first=ratings[0] if ratings else severity,
        severity_latest=ratings[-1] if len(ratings) > 1 else None,
    )
