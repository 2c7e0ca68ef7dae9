"""A person's journey for the person screen: details, latest referral and a dated timeline."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sp_desktop.domain.choices import Consent, ReferralStatus, VisitStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.measures import MeasureThenAndNow, Sitting, catalogue
from sp_desktop.domain.people import Person, Referral
from sp_desktop.services.resources import conversation_guide
from sp_desktop.services.visits import Addendum
from sp_desktop.services.wellbeing import then_and_now_of

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

# SNOMED CT (UK) codes the GP record receives; shown so the adviser knows what was recorded.
SNOMED_DECLINED = "871711000000103 |Social prescribing declined|"
SNOMED_REFERRED = "871731000000106 |Referral to social prescribing service|"


class TimelineKind(enum.StrEnum):
    REFERRAL = "Referral"
    VISIT = "Visit"
    ASSESSMENT = "Wellbeing"
    STEP = "Step"
    PRESCRIPTION = "Activity"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One dated thing in a person's journey, already worded for the screen.

    `subject_id` names the row it came from, so the screen can open a visit from it.
    `unfinished` marks a visit not yet signed (it can still be carried on); a signed visit
    takes corrections instead, listed in its `detail` under its own words.
    """

    on: date
    kind: TimelineKind
    title: str
    detail: str
    subject_id: str
    unfinished: bool = False


@dataclass(frozen=True, slots=True)
class PersonLink:
    """Someone else on the caseload, named as the adviser knows them (a carer link's other end).

    Attributes:
        person_id: who.
        name: their display name (preferred name first).
    """

    person_id: str
    name: str


@dataclass(frozen=True, slots=True)
class PersonOverview:
    """Everything the person screen shows, read in one go.

    Attributes (beyond the obvious): `cares_for`, the person on the caseload they are the carer
    of, if any; `cared_for_by`, everyone on the caseload who cares for them.
    """

    person: Person
    referral: Referral | None
    timeline: tuple[TimelineEntry, ...]
    unfinished_visit_id: str | None
    cares_for: PersonLink | None = None
    cared_for_by: tuple[PersonLink, ...] = ()
    then_and_now: tuple[MeasureThenAndNow, ...] = ()

    @property
    def can_start_visit(self) -> bool:
        return self.why_no_visit == ""

    @property
    def why_no_visit(self) -> str:
        """Empty when a visit may start; otherwise the reason, in words."""
        if self.referral is None:
            return "Record a referral first."
        if self.referral.status is ReferralStatus.DECLINED:
            return f"{self.person.display_name} declined social prescribing."
        if self.referral.status is ReferralStatus.CLOSED:
            return "Their referral is closed. Record a new referral to start again."
        return ""


def scores_in_words(sitting: Sitting) -> str:
    """'life satisfaction 6 (medium), …' — each result as its measure reports it; never a
    total the instrument does not have (ONS publishes none for ONS4)."""
    definition = catalogue().get(sitting.measure)
    if definition is None:
        return "answers to a questionnaire this version does not know"
    return ", ".join(
        result.in_a_list(result.score(sitting.answers)) for result in definition.results
    )


def sitting_title(sitting: Sitting) -> str:
    """'Wellbeing questions (baseline)' for ONS4, else the measure's short name."""
    definition = catalogue().get(sitting.measure)
    name = (
        "Wellbeing questions"
        if sitting.measure == "ons4" or definition is None
        else (definition.short_title)
    )
    return f"{name} ({sitting.context.value})"


def referral_words(referral: Referral) -> str:
    parts = [f"From {referral.source.label}"]
    who = ", ".join(p for p in (referral.referrer_name, referral.referrer_organisation) if p)
    if who:
        parts[0] += f" ({who})"
    if referral.reason:
        parts.append(referral.reason)
    if referral.consent is Consent.GIVEN:
        parts.append("Consent given.")
    elif referral.consent is Consent.DECLINED:
        parts.append(f"Declined — recorded as {SNOMED_DECLINED}.")
    else:
        parts.append("Consent not asked yet.")
    return " · ".join(parts)


