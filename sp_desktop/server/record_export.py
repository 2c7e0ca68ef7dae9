"""Records out at the office: everyone referred in a date range, as FHIR R4 or analysts' CSV.

Read from the rows the laptops synced (the office holds each row's fields as JSON), turned into
the same plain records the laptop exports (:mod:`sp_desktop.interchange.records`), and written
by the same exporters, so a person's bundle is the same wherever it was made. No endpoint and
no page: the office console calls these for the reports a manager asks for.

Only rows that are not deleted count; a person erased at the office has no rows left to read.
The directory (team-less rows) names the activities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from sp_desktop.domain.choice_lists import conditions_from_text
from sp_desktop.domain.choices import (
    AssessmentContext,
    ClosingOutcome,
    PrescriptionStatus,
    ProviderReferral,
    ReferralSource,
)
from sp_desktop.domain.measures import Sitting, answers_from_text
from sp_desktop.domain.prescribing import DEFAULT_WEEKS, Prescription
from sp_desktop.interchange.analyst_csv import analyst_zip
from sp_desktop.interchange.fhir_record import bundle_json, record_bundle
from sp_desktop.interchange.records import (
    ActivityFacts,
    CaseClosed,
    ConcernFacts,
    PersonFacts,
    PersonRecord,
    ReferralFacts,
    StepFacts,
    activity_standing,
    answers_of,
    concern_facts,
    measure_definitions,
)
from sp_desktop.server.db import read_transaction, rows

Fields = Mapping[str, Any]
_PERSON_TABLES = (
    "people",
    "referrals",
    "steps",
    "concerns",
    "concern_ratings",
    "prescriptions",
    "answers",
    "closing_reviews",
)


def referred_between(
    conn: Connection, start: date, end: date, *, team_ids: Collection[int] | None = None
) -> list[PersonRecord]:
    """Everyone with a referral received from `start` to `end` (both included), by person id.

    `team_ids` limits it to those teams' people (a manager's); None is every team.
    """
    if end < start:
        raise ValueError("The end of the period is before its start.")
    chosen = set()
    for person_id, fields in _live(conn, "referrals", team_ids=team_ids):
        received = _day(fields.get("received_on"))
        if person_id and received is not None and start <= received <= end:
            chosen.add(person_id)
    if not chosen:
        return []
    by_table: dict[str, dict[str, list[tuple[str, Fields]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    found = conn.execute(
        select(rows.c.table_name, rows.c.row_id, rows.c.person_id, rows.c.fields).where(
            rows.c.person_id.in_(sorted(chosen)),
            rows.c.table_name.in_(_PERSON_TABLES),
            rows.c.deleted.is_(False),
        )
    )
    for table, row_id, person_id, fields in found:
        by_table[table][person_id].append((row_id, orjson.loads(fields)))
    service_ids = {
        str(f.get("service_id"))
        for theirs in by_table["prescriptions"].values()
        for _row_id, f in theirs
    }
    directory = dict(_live(conn, "services", row_ids=service_ids, key="row_id"))
    records = []
    for person_id in sorted(chosen):
        people_rows = by_table["people"].get(person_id, [])
        if not people_rows:
            continue  # referral synced before its person: nothing to say who it is
        records.append(_record(person_id, people_rows[0][1], by_table, directory))
    return records


def fhir_for_period(
    engine: Engine,
    start: date,
    end: date,
    *,
    team_ids: Collection[int] | None = None,
    made_at: datetime | None = None,
) -> bytes:
    """The FHIR R4 collection Bundle (JSON) of everyone referred in the period."""
    with read_transaction(engine) as conn:
        found = referred_between(conn, start, end, team_ids=team_ids)
    return bundle_json(record_bundle(found, measure_definitions(), made_at=made_at))


def csv_for_period(
    engine: Engine, start: date, end: date, *, team_ids: Collection[int] | None = None
) -> bytes:
    """The analysts' CSV tables (zip, nobody named) of everyone referred in the period."""
    with read_transaction(engine) as conn:
        found = referred_between(conn, start, end, team_ids=team_ids)
    return analyst_zip(found, measure_definitions())


# --- reading rows -----------------------------------------------------------------------------


def _live(
    conn: Connection,
    table: str,
    *,
    team_ids: Collection[int] | None = None,
    row_ids: Collection[str] | None = None,
    key: str = "person_id",
) -> Iterable[tuple[str, Fields]]:
    query = select(rows.c.row_id, rows.c.person_id, rows.c.fields).where(
        rows.c.table_name == table, rows.c.deleted.is_(False)
    )
    if team_ids is not None:
        query = query.where(rows.c.team_id.in_(list(team_ids)))
    if row_ids is not None:
        query = query.where(rows.c.row_id.in_(sorted(row_ids)))
    for row_id, person_id, fields in conn.execute(query):
        yield (row_id if key == "row_id" else person_id), orjson.loads(fields)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _text(fields: Fields, name: str) -> str:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""


def _whole(fields: Fields, name: str, default: int | None = None) -> int | None:
    value = fields.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


# --- rows to a record -------------------------------------------------------------------------


