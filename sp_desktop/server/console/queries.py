"""What the console pages read: SQL over the office database, scoped to the viewer's teams.

Every function takes the team ids the viewer may see (None: all) and never returns a row of
another team. Counts come from the report table (`console_people`) with an index; a person's
record and timeline from their rows (by the person index); the directory from its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    false,
    func,
    literal_column,
    select,
    true,
)

from sp_desktop.domain import choice_lists
from sp_desktop.domain.choices import ReferralSource
from sp_desktop.domain.measures import catalogue
from sp_desktop.server.console.reports import read_fields
from sp_desktop.server.db import (
    advisers,
    console_people,
    devices,
    person_scope,
    rows,
    teams,
)

PAGE_SIZE = 50
WEEK = timedelta(days=7)


def _team_filter(column: Any, team_ids: frozenset[int] | None) -> ColumnElement[bool]:
    if team_ids is None:
        return true()
    if not team_ids:
        return false()
    return column.in_(sorted(team_ids))  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Caseload:
    """Counts for one adviser, or a whole team."""

    name: str
    open: int
    waiting: int
    due_this_week: int
    overdue: int
    last_contact: str | None
    key: int | str = ""


def _counts(today: date) -> list[Any]:
    now, week = today.isoformat(), (today + WEEK).isoformat()
    p = console_people.c

    def count(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return [
        count(p.is_open.is_(True)).label("open"),
        count(and_(p.is_open.is_(True), p.waiting.is_(True))).label("waiting"),
        count(and_(p.is_open.is_(True), p.next_due >= now, p.next_due < week)).label("due"),
        count(and_(p.is_open.is_(True), p.next_due < now)).label("overdue"),
        func.max(p.last_contact).label("last_contact"),
    ]


def team_summaries(
    conn: Connection, team_ids: frozenset[int] | None, today: date
) -> list[Caseload]:
    """Every visible team with its caseload counts (teams with nobody yet show zeros)."""
    counted = (
        select(console_people.c.team_id, *_counts(today))
        .where(_team_filter(console_people.c.team_id, team_ids))
        .group_by(console_people.c.team_id)
        .subquery()
    )
    query = (
        select(
            teams.c.id,
            teams.c.name,
            counted.c.open,
            counted.c.waiting,
            counted.c.due,
            counted.c.overdue,
            counted.c.last_contact,
        )
        .outerjoin(counted, counted.c.team_id == teams.c.id)
        .where(_team_filter(teams.c.id, team_ids))
        .order_by(teams.c.name)
    )
    return [
        Caseload(
            r.name,
            int(r.open or 0),
            int(r.waiting or 0),
            int(r.due or 0),
            int(r.overdue or 0),
            r.last_contact,
            key=int(r.id),
        )
        for r in conn.execute(query)
    ]


def team_name(conn: Connection, team_id: int) -> str | None:
    found = conn.execute(select(teams.c.name).where(teams.c.id == team_id)).scalar_one_or_none()
    return None if found is None else str(found)


def adviser_caseloads(conn: Connection, team_id: int, today: date) -> list[Caseload]:
    """Per adviser (as the laptops name the person's adviser) in one team."""
    query = (
        select(console_people.c.adviser, *_counts(today))
        .where(console_people.c.team_id == team_id)
        .group_by(console_people.c.adviser)
        .order_by(console_people.c.adviser)
    )
    return [
        Caseload(
            r.adviser,
            int(r.open),
            int(r.waiting),
            int(r.due),
            int(r.overdue),
            r.last_contact,
            key=str(r.adviser),
        )
        for r in conn.execute(query)
    ]


SHOWS = {
    "open": "open",
    "waiting": "new referrals waiting",
    "due": "due this week",
    "overdue": "overdue",
}


@dataclass(frozen=True, slots=True)
class PersonListing:
    person_id: str
    name: str
    adviser: str
    waiting: bool
    next_due: str | None
    last_contact: str | None


def people(
    conn: Connection,
    team_id: int,
    today: date,
    *,
    show: str = "open",
    adviser: str | None = None,
    page: int = 0,
) -> tuple[list[PersonListing], int]:
    """One page of a team's people (open ones, or those waiting, due or overdue), and how
    many there are in all."""
    p = console_people.c
    now, week = today.isoformat(), (today + WEEK).isoformat()
    conditions: list[ColumnElement[bool]] = [p.team_id == team_id, p.is_open.is_(True)]
    if show == "waiting":
        conditions.append(p.waiting.is_(True))
    elif show == "due":
        conditions += [p.next_due >= now, p.next_due < week]
    elif show == "overdue":
        conditions.append(p.next_due < now)
    if adviser is not None:
        conditions.append(p.adviser == adviser)
    total = int(
        conn.execute(
            select(func.count()).select_from(console_people).where(*conditions)
        ).scalar_one()
    )
    query = (
        select(
            p.person_id,
            p.given_name,
            p.family_name,
            p.adviser,
            p.waiting,
            p.next_due,
            p.last_contact,
        )
        .where(*conditions)
        .order_by(p.family_name, p.given_name, p.person_id)
        .limit(PAGE_SIZE)
        .offset(page * PAGE_SIZE)
    )
    listing = [
        PersonListing(
            r.person_id,
            f"{r.given_name} {r.family_name}".strip(),
            r.adviser,
            bool(r.waiting),
            r.next_due,
            r.last_contact,
        )
        for r in conn.execute(query)
    ]
    return listing, total


# --- one person's record -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    day: str
    what: str
    words: str


@dataclass(frozen=True, slots=True)
class PersonRecord:
    person_id: str
    team_id: int
    details: dict[str, Any]
    timeline: list[TimelineEntry]


def person_team(conn: Connection, person_id: str) -> int | None:
    found = conn.execute(
        select(person_scope.c.team_id).where(person_scope.c.person_id == person_id)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def _words(value: Any) -> str:
    return value.replace("_", " ") if isinstance(value, str) else ""


def _source_words(value: Any) -> str:
    """Who referred, as the laptop shows it ("gp" -> "GP"), in the middle of a sentence."""
    if isinstance(value, str) and value in ReferralSource._value2member_map_:
        label = ReferralSource(value).label
        return label if label.isupper() or label[1:2].isupper() else label[0].lower() + label[1:]
    return _words(value)


def _entry(table: str, fields: dict[str, Any], services: dict[str, str]) -> TimelineEntry | None:
    get = fields.get
    if table == "referrals":
        return TimelineEntry(
            str(get("received_on") or ""),
            "Referral",
            f"From {_source_words(get('source'))}; {_words(get('status') or 'new')}. "
            f"{get('reason') or ''}".strip(),
        )
    if table == "visits":
        return TimelineEntry(
            str(get("visit_date") or ""),
            "Visit",
            f"{_words(get('place')).capitalize()}, "
            f"{_words(get('status') or 'draft')}. "
            f"{get('what_matters') or ''}".strip(),
        )
    if table == "answers":
        found = catalogue().get(str(get("measure")))
        name = (
            "Wellbeing scores" if get("measure") == "ons4" or found is None else (found.short_title)
        )
        return TimelineEntry(str(get("taken_on") or ""), name, f"Taken {_words(get('context'))}.")
    if table == "prescriptions":
        name = services.get(str(get("service_id")), "an activity")
        return TimelineEntry(
            str(get("start_date") or ""),
            "Activity",
            f"{name}: {_words(get('status') or 'active')}.",
        )
    if table == "follow_ups":
        done = get("done_on")
        return TimelineEntry(
            str(get("due_on") or ""), "Follow-up", f"Done on {done}." if done else "Not done yet."
        )
    if table == "attendance":
        stopped = choice_lists.stop_reason_of(get("status"), get("stopped_because"))
        why = f": {choice_lists.stop_reason_words(stopped).lower()}" if stopped else ""
        return TimelineEntry(
            str(get("session_on") or ""),
            "Attendance",
            _words(get("status")).capitalize() + why + ".",
        )
    if table == "closing_reviews":
        return TimelineEntry(
            str(get("closed_on") or ""), "Closed", f"Outcome: {_words(get('outcome'))}."
        )
    return None


def person_record(conn: Connection, person_id: str) -> PersonRecord | None:
    """The person's details and timeline (newest first), read-only; None when unknown."""
    found = conn.execute(
        select(rows.c.table_name, rows.c.team_id, rows.c.fields).where(
            rows.c.person_id == person_id, rows.c.deleted.is_(False)
        )
    ).all()
    details: dict[str, Any] | None = None
    team_id = 0
    others: list[tuple[str, dict[str, Any]]] = []
    for table, row_team, fields in found:
        parsed = read_fields(fields)
        if table == "people":
            details, team_id = parsed, int(row_team or 0)
        else:
            others.append((table, parsed))
    if details is None:
        return None
    service_ids = sorted({str(f.get("service_id")) for t, f in others if t == "prescriptions"})
    services = service_names(conn, service_ids)
    timeline = [e for t, f in others if (e := _entry(t, f, services)) is not None]
    timeline.sort(key=lambda e: e.day, reverse=True)
    return PersonRecord(person_id, team_id, details, timeline)


def service_names(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    found = conn.execute(
        select(rows.c.row_id, rows.c.fields).where(
            rows.c.table_name == "services", rows.c.row_id.in_(list(ids))
        )
    )
    return {r.row_id: str(read_fields(r.fields).get("name") or "") for r in found}


# --- advisers and devices -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdviserListing:
    adviser_id: int
    name: str
    team_id: int
    team: str
    role: str
    active: bool
    laptops: int


def adviser_list(conn: Connection, team_ids: frozenset[int] | None) -> list[AdviserListing]:
    laptops = (
        select(devices.c.adviser_id, func.count().label("n"))
        .where(devices.c.revoked_at.is_(None))
        .group_by(devices.c.adviser_id)
        .subquery()
    )
    query = (
        select(
            advisers.c.id,
            advisers.c.name,
            teams.c.id.label("team_id"),
            teams.c.name.label("team"),
            advisers.c.role,
            advisers.c.active,
            func.coalesce(laptops.c.n, 0).label("laptops"),
        )
        .join(teams, teams.c.id == advisers.c.team_id)
        .outerjoin(laptops, laptops.c.adviser_id == advisers.c.id)
        .where(_team_filter(advisers.c.team_id, team_ids))
        .order_by(teams.c.name, advisers.c.name)
    )
    return [
        AdviserListing(
            int(r.id), r.name, int(r.team_id), r.team, r.role, bool(r.active), int(r.laptops)
        )
        for r in conn.execute(query)
    ]


def adviser(
    conn: Connection, adviser_id: int, team_ids: frozenset[int] | None
) -> AdviserListing | None:
    found = [a for a in adviser_list(conn, team_ids) if a.adviser_id == adviser_id]
    return found[0] if found else None


def teams_of(conn: Connection, team_ids: frozenset[int] | None) -> list[tuple[int, str]]:
    return [
        (int(r.id), str(r.name))
        for r in conn.execute(
            select(teams.c.id, teams.c.name)
            .where(_team_filter(teams.c.id, team_ids))
            .order_by(teams.c.name)
        )
    ]


@dataclass(frozen=True, slots=True)
class DeviceListing:
    device_id: str
    label: str
    adviser: str
    adviser_active: bool
    team: str
    team_id: int
    registered: str
    last_sync: str | None
    waiting: int | None
    oldest_waiting_at: str | None
    app_version: str | None
    revoked: str | None  # None, "retired" or "lost"


def device_list(conn: Connection, team_ids: frozenset[int] | None) -> list[DeviceListing]:
    """Every device of the visible teams, the longest unseen first (they need a look)."""
    query = (
        select(
            devices.c.id,
            devices.c.label,
            advisers.c.name.label("adviser"),
            advisers.c.active,
            teams.c.name.label("team"),
            teams.c.id.label("team_id"),
            devices.c.created_at,
            devices.c.last_seen_at,
            devices.c.waiting,
            devices.c.oldest_waiting_at,
            devices.c.app_version,
            devices.c.revoked_at,
            devices.c.revoke_kind,
        )
        .join(advisers, advisers.c.id == devices.c.adviser_id)
        .join(teams, teams.c.id == advisers.c.team_id)
        .where(_team_filter(advisers.c.team_id, team_ids))
        .order_by(
            devices.c.revoked_at.is_not(None),
            devices.c.last_seen_at.is_(None).desc(),
            devices.c.last_seen_at,
            devices.c.id,
        )
    )
    return [
        DeviceListing(
            r.id,
            r.label,
            r.adviser,
            bool(r.active),
            r.team,
            int(r.team_id),
            r.created_at,
            r.last_seen_at,
            r.waiting,
            r.oldest_waiting_at,
            r.app_version,
            None if r.revoked_at is None else (r.revoke_kind or "lost"),
        )
        for r in conn.execute(query)
    ]


# --- the directory ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceListing:
    service_id: str
    fields: dict[str, Any]
    stale: bool  # not checked for longer than the office allows
    prescribed: int
    stopped: int
    attended: int

    @property
    def name(self) -> str:
        return str(self.fields.get("name") or "")

    @property
    def active(self) -> bool:
        return bool(self.fields.get("active", True))


def _json_text(conn: Connection, name: str) -> Any:
    """A field of a row's JSON as text, in the backend's own JSON functions."""
    if conn.dialect.name == "postgresql":
        return literal_column(f"(CAST(rows.fields AS json) ->> '{name}')")
    return func.json_extract(rows.c.fields, f"$.{name}")


def service_use(
    conn: Connection, team_ids: frozenset[int] | None
) -> dict[str, tuple[int, int, int]]:
    """Per service: prescriptions, sessions attended, and people who stopped going (within
    the visible teams): where each service is prescribed and how attendance goes."""
    service = _json_text(conn, "service_id")
    prescribed: dict[Any, Any] = dict(
        conn.execute(
            select(service, func.count())
            .where(
                rows.c.table_name == "prescriptions",
                rows.c.deleted.is_(False),
                _team_filter(rows.c.team_id, team_ids),
            )
            .group_by(service)
        ).all()
    )
    status = _json_text(conn, "status")
    prescription = _json_text(conn, "prescription_id")
    per_prescription: dict[str, dict[str, int]] = {}
    for pid, state, n in conn.execute(
        select(prescription, status, func.count())
        .where(
            rows.c.table_name == "attendance",
            rows.c.deleted.is_(False),
            _team_filter(rows.c.team_id, team_ids),
        )
        .group_by(prescription, status)
    ):
        per_prescription.setdefault(str(pid), {})[str(state)] = int(n)
    attended: dict[str, int] = {}
    stopped: dict[str, int] = {}
    if per_prescription:
        ids = list(per_prescription)
        for start in range(0, len(ids), 500):
            for pid, sid in conn.execute(
                select(rows.c.row_id, service).where(
                    rows.c.table_name == "prescriptions",
                    rows.c.row_id.in_(ids[start : start + 500]),
                )
            ):
                counts = per_prescription[pid]
                attended[str(sid)] = attended.get(str(sid), 0) + counts.get("attended", 0)
                stopped[str(sid)] = stopped.get(str(sid), 0) + (1 if counts.get("stopped") else 0)
    return {
        str(k): (int(v), attended.get(str(k), 0), stopped.get(str(k), 0))
        for k, v in {**{k: 0 for k in attended}, **prescribed}.items()
    }


def directory(
    conn: Connection,
    today: date,
    stale_days: int,
    team_ids: frozenset[int] | None,
    *,
    query: str = "",
) -> list[ServiceListing]:
    """Every service (withdrawn ones too), flagged when unchecked too long, with its use."""
    use = service_use(conn, team_ids)
    oldest = (today - timedelta(days=stale_days)).isoformat()
    found = conn.execute(
        select(rows.c.row_id, rows.c.fields).where(
            rows.c.table_name == "services", rows.c.deleted.is_(False)
        )
    )
    listed = []
    needle = query.strip().casefold()
    for row_id, fields in found:
        parsed = read_fields(fields)
        if needle and needle not in str(parsed.get("name") or "").casefold():
            continue
        checked = parsed.get("last_checked")
        prescribed, attended, stopped = use.get(row_id, (0, 0, 0))
        listed.append(
            ServiceListing(
                row_id, parsed, not checked or str(checked) < oldest, prescribed, stopped, attended
            )
        )
    listed.sort(key=lambda s: (s.name.casefold(), s.service_id))
    return listed


def service(conn: Connection, service_id: str) -> dict[str, Any] | None:
    found = conn.execute(
        select(rows.c.fields).where(
            rows.c.table_name == "services", rows.c.row_id == service_id, rows.c.deleted.is_(False)
        )
    ).scalar_one_or_none()
    return None if found is None else read_fields(found)


def service_teams(
    conn: Connection, service_id: str, team_ids: frozenset[int] | None
) -> list[tuple[str, int]]:
    """Which teams prescribed this service, and how often."""
    sid = _json_text(conn, "service_id")
    query = (
        select(teams.c.name, func.count())
        .join(teams, teams.c.id == rows.c.team_id)
        .where(
            rows.c.table_name == "prescriptions",
            rows.c.deleted.is_(False),
            sid == service_id,
            _team_filter(rows.c.team_id, team_ids),
        )
        .group_by(teams.c.name)
        .order_by(teams.c.name)
    )
    return [(str(name), int(n)) for name, n in conn.execute(query)]
