"""The laptop checks a change before it is queued: the form hears what is wrong, in words, and
nothing the office would refuse ever enters the outbox."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.wellbeing import AssessmentContext, Ons4Scores
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import answers, outbox, visits
from tests.conftest import give_consent


def _waiting(ws: Workspace) -> int:
    with ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())


def _person(ws: Workspace) -> str:
    person_id = ws.people.create(given_name="Ada", family_name="Lovelace",
                                 date_of_birth=date(1941, 2, 3)).id
    give_consent(ws, person_id)
    return person_id


def test_a_200443_character_note_is_refused_in_words_and_never_queued(
    workspace: Workspace,
) -> None:
    person = _person(workspace)
    visit = workspace.visits.start(person, date.today()).id
    before = _waiting(workspace)
    with pytest.raises(ValidationError) as caught:
        workspace.visits.save_notes(visit, notes={"connection": "x" * 200_443})
    assert caught.value.field == "notes"
    assert "longer than 10,000 characters" in caught.value.message
    assert _waiting(workspace) == before
    with workspace.store.read() as conn:
        stored = conn.execute(select(visits.c.notes).where(visits.c.id == visit)).scalar_one()
    assert json.loads(stored) == {}
    workspace.visits.save_notes(visit, notes={"connection": "x" * 10_000})  # the limit is fine
    assert _waiting(workspace) == before + 1


def test_an_unknown_persons_assessment_is_a_validation_error(workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as caught:
        workspace.wellbeing.record(new_id(), Ons4Scores(5, 5, 5, 5), on=date.today(),
                                   context=AssessmentContext.BASELINE)
    assert caught.value.field == "person_id"
    assert _waiting(workspace) == 0


def test_a_string_context_is_accepted_and_stored_as_the_choice(workspace: Workspace) -> None:
    person = _person(workspace)
    workspace.wellbeing.record(person, Ons4Scores(5, 5, 5, 5), on=date.today(),
                               context="review")  # type: ignore[arg-type]
    with workspace.store.read() as conn:
        assert conn.execute(select(answers.c.context)).scalar_one() == "review"


def test_an_assessment_400_days_ahead_is_refused(workspace: Workspace) -> None:
    person = _person(workspace)
    before = _waiting(workspace)
    with pytest.raises(ValidationError) as caught:
        workspace.wellbeing.record(person, Ons4Scores(5, 5, 5, 5),
                                   on=date.today() + timedelta(days=400),
                                   context=AssessmentContext.BASELINE)
    assert caught.value.field == "taken_on"
    assert _waiting(workspace) == before


def test_an_edit_that_would_leave_the_row_inconsistent_is_refused(workspace: Workspace) -> None:
    person = _person(workspace)
    with pytest.raises(ValidationError) as caught:
        workspace.people.update(person, given_name="A" * 101)
    assert caught.value.message == "The first name is longer than 100 characters."
    visit = workspace.visits.start(person, date.today()).id
    before = _waiting(workspace)
    with pytest.raises(ValidationError) as caught, workspace.write() as conn:
        workspace.changes.update(conn, visits, visit, {"status": "signed"}, person)
    assert caught.value.field == "signed_by"
    assert _waiting(workspace) == before


def test_unknown_people_cannot_get_visits_or_steps(workspace: Workspace) -> None:
    for make in (lambda: workspace.visits.start(new_id(), date.today()),
                 lambda: workspace.visits.add_step(new_id(), "Phone my brother")):
        with pytest.raises(ValidationError) as caught:
            make()
        assert caught.value.field == "person_id"
    assert _waiting(workspace) == 0
