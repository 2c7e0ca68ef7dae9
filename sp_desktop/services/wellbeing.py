"""Measures: recording a person's answers to any questionnaire, their history and then and now.

Every measure goes through the one `answers` table; which measures are asked at the baseline,
at reviews and at the end is the scheme's choice in settings. ONS4's typed view (`Assessment`)
is read from the same rows for the screens and printouts written around it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, RowMapping, select

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.measures import (
    Measure,
    MeasureThenAndNow,
    Sitting,
    answers_from_text,
    answers_to_text,
    catalogue,
    measure,
    measure_then_and_now,
)
from sp_desktop.domain.wellbeing import (
    ONS4,
    Assessment,
    AssessmentContext,
    ItemChange,
    Ons4Scores,
    change,
)
from sp_desktop.services.settings import (
    MEASURES_AT_BASELINE,
    MEASURES_AT_EXIT,
    MEASURES_AT_REVIEW,
    Settings,
    measure_keys,
)
from sp_desktop.services.workspace import Changes
from sp_desktop.store.schema import answers, people
from sp_desktop.sync.protocol import OpKind

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

_AT = {
    AssessmentContext.BASELINE: MEASURES_AT_BASELINE,
    AssessmentContext.REVIEW: MEASURES_AT_REVIEW,
    AssessmentContext.EXIT: MEASURES_AT_EXIT,
}


def sitting_from_row(row: RowMapping) -> Sitting:
    return Sitting(
        row["id"],
        row["person_id"],
        row["measure"],
        row["taken_on"],
        AssessmentContext(row["context"]),
        answers_from_text(row["answers"]),
    )


def assessment_from_row(row: RowMapping) -> Assessment:
    return Assessment.from_sitting(sitting_from_row(row))


def then_and_now_of(sittings: list[Sitting]) -> tuple[MeasureThenAndNow, ...]:
    """Each measure among a person's sittings (oldest first): ONS4 first, then the others in
    the order of their definition files."""
    found = []
    for definition in catalogue().values():
        line = measure_then_and_now(definition, sittings)
        if line is not None:
            found.append(line)
    found.sort(key=lambda t: t.measure.key != ONS4)
    return tuple(found)


class WellbeingService:
    """Answers are append-only facts: a mistaken sitting is followed by a new one, never edited."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    # --- which measures, when -------------------------------------------------------------

    def measures_at(self, context: AssessmentContext) -> tuple[Measure, ...]:
        """The questionnaires this scheme asks at that point, in order (settings)."""
        settings = Settings.in_folder(self.ws.store.folder)
        known = catalogue()
        return tuple(known[k] for k in measure_keys(settings.get(_AT[context])) if k in known)

    def context_for(self, person_id: str, on: date, *, closing: bool = False) -> AssessmentContext:
        """Baseline for a person's first answers, review after, exit at the closing review.

        Answers already taken on the same day keep that day's context (a second measure
        answered at the first visit is still a baseline).
        """
        if closing:
            return AssessmentContext.EXIT
        earlier = self.sittings(person_id)
        if not earlier:
            return AssessmentContext.BASELINE
        same_day = [s for s in earlier if s.taken_on == on]
        if same_day and all(s.context is AssessmentContext.BASELINE for s in same_day):
            return AssessmentContext.BASELINE
        return AssessmentContext.REVIEW

    # --- recording --------------------------------------------------------------------------

    def record_answers(
        self,
        person_id: str,
        measure_key: str,
        given: Mapping[str, int | None],
        *,
        on: date,
        context: AssessmentContext | None = None,
    ) -> Changes:
        """One measure's answers for a person (None where they preferred not to say)."""
        chosen = context or self.context_for(person_id, on)
        with self.ws.write() as conn:
            sitting_id = self.record_answers_in(
                conn, person_id, measure_key, given, on=on, context=chosen
            )
            self.ws.audit(conn, "created", "assessment", sitting_id, person_id)
        return Changes(frozenset({person_id}), frozenset({"answers"}), (sitting_id,))

    def record_answers_in(
        self,
        conn: Connection,
        person_id: str,
        measure_key: str,
        given: Mapping[str, int | None],
        *,
        on: date,
        context: AssessmentContext,
    ) -> str:
        """`record_answers` inside a caller's transaction (signing, closing); returns the id."""
        definition = measure(measure_key)
        ordered = {item.key: given.get(item.key) for item in definition.items}
        extra = sorted(set(given) - set(ordered))
        if extra:
            raise ValidationError(
                "answers", f"{definition.title} has no question called {extra[0]!r}."
            )
        definition.check(ordered)
        known = conn.execute(
            select(people.c.id).where(people.c.id == person_id, people.c.deleted.is_(False))
        ).first()
        if known is None:
            raise ValidationError("person_id", "That person is no longer on this caseload.")
        row = {
            "id": new_id(),
            "person_id": person_id,
            "measure": definition.key,
            "taken_on": on,
            "context": AssessmentContext(context).value,
            "answers": answers_to_text(ordered),
        }
        return self.ws.changes.insert(conn, answers, row, person_id, kind=OpKind.APPEND)

    def record(
        self,
        person_id: str,
        scores: Ons4Scores,
        *,
        on: date,
        context: AssessmentContext | None = None,
    ) -> Changes:
        """ONS4 answers (the typed form the older screens use); the context as for
        `record_answers` (decided here when not given)."""
        return self.record_answers(person_id, ONS4, scores.answers(), on=on, context=context)

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
        return self.record_answers_in(
            conn, person_id, ONS4, scores.answers(), on=on, context=context
        )

    # --- reading ------------------------------------------------------------------------------

    def sittings(self, person_id: str, measure_key: str | None = None) -> list[Sitting]:
        """Every measure answered by the person (or one measure), oldest first."""
        query = select(answers).where(
            answers.c.person_id == person_id, answers.c.deleted.is_(False)
        )
        if measure_key is not None:
            query = query.where(answers.c.measure == measure_key)
        with self.ws.store.read() as conn:
            rows = conn.execute(query.order_by(answers.c.taken_on, answers.c.hlc)).mappings()
            return [sitting_from_row(r) for r in rows]

    def history(self, person_id: str) -> list[Assessment]:
        """ONS4 sittings, oldest first."""
        return [Assessment.from_sitting(s) for s in self.sittings(person_id, ONS4)]

    def then_and_now(self, person_id: str) -> tuple[MeasureThenAndNow, ...]:
        """Each measure the person has answered: first and latest sitting, result by result.

        The one comparison the person view and every printout show (ONS4 first, then the
        others in the order of their definition files).
        """
        return then_and_now_of(self.sittings(person_id))

    def change_since_first(self, person_id: str) -> tuple[ItemChange, ...] | None:
        """Per-item ONS4 change, first assessment to latest; None with fewer than two."""
        history = self.history(person_id)
        if len(history) < 2:
            return None
        return change(history[0].scores, history[-1].scores)