def person_overview(ws: Workspace, person_id: str, *, audited: bool = True) -> PersonOverview:
    """The person and their journey, newest first.

    Opening someone's record is audited (a write); redrawing it after a change is not, so the
    audit trail says who looked, not how often the screen refreshed.
    """
    person = ws.people.view(person_id) if audited else ws.people.get(person_id)
    referrals = ws.people.referrals_of(person_id)
    visits = ws.visits.of_person(person_id)
    addenda = ws.visits.addenda_of(person_id)
    sittings = ws.wellbeing.sittings(person_id)
    steps = ws.visits.steps_of(person_id)
    prescriptions = ws.prescribing.of_person(person_id)
    names = _service_names(ws, {p.service_id for p in prescriptions})
    entries: list[TimelineEntry] = []
    for referral in referrals:
        entries.append(
            TimelineEntry(
                referral.received_on,
                TimelineKind.REFERRAL,
                f"Referral — {referral.status.label.lower()}",
                referral_words(referral),
                referral.id,
            )
        )
    unfinished: str | None = None
    for visit in visits:
        signed = visit.status is VisitStatus.SIGNED
        if not signed and unfinished is None:
            unfinished = visit.id
        title = f"{visit.place.label} visit" + ("" if signed else " — not finished yet")
        detail = _visit_words(visit.what_matters, visit.notes)
        if visit.corrects_visit_id:
            title += " (a correction)"
        corrections = addenda.get(visit.id, ())
        if corrections:
            title += " — corrected"
            detail += "".join(f"\n{correction_words(a)}" for a in corrections)
        entries.append(
            TimelineEntry(visit.visit_date, TimelineKind.VISIT, title, detail, visit.id, not signed)
        )
    for sitting in sittings:
        entries.append(
            TimelineEntry(
                sitting.taken_on,
                TimelineKind.ASSESSMENT,
                sitting_title(sitting),
                scores_in_words(sitting),
                sitting.id,
            )
        )
    for step in steps:
        by_when = f" · by {step.target_date:%d %b %Y}" if step.target_date else ""
        entries.append(
            TimelineEntry(
                _step_date(ws, step.id),
                TimelineKind.STEP,
                f"Step: “{step.words}”",
                f"Progress {step.progress} out of 10{by_when}",
                step.id,
            )
        )
    for prescription in prescriptions:
        entries.append(
            TimelineEntry(
                prescription.start_date,
                TimelineKind.PRESCRIPTION,
                f"Activity: {names.get(prescription.service_id, 'from the directory')}",
                f"{prescription.weeks} weeks, {prescription.status.label.lower()}",
                prescription.id,
            )
        )
    entries.sort(key=lambda e: e.on, reverse=True)
    cares_for = _link(ws, person.carer_of_id) if person.carer_of_id else None
    carers = (_link(ws, carer_id) for carer_id in ws.people.carers_of(person_id))
    return PersonOverview(
        person,
        referrals[0] if referrals else None,
        tuple(entries),
        unfinished,
        cares_for,
        tuple(sorted((c for c in carers if c is not None), key=lambda c: c.name)),
        then_and_now_of(sittings),
    )


def correction_words(addendum: Addendum) -> str:
    """'Correction by Ann Smith, 3 March 2026: …' — who, when and what, in one line."""
    day = f"{addendum.written_on.day} {addendum.written_on:%B %Y}"
    return f"Correction by {addendum.written_by}, {day}: {addendum.words}"


def _link(ws: Workspace, person_id: str) -> PersonLink | None:
    """The other end of a carer link; None if they have since left the caseload."""
    try:
        other = ws.people.get(person_id)
    except ValidationError:
        return None
    return PersonLink(other.id, other.display_name)


def _visit_words(what_matters: str, notes: dict[str, str]) -> str:
    """'What matters: …' when written, else the topics talked about, by their titles."""
    if what_matters.strip():
        return f"What matters: {what_matters.strip()}"
    titles = [d.title for d in conversation_guide().domains if notes.get(d.key, "").strip()]
    return ("Talked about: " + ", ".join(titles)) if titles else "No notes yet."


def _step_date(ws: Workspace, step_id: str) -> date:
    history = ws.visits.step_history(step_id)
    return history[0].rated_on if history else date.today()


def _service_names(ws: Workspace, ids: set[str]) -> dict[str, str]:
    """Names from the directory, including entries since removed (old prescriptions name them)."""
    if not ids:
        return {}
    from sp_desktop.services.directory import DirectoryService

    return {sid: service.name for sid, service in DirectoryService(ws).get_many(ids).items()}
