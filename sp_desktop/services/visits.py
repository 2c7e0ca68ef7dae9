"""Home visits: the guided conversation's notes, concerns and steps, signing the record, and
corrections of a signed record (addenda: new records by their own author; the visit stays)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, RowMapping, delete, select

from sp_desktop.domain.choices import VisitPlace, VisitStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.people import Concern, Rating, Step, Visit
from sp_desktop.services.resources import conversation_guide
from sp_desktop.services.workspace import Changes
from sp_desktop.store.changes import now_text, writing_adviser
from sp_desktop.store.schema import (
    concern_ratings,
    concerns,
    drafts,
    follow_ups,
    people,
    step_progress,
    steps,
    visit_addenda,
    visits,
)
from sp_desktop.sync.protocol import OpKind

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace


def visit_from_row(row: RowMapping) -> Visit:
    return Visit(
        id=row["id"],
        person_id=row["person_id"],
        visit_date=row["visit_date"],
        place=VisitPlace(row["place"]),
        notes=json.loads(row["notes"]),
        what_matters=row["what_matters"],
        status=VisitStatus(row["status"]),
        signed_by=row["signed_by"],
        corrects_visit_id=row["corrects_visit_id"],
    )


def concern_from_row(row: RowMapping) -> Concern:
    return Concern(
        id=row["id"],
        person_id=row["person_id"],
        domain=row["domain"],
        words=row["words"],
        severity=row["severity"],
        visit_id=row["visit_id"],
    )


def step_from_row(row: RowMapping) -> Step:
    return Step(
        id=row["id"],
        person_id=row["person_id"],
        words=row["words"],
        target_date=row["target_date"],
        progress=row["progress"],
        visit_id=row["visit_id"],
    )


@dataclass(frozen=True, slots=True)
class Addendum:
    """A correction of a signed visit, as written: by whom, on which day, in their words.

    Attributes: `visit_id` the visit it corrects; `person_id` whose visit; `written_on` the
    day it was written; `created_at` when (ISO text), which orders corrections of one day.
    """

    id: str
    visit_id: str
    person_id: str
    words: str
    written_by: str
    written_on: date
    created_at: str


def addendum_from_row(row: RowMapping) -> Addendum:
    return Addendum(
        id=row["id"],
        visit_id=row["visit_id"],
        person_id=row["person_id"],
        words=row["words"],
        written_by=row["written_by"],
        written_on=row["written_on"],
        created_at=row["created_at"],
    )


@dataclass(frozen=True, slots=True)
class VisitRecord:
    """A visit with what was said in it, as the summary screen and the printed plan need it;
    `addenda` are its corrections, oldest first."""

    visit: Visit
    concerns: tuple[Concern, ...]
    steps: tuple[Step, ...]
    addenda: tuple[Addendum, ...] = ()


class VisitService:
    """Start, fill in and sign visits. A signed visit never changes: a correction is an
    addendum, written by its own author and shown with the visit."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def start(
        self,
        person_id: str,
        visit_date: date,
        place: VisitPlace = VisitPlace.HOME,
        corrects_visit_id: str | None = None,
    ) -> Changes:
        visit = Visit(
            id=new_id(),
            person_id=person_id,
            visit_date=visit_date,
            place=place,
            corrects_visit_id=corrects_visit_id,
        )
        with self.ws.write() as conn:
            _require_person(conn, person_id)
            self.ws.changes.insert(conn, visits, _visit_row(visit), person_id)
            first_contacts = (
                conn.execute(
                    select(follow_ups.c.id).where(
                        follow_ups.c.person_id == person_id,
                        follow_ups.c.kind == "first_contact",
                        follow_ups.c.done_on.is_(None),
                        follow_ups.c.deleted.is_(False),
                    )
                )
                .scalars()
                .all()
            )
            for follow_up_id in first_contacts:
                self.ws.changes.update(
                    conn, follow_ups, follow_up_id, {"done_on": visit_date}, person_id
                )
            self.ws.audit(conn, "created", "visit", visit.id, person_id)
        return Changes(frozenset({person_id}), frozenset({"visits", "follow_ups"}), (visit.id,))

    def save_notes(
        self,
        visit_id: str,
        *,
        notes: Mapping[str, str] | None = None,
        what_matters: str | None = None,
    ) -> Changes:
        """Saves conversation notes per life domain and the 'what matters to me' summary."""
        with self.ws.write() as conn:
            person_id = self._save_notes_in(conn, visit_id, notes, what_matters)
        return Changes(frozenset({person_id}), frozenset({"visits"}))

    def _save_notes_in(
        self,
        conn: Connection,
        visit_id: str,
        notes: Mapping[str, str] | None,
        what_matters: str | None,
    ) -> str:
        guide_keys = {d.key for d in conversation_guide().domains}
        visit = self._open_visit(conn, visit_id)
        changes: dict[str, Any] = {}
        if notes is not None:
            unknown = set(notes) - guide_keys
            if unknown:
                raise ValidationError("notes", f"Unknown conversation topic: {sorted(unknown)[0]}")
            merged = {**visit.notes, **{k: v for k, v in notes.items()}}
            changes["notes"] = json.dumps(
                {k: v for k, v in merged.items() if v.strip()},
                ensure_ascii=False,
                sort_keys=True,
            )
        if what_matters is not None:
            changes["what_matters"] = what_matters
        if self.ws.changes.update(conn, visits, visit_id, changes, visit.person_id):
            self.ws.audit(conn, "changed", "visit", visit_id, visit.person_id)
        return visit.person_id

    def add_concern(self, visit_id: str, domain: str, words: str, severity: int) -> Changes:
        _require_domain(domain)
        with self.ws.write() as conn:
            visit = self._open_visit(conn, visit_id)
            concern = Concern(
                id=new_id(),
                person_id=visit.person_id,
                domain=domain,
                words=words.strip(),
                severity=severity,
                visit_id=visit_id,
            )
            self.ws.changes.insert(
                conn,
                concerns,
                {
                    "id": concern.id,
                    "person_id": concern.person_id,
                    "visit_id": visit_id,
                    "domain": domain,
                    "words": concern.words,
                    "severity": severity,
                },
                visit.person_id,
            )
            self._append_rating(
                conn,
                concern_ratings,
                "concern_id",
                concern.id,
                visit.person_id,
                visit.visit_date,
                severity,
            )
            self.ws.audit(conn, "created", "concern", concern.id, visit.person_id)
        return Changes(frozenset({visit.person_id}), frozenset({"concerns"}), (concern.id,))

    def rate_concern(self, concern_id: str, severity: int, on: date) -> Changes:
        """Re-rating keeps the history: a new rating is appended, the concern shows the latest."""
        with self.ws.write() as conn:
            person_id = self.rate_concern_in(conn, concern_id, severity, on)
            self.ws.audit(conn, "changed", "concern", concern_id, person_id)
        return Changes(frozenset({person_id}), frozenset({"concerns", "concern_ratings"}))

    def rate_concern_in(self, conn: Connection, concern_id: str, severity: int, on: date) -> str:
        """`rate_concern` inside a caller's transaction (the closing review); returns the person."""
        row = conn.execute(select(concerns).where(concerns.c.id == concern_id)).mappings().one()
        concern = replace(concern_from_row(row), severity=severity)
        self.ws.changes.update(
            conn, concerns, concern_id, {"severity": severity}, concern.person_id
        )
        self._append_rating(
            conn, concern_ratings, "concern_id", concern_id, concern.person_id, on, severity
        )
        return concern.person_id

    def add_step(
        self,
        person_id: str,
        words: str,
        *,
        target_date: date | None = None,
        progress: int = 0,
        visit_id: str | None = None,
        on: date | None = None,
    ) -> Changes:
        step = Step(
            id=new_id(),
            person_id=person_id,
            words=words.strip(),
            target_date=target_date,
            progress=progress,
            visit_id=visit_id,
        )
        with self.ws.write() as conn:
            _require_person(conn, person_id)
            self.ws.changes.insert(
                conn,
                steps,
                {
                    "id": step.id,
                    "person_id": person_id,
                    "visit_id": visit_id,
                    "words": step.words,
                    "target_date": target_date,
                    "progress": progress,
                },
                person_id,
            )
            self._append_rating(
                conn, step_progress, "step_id", step.id, person_id, on or date.today(), progress
            )
            self.ws.audit(conn, "created", "step", step.id, person_id)
        return Changes(frozenset({person_id}), frozenset({"steps"}), (step.id,))

    def edit_step(
        self, step_id: str, *, words: str | None = None, target_date: date | None = None
    ) -> Changes:
        with self.ws.write() as conn:
            row = conn.execute(select(steps).where(steps.c.id == step_id)).mappings().one()
            step = step_from_row(row)
            edited = replace(
                step,
                words=(words if words is not None else step.words).strip(),
                target_date=target_date if target_date is not None else step.target_date,
            )
            self.ws.changes.update(
                conn,
                steps,
                step_id,
                {"words": edited.words, "target_date": edited.target_date},
                step.person_id,
            )
            self.ws.audit(conn, "changed", "step", step_id, step.person_id)
        return Changes(frozenset({step.person_id}), frozenset({"steps"}))

    def rate_step(self, step_id: str, progress: int, on: date) -> Changes:
        with self.ws.write() as conn:
            person_id = self.rate_step_in(conn, step_id, progress, on)
            self.ws.audit(conn, "changed", "step", step_id, person_id)
        return Changes(frozenset({person_id}), frozenset({"steps", "step_progress"}))

    def rate_step_in(self, conn: Connection, step_id: str, progress: int, on: date) -> str:
        """`rate_step` inside a caller's transaction (the closing review); returns the person."""
        row = conn.execute(select(steps).where(steps.c.id == step_id)).mappings().one()
        step = replace(step_from_row(row), progress=progress)
        self.ws.changes.update(conn, steps, step_id, {"progress": progress}, step.person_id)
        self._append_rating(conn, step_progress, "step_id", step_id, step.person_id, on, progress)
        return step.person_id

    def finish(self, visit_id: str) -> Changes:
        """Signs the visit: from now on it is a fact, and edits are refused."""
        with self.ws.write() as conn:
            person_id = self._finish_in(conn, visit_id)
        return Changes(frozenset({person_id}), frozenset({"visits"}))

    def _finish_in(self, conn: Connection, visit_id: str) -> str:
        visit = self._open_visit(conn, visit_id)
        # Signed in the name the laptop writes as now (registering can change it).
        signer = writing_adviser(conn) or self.ws.adviser or "adviser"
        signed = replace(visit, status=VisitStatus.SIGNED, signed_by=signer)
        self.ws.changes.update(
            conn,
            visits,
            visit_id,
            {
                "status": signed.status.value,
                "signed_by": signed.signed_by,
                "signed_at": now_text(),
            },
            visit.person_id,
        )
        self.ws.audit(conn, "signed", "visit", visit_id, visit.person_id)
        return visit.person_id

    def sign(
        self,
        visit_id: str,
        *,
        notes: Mapping[str, str] | None = None,
        what_matters: str | None = None,
        answers: Mapping[str, Mapping[str, int | None]] | None = None,
    ) -> Changes:
        """Signs a visit with its last notes and the measures answered, in one transaction.

        `answers` maps a measure's key to its answers (None where the person preferred not
        to say). Whether they are the baseline or a review is decided here, from what the
        person has answered before, never by the screen. The visit's draft goes with it: a
        signed visit has nothing left to resume. Either all of it is saved, or none.
        """
        from sp_desktop.services.visit_summary import visit_draft_key

        given = dict(answers or {})
        with self.ws.write() as conn:
            visit = self._open_visit(conn, visit_id)
            person_id = self._save_notes_in(conn, visit_id, notes, what_matters)
            ids: list[str] = []
            if given:
                context = self.ws.wellbeing.context_for(person_id, visit.visit_date)
                for measure_key, measure_answers in given.items():
                    sitting_id = self.ws.wellbeing.record_answers_in(
                        conn,
                        person_id,
                        measure_key,
                        measure_answers,
                        on=visit.visit_date,
                        context=context,
                    )
                    self.ws.audit(conn, "created", "assessment", sitting_id, person_id)
                    ids.append(sitting_id)
            self._finish_in(conn, visit_id)
            conn.execute(delete(drafts).where(drafts.c.key == visit_draft_key(visit_id)))
        tables = {"visits", "answers"} if ids else {"visits"}
        return Changes(frozenset({person_id}), frozenset(tables), (visit_id, *ids))

    def add_addendum(self, visit_id: str, words: str) -> Changes:
        """A correction of a signed visit, in this adviser's name, dated today; the signed
        record itself stays exactly as it was. An unsigned visit is simply edited instead."""
        with self.ws.write() as conn:
            row = (
                conn.execute(
                    select(visits).where(visits.c.id == visit_id, visits.c.deleted.is_(False))
                )
                .mappings()
                .one_or_none()
            )
            if row is None:
                raise ValidationError("visit", "That visit could not be found.")
            visit = visit_from_row(row)
            if visit.status is not VisitStatus.SIGNED:
                raise ValidationError(
                    "visit",
                    "This visit is not signed yet, so it can still be changed: open it and "
                    "change what it says.",
                )
            text = words.strip()
            if not text:
                raise ValidationError("words", "Please write the correction.")
            addendum_id = self.ws.changes.insert(
                conn,
                visit_addenda,
                {
                    "person_id": visit.person_id,
                    "visit_id": visit_id,
                    "words": text,
                    "written_by": writing_adviser(conn) or self.ws.adviser or "adviser",
                    "written_on": date.today(),
                },
                visit.person_id,
                kind=OpKind.APPEND,
            )
            self.ws.audit(conn, "created", "visit_addendum", addendum_id, visit.person_id)
        return Changes(frozenset({visit.person_id}), frozenset({"visit_addenda"}), (addendum_id,))

    # --- reading -------------------------------------------------------------------------------

    def get(self, visit_id: str) -> VisitRecord:
        with self.ws.store.read() as conn:
            row = (
                conn.execute(select(visits).where(visits.c.id == visit_id)).mappings().one_or_none()
            )
            if row is None:
                raise ValidationError("visit", "That visit could not be found.")
            concern_rows = conn.execute(
                select(concerns)
                .where(concerns.c.visit_id == visit_id, concerns.c.deleted.is_(False))
                .order_by(concerns.c.created_at)
            ).mappings()
            step_rows = conn.execute(
                select(steps)
                .where(steps.c.visit_id == visit_id, steps.c.deleted.is_(False))
                .order_by(steps.c.created_at)
            ).mappings()
            return VisitRecord(
                visit_from_row(row),
                tuple(concern_from_row(r) for r in concern_rows),
                tuple(step_from_row(r) for r in step_rows),
                tuple(_addenda(conn, visit_addenda.c.visit_id == visit_id)),
            )

    def addenda_of(self, person_id: str) -> dict[str, tuple[Addendum, ...]]:
        """Every correction of the person's visits, by visit id, oldest first."""
        with self.ws.store.read() as conn:
            found: dict[str, list[Addendum]] = {}
            for addendum in _addenda(conn, visit_addenda.c.person_id == person_id):
                found.setdefault(addendum.visit_id, []).append(addendum)
        return {visit_id: tuple(items) for visit_id, items in found.items()}

    def of_person(self, person_id: str) -> list[Visit]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(visits)
                .where(visits.c.person_id == person_id, visits.c.deleted.is_(False))
                .order_by(visits.c.visit_date.desc(), visits.c.created_at.desc())
            ).mappings()
            return [visit_from_row(r) for r in rows]

    def steps_of(self, person_id: str) -> list[Step]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(steps)
                .where(steps.c.person_id == person_id, steps.c.deleted.is_(False))
                .order_by(steps.c.created_at)
            ).mappings()
            return [step_from_row(r) for r in rows]

    def concerns_of(self, person_id: str) -> list[Concern]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(concerns)
                .where(concerns.c.person_id == person_id, concerns.c.deleted.is_(False))
                .order_by(concerns.c.created_at)
            ).mappings()
            return [concern_from_row(r) for r in rows]

    def step_history(self, step_id: str) -> list[Rating]:
        return self._history(step_progress, "step_id", step_id)

    def concern_history(self, concern_id: str) -> list[Rating]:
        return self._history(concern_ratings, "concern_id", concern_id)

    def _history(self, table: Any, key: str, subject_id: str) -> list[Rating]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(table)
                .where(table.c[key] == subject_id)
                .order_by(table.c.rated_on, table.c.hlc)
            ).mappings()
            return [Rating(r["id"], r[key], r["rated_on"], r["value"]) for r in rows]

    # --- internals -----------------------------------------------------------------------------

    def _open_visit(self, conn: Connection, visit_id: str) -> Visit:
        row = conn.execute(select(visits).where(visits.c.id == visit_id)).mappings().one_or_none()
        if row is None:
            raise ValidationError("visit", "That visit could not be found.")
        visit = visit_from_row(row)
        if visit.status is VisitStatus.SIGNED:
            raise ValidationError(
                "visit", "This visit is signed and cannot be changed. Add a correction instead."
            )
        return visit

    def _append_rating(
        self,
        conn: Connection,
        table: Any,
        key: str,
        subject_id: str,
        person_id: str,
        on: date,
        value: int,
    ) -> None:
        rating = Rating(new_id(), subject_id, on, value)
        self.ws.changes.insert(
            conn,
            table,
            {
                "id": rating.id,
                "person_id": person_id,
                key: subject_id,
                "rated_on": on,
                "value": value,
            },
            person_id,
            kind=OpKind.APPEND,
        )


def _addenda(conn: Connection, which: Any) -> list[Addendum]:
    rows = conn.execute(
        select(visit_addenda)
        .where(which, visit_addenda.c.deleted.is_(False))
        .order_by(visit_addenda.c.written_on, visit_addenda.c.created_at, visit_addenda.c.hlc)
    ).mappings()
    return [addendum_from_row(r) for r in rows]


def _require_person(conn: Connection, person_id: str) -> None:
    found = conn.execute(
        select(people.c.id).where(people.c.id == person_id, people.c.deleted.is_(False))
    ).first()
    if found is None:
        raise ValidationError("person_id", "That person is no longer on this caseload.")


def _require_domain(domain: str) -> None:
    try:
        conversation_guide().domain(domain)
    except KeyError:
        raise ValidationError("domain", f"Unknown life domain: {domain}") from None


def _visit_row(visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.id,
        "person_id": visit.person_id,
        "visit_date": visit.visit_date,
        "place": visit.place.value,
        "notes": json.dumps(visit.notes, ensure_ascii=False),
        "what_matters": visit.what_matters,
        "status": visit.status.value,
        "corrects_visit_id": visit.corrects_visit_id,
    }
