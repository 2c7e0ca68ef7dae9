"""Prescribing activities from the directory, and following them up until the case closes.

Follow-ups drive the caseload's due and overdue views (through its triggers); attendance and
volunteering hours are append-only facts. Closing a case lives in :mod:`.closing`, carers in
:mod:`.people`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, RowMapping, select

from sp_desktop.domain.choice_lists import stop_reason_of
from sp_desktop.domain.choices import (
    AttendanceStatus,
    PrescriptionStatus,
    ProviderReferral,
)
from sp_desktop.domain.directory import Category, Service
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.prescribing import (
    DEFAULT_WEEKS,
    Attendance,
    FollowUp,
    FollowUpKind,
    Prescription,
    VolunteerHours,
)
from sp_desktop.services.directory import service_from_row
from sp_desktop.services.workspace import Changes
from sp_desktop.store.schema import (
    attendance,
    follow_ups,
    people,
    prescriptions,
    services,
    volunteer_hours,
)
from sp_desktop.sync.protocol import OpKind

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace


def prescription_from_row(row: RowMapping) -> Prescription:
    return Prescription(
        id=row["id"],
        person_id=row["person_id"],
        service_id=row["service_id"],
        start_date=row["start_date"],
        weeks=row["weeks"],
        accompany_first=row["accompany_first"],
        provider_referral=ProviderReferral(row["provider_referral"]),
        waiting_weeks=row["waiting_weeks"],
        declined_reason=row["declined_reason"],
        status=PrescriptionStatus(row["status"]),
        adviser=row["adviser"],
        team=row["team"],
        ended_on=row.get("ended_on"),
        carries_on=row.get("carries_on"),
    )


def attendance_from_row(row: RowMapping) -> Attendance:
    """A session as stored; a stopped one from before reasons were asked reads as "other"."""
    return Attendance(row["id"], row["prescription_id"], row["session_on"], row["status"],
                      row["reason"], stop_reason_of(row["status"], row.get("stopped_because")))


def follow_up_from_row(row: RowMapping) -> FollowUp:
    return FollowUp(
        id=row["id"],
        person_id=row["person_id"],
        due_on=row["due_on"],
        kind=row["kind"],
        prescription_id=row["prescription_id"],
        done_on=row["done_on"],
        notes=row["notes"],
    )


def prescription_row(p: Prescription) -> dict[str, Any]:
    return {
        "id": p.id,
        "person_id": p.person_id,
        "service_id": p.service_id,
        "start_date": p.start_date,
        "weeks": p.weeks,
        "accompany_first": p.accompany_first,
        "provider_referral": p.provider_referral.value,
        "waiting_weeks": p.waiting_weeks,
        "declined_reason": p.declined_reason,
        "status": p.status.value,
        "adviser": p.adviser,
        "team": p.team,
        "ended_on": p.ended_on,
        "carries_on": p.carries_on,
    }


@dataclass(frozen=True, slots=True)
class PrescriptionDetails:
    """One activity as the prescription screen shows it: what, how the referral stands, and
    the follow-ups, sessions and hours recorded so far."""

    prescription: Prescription
    service: Service
    follow_ups: tuple[FollowUp, ...]
    attendance: tuple[Attendance, ...]
    volunteer_hours: tuple[VolunteerHours, ...]

    @property
    def hours_given(self) -> float:
        return sum(h.hours for h in self.volunteer_hours)

    @property
    def sessions_attended(self) -> int:
        return sum(1 for a in self.attendance if a.status is AttendanceStatus.ATTENDED)


class PrescribingService:
    """Prescriptions, follow-ups, attendance and volunteering hours (carers: people.py)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    # --- prescribing ---------------------------------------------------------------------------

    def prescribe(
        self,
        person_id: str,
        service_id: str,
        start_date: date,
        *,
        weeks: int = DEFAULT_WEEKS,
        accompany_first: bool = False,
    ) -> Changes:
        """A prescription plus its default reviews (2 and 6 weeks, and at the end)."""
        return self.prescribe_many(
            person_id,
            [service_id],
            start_date,
            weeks=weeks,
            accompany_first=[service_id] if accompany_first else (),
        )

    def prescribe_many(
        self,
        person_id: str,
        service_ids: Sequence[str],
        start_date: date,
        *,
        weeks: int = DEFAULT_WEEKS,
        accompany_first: Collection[str] = (),
    ) -> Changes:
        """Several activities chosen together, each with its own reviews; all or none saved.

        `accompany_first` names the activities the link worker goes to the first session of.
        Refused: no activity chosen, an activity paused or removed from the directory, or one
        the person already has running.
        """
        chosen = list(dict.fromkeys(service_ids))
        if not chosen:
            raise ValidationError("services", "Please choose at least one activity.")
        planned = [
            Prescription(
                id=new_id(),
                person_id=person_id,
                service_id=service_id,
                start_date=start_date,
                weeks=weeks,
                accompany_first=service_id in accompany_first,
                adviser=self.ws.adviser,
                team=self.ws.team,
            )
            for service_id in chosen
        ]
        with self.ws.write() as conn:
            require_person(conn, person_id)
            found = _services(conn, chosen)
            running = set(
                conn.execute(
                    select(prescriptions.c.service_id).where(
                        prescriptions.c.person_id == person_id,
                        prescriptions.c.status == PrescriptionStatus.ACTIVE.value,
                        prescriptions.c.deleted.is_(False),
                    )
                ).scalars()
            )
            for service_id in chosen:
                service = found.get(service_id)
                if service is None:
                    raise ValidationError("services", "That activity is not in the directory.")
                if not service.active:
                    raise ValidationError(
                        "services", f"{service.name} is paused in the directory just now."
                    )
                if service_id in running:
                    raise ValidationError("services", f"They are already doing {service.name}.")
            for p in planned:
                self.ws.changes.insert(conn, prescriptions, prescription_row(p), person_id)
            reviews = [
                {
                    "person_id": person_id,
                    "prescription_id": p.id,
                    "due_on": due,
                    "kind": FollowUpKind.END if due == p.end_date else FollowUpKind.REVIEW,
                }
                for p in planned
                for due in p.review_dates()
            ]
            self.ws.changes.insert_many(conn, follow_ups, reviews, [person_id] * len(reviews))
            self.ws.audit_many(
                conn, [("created", "prescription", p.id, person_id) for p in planned]
            )
        return Changes(
            frozenset({person_id}),
            frozenset({"prescriptions", "follow_ups"}),
            tuple(p.id for p in planned),
        )

    def of_person(self, person_id: str) -> list[Prescription]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(prescriptions)
                .where(prescriptions.c.person_id == person_id, prescriptions.c.deleted.is_(False))
                .order_by(prescriptions.c.start_date, prescriptions.c.created_at)
            ).mappings()
            return [prescription_from_row(r) for r in rows]

    def with_services(self, person_id: str) -> list[tuple[Prescription, Service]]:
        """The person's prescriptions with their directory entries, oldest first: what the
        printouts and the letter list.

        Entries removed from the directory since (tombstones) are included, so an old
        prescription still names the activity the person went to.
        """
        with self.ws.store.read() as conn:
            found = [
                prescription_from_row(r)
                for r in conn.execute(
                    select(prescriptions)
                    .where(
                        prescriptions.c.person_id == person_id,
                        prescriptions.c.deleted.is_(False),
                    )
                    .order_by(prescriptions.c.start_date, prescriptions.c.created_at)
                ).mappings()
            ]
            by_service = _services(conn, [p.service_id for p in found])
        return [(p, by_service[p.service_id]) for p in found if p.service_id in by_service]

    def get(self, prescription_id: str) -> Prescription:
        with self.ws.store.read() as conn:
            return _prescription(conn, prescription_id)

    def details(self, person_id: str) -> list[PrescriptionDetails]:
        """Everything the prescription screen shows for one person, in one read."""
        with self.ws.store.read() as conn:
            found = [
                prescription_from_row(r)
                for r in conn.execute(
                    select(prescriptions)
                    .where(
                        prescriptions.c.person_id == person_id,
                        prescriptions.c.deleted.is_(False),
                    )
                    .order_by(prescriptions.c.start_date, prescriptions.c.created_at)
                ).mappings()
            ]
            by_service = _services(conn, [p.service_id for p in found])
            reviews = self._follow_ups(conn, person_id)
            sessions = _facts(conn, attendance, person_id, attendance.c.session_on)
            hours = _facts(conn, volunteer_hours, person_id, volunteer_hours.c.logged_on)
        return [
            PrescriptionDetails(
                p,
                by_service[p.service_id],
                tuple(f for f in reviews if f.prescription_id == p.id),
                tuple(
                    attendance_from_row(r)
                    for r in sessions
                    if r["prescription_id"] == p.id
                ),
                tuple(
                    VolunteerHours(r["id"], r["prescription_id"], r["logged_on"], r["hours"])
                    for r in hours
                    if r["prescription_id"] == p.id
                ),
            )
            for p in found
        ]

    def set_provider_referral(
        self,
        prescription_id: str,
        status: ProviderReferral,
        *,
        waiting_weeks: int | None = None,
        reason: str = "",
        on: date | None = None,
    ) -> Changes:
        """Where the referral to the provider stands. Waiting list needs the weeks; declined
        needs the reason, and cancels the activity and its open reviews (it will not happen)."""
        day = on or date.today()
        with self.ws.write() as conn:
            current = _prescription(conn, prescription_id)
            changed = current.with_provider_referral(
                status, waiting_weeks=waiting_weeks, reason=reason
            )
            if changed.status is PrescriptionStatus.CANCELLED:
                changed = replace(changed, ended_on=max(day, current.start_date))
                close_follow_ups(self.ws, conn, current.person_id, day, current.id)
            self.ws.changes.update(
                conn, prescriptions, current.id, prescription_row(changed), current.person_id
            )
            self.ws.audit(conn, "changed", "prescription", current.id, current.person_id)
        return Changes(frozenset({current.person_id}), frozenset({"prescriptions", "follow_ups"}))

    def cancel(self, prescription_id: str, on: date | None = None) -> Changes:
        """The activity will not go ahead, or was chosen by mistake: ends it and its reviews."""
        day = on or date.today()
        with self.ws.write() as conn:
            current = _prescription(conn, prescription_id)
            if not current.is_active:
                raise ValidationError("status", "This activity has already ended.")
            cancelled = replace(
                current,
                status=PrescriptionStatus.CANCELLED,
                ended_on=max(day, current.start_date),
            )
            self.ws.changes.update(
                conn, prescriptions, current.id, prescription_row(cancelled), current.person_id
            )
            close_follow_ups(self.ws, conn, current.person_id, day, current.id)
            self.ws.audit(conn, "changed", "prescription", current.id, current.person_id)
        return Changes(frozenset({current.person_id}), frozenset({"prescriptions", "follow_ups"}))

    # --- follow-ups ----------------------------------------------------------------------------

    def follow_ups_of(self, person_id: str, *, open_only: bool = False) -> list[FollowUp]:
        with self.ws.store.read() as conn:
            found = self._follow_ups(conn, person_id)
        return [f for f in found if f.is_open] if open_only else found

    def move_follow_up(
        self, follow_up_id: str, due_on: date, *, today: date | None = None
    ) -> Changes:
        """A review moved to another day (the person is away, the group is on a break)."""
        with self.ws.write() as conn:
            current = _follow_up(conn, follow_up_id)
            moved = current.moved_to(due_on, today or date.today())
            self.ws.changes.update(
                conn, follow_ups, current.id, {"due_on": moved.due_on}, current.person_id
            )
            self.ws.audit(conn, "changed", "follow_up", current.id, current.person_id)
        return Changes(frozenset({current.person_id}), frozenset({"follow_ups"}))

    def complete_follow_up(
        self, follow_up_id: str, on: date, notes: str = "", *, today: date | None = None
    ) -> Changes:
        """Marks a follow-up done, with what was said; it leaves the due and overdue views."""
        with self.ws.write() as conn:
            current = _follow_up(conn, follow_up_id)
            done = current.done(on, notes, today or date.today())
            self.ws.changes.update(
                conn,
                follow_ups,
                current.id,
                {"done_on": done.done_on, "notes": done.notes},
                current.person_id,
            )
            self.ws.audit(conn, "changed", "follow_up", current.id, current.person_id)
        return Changes(frozenset({current.person_id}), frozenset({"follow_ups"}))

    def add_follow_up(
        self,
        person_id: str,
        due_on: date,
        *,
        prescription_id: str | None = None,
        notes: str = "",
        today: date | None = None,
    ) -> Changes:
        """An extra check-in, for the person or about one of their activities."""
        if due_on < (today or date.today()):
            raise ValidationError("due_on", "Please choose today or a later date.")
        with self.ws.write() as conn:
            require_person(conn, person_id)
            if prescription_id is not None:
                owner = _prescription(conn, prescription_id).person_id
                if owner != person_id:
                    raise ValidationError("prescription", "That activity is someone else's.")
            follow_up_id = self.ws.changes.insert(
                conn,
                follow_ups,
                {
                    "person_id": person_id,
                    "prescription_id": prescription_id,
                    "due_on": due_on,
                    "kind": FollowUpKind.CHECK_IN,
                    "notes": notes.strip(),
                },
                person_id,
            )
            self.ws.audit(conn, "created", "follow_up", follow_up_id, person_id)
        return Changes(frozenset({person_id}), frozenset({"follow_ups"}), (follow_up_id,))

    # --- attendance and volunteering -----------------------------------------------------------

    def record_attendance(
        self,
        prescription_id: str,
        session_on: date,
        status: AttendanceStatus,
        reason: str = "",
        *,
        stopped_because: str | None = None,
        today: date | None = None,
    ) -> Changes:
        """Whether they went to a session. "Stopped" needs why (a key from
        resources/stop_reasons.json; `reason` is optional detail in words) and ends the
        activity; its follow-ups stay, because that is exactly when a call helps."""
        fact = Attendance(new_id(), prescription_id, session_on, status, reason.strip(),
                          stopped_because or None)
        with self.ws.write() as conn:
            current = _prescription(conn, prescription_id)
            current.check_session(session_on, today or date.today())
            self.ws.changes.insert(
                conn,
                attendance,
                {
                    "id": fact.id,
                    "person_id": current.person_id,
                    "prescription_id": current.id,
                    "session_on": session_on,
                    "status": fact.status.value,
                    "reason": fact.reason,
                    "stopped_because": fact.stopped_because,
                },
                current.person_id,
                kind=OpKind.APPEND,
            )
            tables = {"attendance"}
            if fact.status is AttendanceStatus.STOPPED and current.is_active:
                ended = replace(current, status=PrescriptionStatus.ENDED, ended_on=session_on)
                self.ws.changes.update(
                    conn, prescriptions, current.id, prescription_row(ended), current.person_id
                )
                tables.add("prescriptions")
            self.ws.audit(conn, "created", "attendance", fact.id, current.person_id)
        return Changes(frozenset({current.person_id}), frozenset(tables), (fact.id,))

    def attendance_of(self, prescription_id: str) -> list[Attendance]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(attendance)
                .where(attendance.c.prescription_id == prescription_id)
                .order_by(attendance.c.session_on, attendance.c.hlc)
            ).mappings()
            return [attendance_from_row(r) for r in rows]

    def log_volunteer_hours(
        self, prescription_id: str, on: date, hours: float, *, today: date | None = None
    ) -> Changes:
        """Hours given on a volunteering activity (the volunteering pathway)."""
        with self.ws.write() as conn:
            current = _prescription(conn, prescription_id)
            service = _services(conn, [current.service_id])[current.service_id]
            if service.category is not Category.VOLUNTEERING:
                raise ValidationError(
                    "hours", f"{service.name} is not volunteering, so hours are not logged."
                )
            try:
                current.check_session(on, today or date.today())
            except ValidationError as exc:
                raise ValidationError("logged_on", exc.message) from None
            fact = VolunteerHours(new_id(), current.id, on, hours)
            self.ws.changes.insert(
                conn,
                volunteer_hours,
                {
                    "id": fact.id,
                    "person_id": current.person_id,
                    "prescription_id": current.id,
                    "logged_on": on,
                    "hours": fact.hours,
                },
                current.person_id,
                kind=OpKind.APPEND,
            )
            self.ws.audit(conn, "created", "volunteer_hours", fact.id, current.person_id)
        return Changes(frozenset({current.person_id}), frozenset({"volunteer_hours"}), (fact.id,))

    def volunteer_hours_of(self, prescription_id: str) -> list[VolunteerHours]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(volunteer_hours)
                .where(volunteer_hours.c.prescription_id == prescription_id)
                .order_by(volunteer_hours.c.logged_on, volunteer_hours.c.hlc)
            ).mappings()
            return [
                VolunteerHours(r["id"], r["prescription_id"], r["logged_on"], r["hours"])
                for r in rows
            ]

    # --- internals -----------------------------------------------------------------------------

    def _follow_ups(self, conn: Connection, person_id: str) -> list[FollowUp]:
        rows = conn.execute(
            select(follow_ups)
            .where(follow_ups.c.person_id == person_id, follow_ups.c.deleted.is_(False))
            .order_by(follow_ups.c.due_on, follow_ups.c.created_at)
        ).mappings()
        return [follow_up_from_row(r) for r in rows]


