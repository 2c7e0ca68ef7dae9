"""A person's record leaving the app: gathered from the store, written as FHIR or CSV, audited.

The exports themselves are built from plain data in :mod:`sp_desktop.interchange`; this module
gathers that data for one person and records in the audit trail that the record left the app.
Like printouts, exports are built in memory and written only where the adviser chooses.

Every measure shipped in resources/measures/ goes out the same way: answers as a
QuestionnaireResponse, the definition as its Questionnaire; nothing here names one.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sp_desktop.interchange.records import (
    ActivityFacts,
    CaseClosed,
    ConcernFacts,
    ExportKind,
    MeasureAnswers,
    MeasureDefinition,
    PersonFacts,
    PersonRecord,
    ReferralFacts,
    StepFacts,
    activity_standing,
    answers_of,
    concern_facts,
    export_file_name,
)
from sp_desktop.interchange.records import measure_definitions as shipped_definitions

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace


@dataclass(frozen=True, slots=True)
class ExportedRecord:
    """An export held in memory until the adviser saves it.

    `data` and `file_name` are left out of the repr: they hold a person's details.

    Attributes:
        kind: FHIR bundle, CSV zip or PRSB message.
        data: the file's bytes.
        file_name: the name offered in the save box.
        person_ids: everyone whose details are in it (one audit event each).
        media_type: what the file is, for a save filter ("application/fhir+json").
    """

    kind: ExportKind
    data: bytes = field(repr=False)
    file_name: str = field(repr=False)
    person_ids: tuple[str, ...] = field(repr=False)
    media_type: str


# --- measures ------------------------------------------------------------------------------


def measure_definitions() -> dict[str, MeasureDefinition]:
    """Every measure shipped (resources/measures/), for shipping with the answers."""
    return shipped_definitions()


def measure_answers(ws: Workspace, person_id: str) -> tuple[MeasureAnswers, ...]:
    """Every measure the person answered, oldest first."""
    return tuple(answers_of(s) for s in ws.wellbeing.sittings(person_id))


# --- gathering one person ---------------------------------------------------------------------


def person_record(ws: Workspace, person_id: str) -> PersonRecord:
    """Everything the exports say about one person, read from the store as it is now."""
    person = ws.people.get(person_id)
    closing = ws.closing.closing_review_of(person_id)
    history = {c.id: c for c in concerns_with_ids(ws, person_id)}
    return PersonRecord(
        person=PersonFacts(
            id=person.id,
            given_name=person.given_name,
            family_name=person.family_name,
            preferred_name=person.preferred_name or "",
            date_of_birth=person.date_of_birth,
            nhs_number=person.nhs_number.digits if person.nhs_number else None,
            gender=person.gender.value if person.gender else None,
            ethnicity=person.ethnicity.value if person.ethnicity else None,
            address_lines=tuple(
                line.strip() for line in person.address.splitlines() if line.strip()
            ),
            postcode=person.postcode.strip(),
            phone=person.phone.strip(),
            email=person.email.strip(),
            gp_practice=person.gp_practice.strip(),
            conditions=person.conditions,
        ),
        organisation=ws.team.strip() or "Social prescribing",
        referrals=tuple(
            ReferralFacts(
                id=r.id,
                received_on=r.received_on,
                source=r.source.value,
                source_words=r.source.label,
                referrer_name=r.referrer_name.strip(),
                referrer_organisation=r.referrer_organisation.strip(),
                reason=r.reason.strip(),
                status=r.status.value,
                consent=r.consent.value,
                consent_on=r.consent_on,
            )
            for r in reversed(ws.people.referrals_of(person_id))  # oldest first
        ),
        steps=tuple(
            StepFacts(s.id, s.words, s.progress, s.target_date)
            for s in ws.visits.steps_of(person_id)
        ),
        concerns=tuple(history.values()),
        activities=tuple(
            ActivityFacts(
                id=p.id,
                name=service.name.strip() or "Activity",
                provider=service.organisation.strip(),
                status=p.status.value,
                status_words=activity_standing(p),
                start_date=p.start_date,
                weeks=p.weeks,
                ended_on=p.ended_on,
                carries_on=p.carries_on,
            )
            for p, service in ws.prescribing.with_services(person_id)
        ),
        measures=measure_answers(ws, person_id),
        closing=CaseClosed(
            id=closing.id,
            closed_on=closing.closed_on,
            outcome=closing.outcome.value,
            outcome_words=closing.outcome.label,
            reason=closing.reason,
            carries_on=closing.carries_on,
        )
        if closing is not None
        else None,
    )


def concerns_with_ids(ws: Workspace, person_id: str) -> list[ConcernFacts]:
    """The concerns with their area's title and first and latest rating, as the letter has them."""
    return [
        concern_facts(
            c.id,
            c.domain,
            c.words,
            c.severity,
            [r.value for r in ws.visits.concern_history(c.id)],
        )
        for c in ws.visits.concerns_of(person_id)
    ]


# --- the exports ------------------------------------------------------------------------------


def fhir_export(
    ws: Workspace, person_id: str, *, made_at: datetime | None = None
) -> ExportedRecord:
    """The person's record as a FHIR R4 Bundle (JSON), checked before it is handed back."""
    from sp_desktop.interchange.fhir_record import bundle_json, record_bundle

    record = person_record(ws, person_id)
    bundle = record_bundle([record], measure_definitions(), made_at=made_at)
    return ExportedRecord(
        kind=ExportKind.FHIR,
        data=bundle_json(bundle),
        file_name=file_name_for(ExportKind.FHIR, _name(record.person), _day(made_at)),
        person_ids=(person_id,),
        media_type="application/fhir+json",
    )


def csv_export(ws: Workspace, person_id: str, *, made_at: datetime | None = None) -> ExportedRecord:
    """The person's record as CSV tables for analysts, in one zip (no names or contact details)."""
    from sp_desktop.interchange.analyst_csv import analyst_zip

    record = person_record(ws, person_id)
    return ExportedRecord(
        kind=ExportKind.CSV,
        data=analyst_zip([record], measure_definitions()),
        file_name=file_name_for(ExportKind.CSV, _name(record.person), _day(made_at)),
        person_ids=(person_id,),
        media_type="application/zip",
    )


def record_exported(ws: Workspace, export: ExportedRecord) -> None:
    """Audit: the export was saved where the adviser chose, one event per person in it."""
    with ws.write() as conn:
        ws.audit_many(
            conn, [("exported", export.kind.value, None, pid) for pid in export.person_ids]
        )


def file_name_for(kind: ExportKind, name: str, day: date) -> str:
    """The name offered in the save box (see :func:`export_file_name`)."""
    return export_file_name(kind, name, day)


def save_export(ws: Workspace, person_id: str, kind: ExportKind, path: Path) -> ExportedRecord:
    """Builds the export, writes it at exactly `path` and audits it: the person view's one call.

    A half-written file is removed rather than left behind.
    """
    export = (fhir_export if kind is ExportKind.FHIR else csv_export)(ws, person_id)
    try:
        with path.open("wb") as out:
            out.write(export.data)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    record_exported(ws, export)
    return export


def _day(made_at: datetime | None) -> date:
    return made_at.date() if made_at else date.today()


def _name(person: PersonFacts) -> str:
    return f"{person.given_name} {person.family_name}"
