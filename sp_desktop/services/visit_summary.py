"""What the visit screen needs in one read: the visit, the person's concerns, steps, wellbeing
history and any autosaved draft; plus the drafts left behind that can be resumed at unlock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sp_desktop.domain.choices import VisitStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.measures import Measure, Sitting
from sp_desktop.domain.people import Concern, Person, Step
from sp_desktop.domain.wellbeing import ONS4, Assessment, AssessmentContext, ItemChange, change
from sp_desktop.services.visits import VisitRecord

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

VISIT_DRAFT_PREFIX = "visit:"


def visit_draft_key(visit_id: str) -> str:
    return VISIT_DRAFT_PREFIX + visit_id


@dataclass(frozen=True, slots=True)
class VisitSummary:
    """A visit with everything around it.

    `concerns` and `steps` are the person's (from every visit), because concerns are re-rated
    and steps carried on across visits. `assessments` is the ONS4 history, oldest first;
    `sittings` every measure answered. `context` is what answers taken at this visit count as
    (baseline or review, decided by the wellbeing service) and `offered` the measures the
    scheme asks then (settings). `draft` is the autosaved typing not yet in the visit record.
    """

    person: Person
    record: VisitRecord
    concerns: tuple[Concern, ...]
    steps: tuple[Step, ...]
    assessments: tuple[Assessment, ...]
    draft: dict[str, Any] | None
    sittings: tuple[Sitting, ...] = ()
    context: AssessmentContext = AssessmentContext.BASELINE
    offered: tuple[Measure, ...] = ()

    def sitting_of_visit(self, measure_key: str) -> Sitting | None:
        """The latest answers to that measure taken on the visit's day."""
        day = self.record.visit.visit_date
        same_day = [s for s in self.sittings if s.measure == measure_key and s.taken_on == day]
        return same_day[-1] if same_day else None

    def first_sitting(self, measure_key: str) -> Sitting | None:
        mine = [s for s in self.sittings if s.measure == measure_key]
        return mine[0] if mine else None

    @property
    def signed(self) -> bool:
        return self.record.visit.status is VisitStatus.SIGNED

    @property
    def first_assessment(self) -> Assessment | None:
        return self.assessments[0] if self.assessments else None

    @property
    def assessment_of_visit(self) -> Assessment | None:
        """The latest assessment taken on the visit's day (ONS4 is asked during the visit)."""
        day = self.record.visit.visit_date
        same_day = [a for a in self.assessments if a.assessed_on == day]
        return same_day[-1] if same_day else None

    @property
    def change_since_first(self) -> tuple[ItemChange, ...] | None:
        first, this = self.first_assessment, self.assessment_of_visit
        if first is None or this is None or first.id == this.id:
            return None
        return change(first.scores, this.scores)


@dataclass(frozen=True, slots=True)
class ResumableVisit:
    """A draft left behind (the app was closed, locked or killed mid-visit)."""

    visit_id: str
    person_id: str
    person_name: str
    visit_date: date
    saved_at: str


def visit_summary(ws: Workspace, visit_id: str, *, audited: bool = True) -> VisitSummary:
    """Opening a visit views the person (audited); a redraw after a change does not."""
    record = ws.visits.get(visit_id)
    person_id = record.visit.person_id
    sittings = tuple(ws.wellbeing.sittings(person_id))
    context = ws.wellbeing.context_for(person_id, record.visit.visit_date)
    return VisitSummary(
        person=ws.people.view(person_id) if audited else ws.people.get(person_id),
        record=record,
        concerns=tuple(ws.visits.concerns_of(person_id)),
        steps=tuple(ws.visits.steps_of(person_id)),
        assessments=tuple(Assessment.from_sitting(s) for s in sittings if s.measure == ONS4),
        draft=ws.drafts.load(visit_draft_key(visit_id)),
        sittings=sittings,
        context=context,
        offered=ws.wellbeing.measures_at(context),
    )


def resumable_visits(ws: Workspace) -> list[ResumableVisit]:
    """Visit drafts whose visit is still open, newest first (a signed visit's draft is stale)."""
    found: list[ResumableVisit] = []
    for key, saved_at in ws.drafts.pending():
        if not key.startswith(VISIT_DRAFT_PREFIX):
            continue
        try:
            record = ws.visits.get(key.removeprefix(VISIT_DRAFT_PREFIX))
        except ValidationError:  # a draft for a visit that is gone is simply not offered
            continue
        visit = record.visit
        if visit.status is VisitStatus.SIGNED:
            continue
        person = ws.people.get(visit.person_id)
        found.append(
            ResumableVisit(
                visit.id, visit.person_id, person.display_name, visit.visit_date, saved_at
            )
        )
    return found
