"""Signing a visit with its answers in one call; baseline or review decided by the service;
which measures are asked when, from settings."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from sp_desktop.domain.choices import AssessmentContext, VisitStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.services.settings import MEASURES_AT_BASELINE, MEASURES_AT_REVIEW, Settings
from sp_desktop.services.timeline import person_overview
from sp_desktop.services.visit_summary import visit_draft_key, visit_summary
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import answers, outbox, visits
from tests.conftest import give_consent

TODAY = date.today()


def _person(ws: Workspace) -> str:
    person_id = ws.people.create(
        given_name="Ada", family_name="Lovelace", date_of_birth=date(1941, 2, 3)
    ).id
    give_consent(ws, person_id)
    return person_id


def _count(ws: Workspace, table: object) -> int:
    with ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


ONS4 = {"life_satisfaction": 4, "worthwhile": None, "happiness": 3, "anxiety": 7}


def test_a_visit_is_signed_with_its_answers_in_one_call(workspace: Workspace) -> None:
    person = _person(workspace)
    visit_id = workspace.visits.start(person, TODAY - timedelta(days=14)).id
    workspace.drafts.save(visit_draft_key(visit_id), {"notes": "typing"})
    changes = workspace.visits.sign(
        visit_id,
        notes={"connection": "Sees her sister on Sundays."},
        what_matters="Getting back to the choir",
        answers={"ons4": ONS4, "ons_loneliness": {"lonely": 1}},
    )
    assert changes.tables == {"visits", "answers"} and person in changes.people
    record = workspace.visits.get(visit_id)
    assert record.visit.status is VisitStatus.SIGNED
    assert record.visit.what_matters == "Getting back to the choir"
    sittings = workspace.wellbeing.sittings(person)
    assert [(s.measure, s.context) for s in sittings] == [
        ("ons4", AssessmentContext.BASELINE),
        ("ons_loneliness", AssessmentContext.BASELINE),
    ]
    assert sittings[0].answers == ONS4 and sittings[0].taken_on == TODAY - timedelta(days=14)
    assert workspace.drafts.load(visit_draft_key(visit_id)) is None

    # The next visit's answers are a review: the service decides, not the screen.
    later = workspace.visits.start(person, TODAY).id
    assert visit_summary(workspace, later).context is AssessmentContext.REVIEW
    workspace.visits.sign(later, answers={"ons_loneliness": {"lonely": 2}})
    assert workspace.wellbeing.sittings(person)[-1].context is AssessmentContext.REVIEW
    [ons4, lonely] = workspace.wellbeing.then_and_now(person)
    assert ons4.measure.key == "ons4" and ons4.first is None
    assert (
        lonely.lines[0].sentence == "You said you felt lonely often/always; now some of the time."
    )


def test_signing_with_answers_that_do_not_fit_saves_nothing(workspace: Workspace) -> None:
    person = _person(workspace)
    visit_id = workspace.visits.start(person, TODAY).id
    queued = _count(workspace, outbox)
    with pytest.raises(ValidationError) as caught:
        workspace.visits.sign(
            visit_id, notes={"connection": "Notes"}, answers={"ons4": {**ONS4, "happiness": 11}}
        )
    assert caught.value.field == "happiness"
    assert "Happiness yesterday is a whole number from 0 to 10" in caught.value.message
    assert workspace.visits.get(visit_id).visit.status is not VisitStatus.SIGNED
    assert workspace.visits.get(visit_id).visit.notes == {}
    assert _count(workspace, answers) == 0
    assert _count(workspace, outbox) == queued
    with pytest.raises(ValidationError, match="no questionnaire called 'phq9'"):
        workspace.visits.sign(visit_id, answers={"phq9": {"q1": 1}})


def test_a_second_measure_on_the_first_day_is_still_the_baseline(workspace: Workspace) -> None:
    person = _person(workspace)
    workspace.wellbeing.record_answers(person, "ons4", ONS4, on=TODAY)
    workspace.wellbeing.record_answers(
        person,
        "who5",
        {k: 3 for k in ("cheerful", "calm", "active", "rested", "interested")},
        on=TODAY,
    )
    contexts = [s.context for s in workspace.wellbeing.sittings(person)]
    assert contexts == [AssessmentContext.BASELINE, AssessmentContext.BASELINE]
    assert workspace.wellbeing.context_for(person, TODAY + timedelta(days=1)) is (
        AssessmentContext.REVIEW
    )
    assert workspace.wellbeing.context_for(person, TODAY, closing=True) is AssessmentContext.EXIT


def test_the_scheme_chooses_the_measures_for_each_point(workspace: Workspace) -> None:
    settings = Settings.in_folder(workspace.store.folder)
    assert [m.key for m in workspace.wellbeing.measures_at(AssessmentContext.BASELINE)] == ["ons4"]
    settings.set(MEASURES_AT_BASELINE, "ons4, health_use, swemwbs")
    settings.set(MEASURES_AT_REVIEW, "who5")
    assert [m.key for m in workspace.wellbeing.measures_at(AssessmentContext.BASELINE)] == [
        "ons4",
        "health_use",
        "swemwbs",
    ]
    assert [m.key for m in workspace.wellbeing.measures_at(AssessmentContext.REVIEW)] == ["who5"]
    with pytest.raises(ValidationError, match="no questionnaire called 'phq9'"):
        settings.set(MEASURES_AT_REVIEW, "who5, phq9")
    person = _person(workspace)
    visit_id = workspace.visits.start(person, TODAY).id
    summary = visit_summary(workspace, visit_id)
    assert [m.key for m in summary.offered] == ["ons4", "health_use", "swemwbs"]


def test_the_timeline_shows_any_measure_in_words(workspace: Workspace) -> None:
    person = _person(workspace)
    workspace.wellbeing.record_answers(person, "ons4", ONS4, on=TODAY)
    workspace.wellbeing.record_answers(person, "ons_loneliness", {"lonely": 3}, on=TODAY)
    entries = person_overview(workspace, person, audited=False).timeline
    words = {e.title: e.detail for e in entries if e.kind.value == "Wellbeing"}
    assert words["Wellbeing questions (baseline)"] == (
        "life satisfaction 4 (low), worthwhile prefers not to say, happiness 3 (low), "
        "anxiety 7 (high)"
    )
    assert words["ONS loneliness (baseline)"] == "feeling lonely: occasionally"


def test_answers_are_queued_as_one_fact_the_office_checks(workspace: Workspace) -> None:
    person = _person(workspace)
    changes = workspace.wellbeing.record_answers(
        person, "ucla3", {"lack_companionship": 3, "left_out": None, "isolated": 2}, on=TODAY
    )
    with workspace.store.read() as conn:
        entry = conn.execute(
            select(outbox.c.table_name, outbox.c.kind, outbox.c.fields).where(
                outbox.c.row_id == changes.id
            )
        ).one()
        assert conn.execute(select(func.count()).select_from(visits)).scalar_one() == 0
    assert (entry.table_name, entry.kind) == ("answers", "append")
    fields = json.loads(entry.fields)
    assert fields["measure"] == "ucla3"
    assert json.loads(fields["answers"]) == {
        "lack_companionship": 3,
        "left_out": None,
        "isolated": 2,
    }


def test_the_closing_review_records_the_exit_measures_in_its_transaction(
    workspace: Workspace,
) -> None:
    from sp_desktop.domain.choices import ClosingOutcome

    person = _person(workspace)
    workspace.wellbeing.record_answers(person, "ons_loneliness", {"lonely": 1}, on=TODAY)
    workspace.closing.close_case(
        person,
        TODAY,
        ClosingOutcome.COMPLETED,
        exit_answers={"ons_loneliness": {"lonely": 4}},
    )
    [lonely] = workspace.wellbeing.then_and_now(person)
    assert lonely.latest.context is AssessmentContext.EXIT
    assert lonely.lines[0].sentence == "You said you felt lonely often/always; now hardly ever."
    with pytest.raises(ValidationError, match="already closed"):
        workspace.closing.close_case(
            person, TODAY, ClosingOutcome.COMPLETED, exit_answers={"ons_loneliness": {}}
        )