def _record(
    person_id: str,
    person: Fields,
    by_table: Mapping[str, Mapping[str, list[tuple[str, Fields]]]],
    directory: Mapping[str, Fields],
) -> PersonRecord:
    theirs = {table: by_table[table].get(person_id, []) for table in _PERSON_TABLES}
    ratings: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for _row_id, f in theirs["concern_ratings"]:
        rated, value = _day(f.get("rated_on")), _whole(f, "value")
        if rated is not None and value is not None:
            ratings[str(f.get("concern_id"))].append((rated, value))
    closings = sorted(
        ((row_id, f) for row_id, f in theirs["closing_reviews"] if _day(f.get("closed_on"))),
        key=lambda r: (_day(r[1].get("closed_on")), r[0]),
    )
    team = _text(person, "team")
    return PersonRecord(
        person=PersonFacts(
            id=person_id,
            given_name=_text(person, "given_name"),
            family_name=_text(person, "family_name"),
            preferred_name=_text(person, "preferred_name"),
            date_of_birth=_day(person.get("date_of_birth")),
            nhs_number=_text(person, "nhs_number") or None,
            gender=_text(person, "gender") or None,
            ethnicity=_text(person, "ethnicity") or None,
            address_lines=tuple(
                line.strip() for line in _text(person, "address").splitlines() if line.strip()
            ),
            postcode=_text(person, "postcode"),
            phone=_text(person, "phone"),
            email=_text(person, "email"),
            conditions=conditions_from_text(_text(person, "conditions")),
            gp_practice=_text(person, "gp_practice"),
        ),
        organisation=team or "Social prescribing",
        referrals=tuple(
            sorted(
                (r for r in (_referral(row_id, f) for row_id, f in theirs["referrals"]) if r),
                key=lambda r: (r.received_on, r.id),
            )
        ),
        steps=tuple(
            StepFacts(
                row_id, _text(f, "words"), _whole(f, "progress", 0) or 0, _day(f.get("target_date"))
            )
            for row_id, f in sorted(theirs["steps"])
        ),
        concerns=tuple(
            _concern(row_id, f, sorted(ratings.get(row_id, [])))
            for row_id, f in sorted(theirs["concerns"])
        ),
        activities=tuple(
            a
            for a in (
                _activity(row_id, person_id, f, directory) for row_id, f in theirs["prescriptions"]
            )
            if a is not None
        ),
        measures=tuple(
            answers_of(s)
            for s in sorted(
                (
                    s
                    for s in (_sitting(row_id, person_id, f) for row_id, f in theirs["answers"])
                    if s
                ),
                key=lambda s: (s.taken_on, s.id),
            )
        ),
        closing=_closing(*closings[-1]) if closings else None,
    )


def _referral(row_id: str, f: Fields) -> ReferralFacts | None:
    received = _day(f.get("received_on"))
    if received is None:
        return None
    try:
        source = ReferralSource(str(f.get("source")))
    except ValueError:
        source = ReferralSource.OTHER
    return ReferralFacts(
        id=row_id,
        received_on=received,
        source=source.value,
        source_words=source.label,
        referrer_name=_text(f, "referrer_name"),
        referrer_organisation=_text(f, "referrer_organisation"),
        reason=_text(f, "reason"),
        status=_text(f, "status") or "new",
        consent=_text(f, "consent") or "pending",
        consent_on=_day(f.get("consent_on")),
    )


def _concern(row_id: str, f: Fields, history: list[tuple[date, int]]) -> ConcernFacts:
    return concern_facts(
        row_id,
        _text(f, "domain"),
        _text(f, "words"),
        _whole(f, "severity"),
        [v for _d, v in history],
    )


def _activity(
    row_id: str, person_id: str, f: Fields, directory: Mapping[str, Fields]
) -> ActivityFacts | None:
    start = _day(f.get("start_date"))
    service = directory.get(str(f.get("service_id")), {})
    if start is None:
        return None
    try:
        prescription = Prescription(
            id=row_id,
            person_id=person_id,
            service_id=str(f.get("service_id")),
            start_date=start,
            weeks=_whole(f, "weeks", DEFAULT_WEEKS) or DEFAULT_WEEKS,
            provider_referral=ProviderReferral(f.get("provider_referral") or "to_send"),
            status=PrescriptionStatus(f.get("status") or "active"),
            ended_on=_day(f.get("ended_on")),
        )
    except ValueError:  # the office checked it on arrival; a row it cannot read is left out
        return None
    carries_on = f.get("carries_on")
    return ActivityFacts(
        id=row_id,
        name=_text(service, "name") or "Activity",
        provider=_text(service, "organisation"),
        status=prescription.status.value,
        status_words=activity_standing(prescription),
        start_date=start,
        weeks=prescription.weeks,
        ended_on=prescription.ended_on,
        carries_on=carries_on if isinstance(carries_on, bool) else None,
    )


def _sitting(row_id: str, person_id: str, f: Fields) -> Sitting | None:
    taken = _day(f.get("taken_on"))
    if taken is None:
        return None
    try:
        return Sitting(
            row_id,
            person_id,
            str(f.get("measure")),
            taken,
            AssessmentContext(f.get("context") or "baseline"),
            answers_from_text(str(f.get("answers"))),
        )
    except ValueError:
        return None


def _closing(row_id: str, f: Fields) -> CaseClosed | None:
    closed = _day(f.get("closed_on"))
    try:
        outcome = ClosingOutcome(str(f.get("outcome")))
    except ValueError:
        return None
    if closed is None:
        return None
    return CaseClosed(
        id=row_id,
        closed_on=closed,
        outcome=outcome.value,
        outcome_words=outcome.label,
        reason=_text(f, "reason"),
        carries_on=bool(f.get("carries_on")),
    )