def require_person(conn: Connection, person_id: str) -> None:
    found = conn.execute(
        select(people.c.id).where(people.c.id == person_id, people.c.deleted.is_(False))
    ).first()
    if found is None:
        raise ValidationError("person", "That person is no longer on this caseload.")


def _services(conn: Connection, service_ids: Iterable[str]) -> dict[str, Service]:
    """Directory entries by id, removed ones included (old prescriptions still name them)."""
    rows = conn.execute(
        select(services).where(services.c.id.in_(list(set(service_ids))))
    ).mappings()
    return {r["id"]: service_from_row(r) for r in rows}


def _prescription(conn: Connection, prescription_id: str) -> Prescription:
    row = (
        conn.execute(select(prescriptions).where(prescriptions.c.id == prescription_id))
        .mappings()
        .one_or_none()
    )
    if row is None or row["deleted"]:
        raise ValidationError("prescription", "That activity could not be found.")
    return prescription_from_row(row)


def _follow_up(conn: Connection, follow_up_id: str) -> FollowUp:
    row = (
        conn.execute(select(follow_ups).where(follow_ups.c.id == follow_up_id))
        .mappings()
        .one_or_none()
    )
    if row is None or row["deleted"]:
        raise ValidationError("follow_up", "That follow-up could not be found.")
    return follow_up_from_row(row)


def _facts(conn: Connection, table: Any, person_id: str, day: Any) -> list[RowMapping]:
    return list(
        conn.execute(
            select(table)
            .where(table.c.person_id == person_id, table.c.deleted.is_(False))
            .order_by(day, table.c.hlc)
        ).mappings()
    )


def close_follow_ups(
    ws: Workspace, conn: Connection, person_id: str, on: date, prescription_id: str | None
) -> None:
    """Open follow-ups done as of `on`: all the person's, or just one activity's."""
    query = select(follow_ups.c.id).where(
        follow_ups.c.person_id == person_id,
        follow_ups.c.done_on.is_(None),
        follow_ups.c.deleted.is_(False),
    )
    if prescription_id is not None:
        query = query.where(follow_ups.c.prescription_id == prescription_id)
    for follow_up_id in conn.execute(query).scalars().all():
        ws.changes.update(conn, follow_ups, follow_up_id, {"done_on": on}, person_id)
