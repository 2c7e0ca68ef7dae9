"""ONS4 wellbeing: recording assessments and reading a person's history and change."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, RowMapping, select

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.wellbeing import (
    Assessment,
    AssessmentContext,
    ItemChange,
    Ons4Item,
    Ons4Scores,
    change,
)
from sp_desktop.services.workspace import Changes
from sp_desktop.store.schema import assessments, people
from sp_desktop.sync.protocol import OpKind

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace


def assessment_from_row(row: RowMapping) -> Assessment:
    scores = Ons4Scores(**{item.value: row[item.value] for item in Ons4Item})
    return Assessment(
        row["id"], row["person_id"], row["assessed_on"], AssessmentContext(row["context"]), scores
    )


class WellbeingService:
    """Assessments are append-only facts: a mistaken one is followed by a new one, never edited."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def record(
        self,
        person_id: str,
        scores: Ons4Scores,
        *,
        on: date,
        context: AssessmentContext = AssessmentContext.BASELINE,
    ) -> Changes:
        with self.ws.write() as conn:
            assessment_id = self.record_in(conn, person_id, scores, on=on, context=context)
            self.ws.audit(conn, "created", "assessment", assessment_id, person_id)
        return Changes(frozenset({person_id}), frozenset({"assessments"}), (assessment_id,))

    def record_in(
        self,
        conn: Connection,
        person_id: str,
        scores: Ons4Scores,
        *,
        on: date,
        context: AssessmentContext,
    ) -> str:
        """`record` inside a caller's transaction (the closing review); returns the new id."""
        assessment = Assessment(new_id(), person_id, on, context, scores)
        known = conn.execute(
            select(people.c.id).where(people.c.id == person_id, people.c.deleted.is_(False))
        ).first()
        if known is None:
            raise ValidationError("person_id", "That person is no longer on this caseload.")
        row = {
            "id": assessment.id,
            "person_id": person_id,
            "assessed_on": on,
            "context": assessment.context.value,
            **{i.value: scores.score(i) for i in Ons4Item},
        }
        return self.ws.changes.insert(conn, assessments, row, person_id, kind=OpKind.APPEND)

    def history(self, person_id: str) -> list[Assessment]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(assessments)
                .where(assessments.c.person_id == person_id, assessments.c.deleted.is_(False))
                .order_by(assessments.c.assessed_on, assessments.c.hlc)
            ).mappings()
            return [assessment_from_row(r) for r in rows]

    def change_since_first(self, person_id: str) -> tuple[ItemChange, ...] | None:
        """Per-item change from the first assessment to the latest; None with fewer than two."""
        history = self.history(person_id)
        if len(history) < 2:
            return None
        return change(history[0].scores, history[-1].scores)
