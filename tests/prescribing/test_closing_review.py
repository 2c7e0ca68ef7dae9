"""The closing review: exit wellbeing, last ratings, outcome, carrying on, and the case closed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from sp_desktop.domain.choices import ClosingOutcome, PrescriptionStatus, ReferralStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.wellbeing import AssessmentContext, Ons4Scores
from sp_desktop.services.caseload import CaseloadFilter, Stage
from sp_desktop.store.schema import closing_reviews

from .conftest import LUNCH, TODAY, WALK, WEEKS_AGO_10, Caseload

EXIT = Ons4Scores(life_satisfaction=7, worthwhile=8, happiness=7, anxiety=3)


@pytest.fixture
def journey(caseload: Caseload) -> dict[str, str]:
    """Two activities, a concern and a step from the first visit, a baseline ONS4."""
    ws, person = caseload.ws, caseload.person_id
    visit = ws.visits.start(person, WEEKS_AGO_10)
    concern = ws.visits.add_concern(visit.id, "connection", "I don't see anyone", 8).id
    step = ws.visits.add_step(person, "Go to the lunch club", on=WEEKS_AGO_10).id
    ws.wellbeing.record(
        person,
        Ons4Scores(life_satisfaction=4, worthwhile=5, happiness=3, anxiety=7),
        on=WEEKS_AGO_10,
    )
    lunch = ws.prescribing.prescribe(person, LUNCH.id, WEEKS_AGO_10, weeks=8).id
    walk = ws.prescribing.prescribe(person, WALK.id, WEEKS_AGO_10).id
    return {"concern": concern, "step": step, "lunch": lunch, "walk": walk}


def test_closing_records_everything_and_the_caseload_shows_closed(
    caseload: Caseload, journey: dict[str, str]
) -> None:
    ws, person = caseload.ws, caseload.person_id
    ws.closing.close_case(
        person,
        TODAY,
        ClosingOutcome.COMPLETED,
        reason="Settled at the lunch club",
        exit_scores=EXIT,
        step_progress={journey["step"]: 9},
        concern_severity={journey["concern"]: 3},
        carries_on=[journey["lunch"]],
    )
    review = ws.closing.closing_review_of(person)
    assert review is not None
    assert (review.outcome, review.reason, review.carries_on, review.closed_on) == (
        ClosingOutcome.COMPLETED,
        "Settled at the lunch club",
        True,
        TODAY,
    )
    history = ws.wellbeing.history(person)
    assert [a.context for a in history] == [AssessmentContext.BASELINE, AssessmentContext.EXIT]
    assert history[-1].scores == EXIT
    assert [r.value for r in ws.visits.step_history(journey["step"])] == [0, 9]
    assert ws.visits.steps_of(person)[0].progress == 9
    assert [r.value for r in ws.visits.concern_history(journey["concern"])] == [8, 3]

    by_id = {p.id: p for p in ws.prescribing.of_person(person)}
    lunch, walk = by_id[journey["lunch"]], by_id[journey["walk"]]
    assert (lunch.status, lunch.carries_on) == (PrescriptionStatus.ENDED, True)
    assert lunch.ended_on == WEEKS_AGO_10 + timedelta(weeks=8)  # it had run its course
    assert (walk.status, walk.carries_on, walk.ended_on) == (PrescriptionStatus.ENDED, False, TODAY)
    assert ws.prescribing.follow_ups_of(person, open_only=True) == []
    assert [r.status for r in ws.people.referrals_of(person)] == [ReferralStatus.CLOSED]

    row = ws.caseload.rows(frozenset({person}))[0]
    assert (row.stage, row.next_due) == (Stage.CLOSED, None)
    assert [r.person_id for r in ws.caseload.search(which=CaseloadFilter.CLOSED)] == [person]
    assert ws.caseload.search(which=CaseloadFilter.OVERDUE) == []


@pytest.mark.parametrize("outcome", list(ClosingOutcome))
def test_every_outcome_can_close_a_case(
    caseload: Caseload, journey: dict[str, str], outcome: ClosingOutcome
) -> None:
    reason = "Community mental health team" if outcome is ClosingOutcome.RE_REFERRED else ""
    caseload.ws.closing.close_case(caseload.person_id, TODAY, outcome, reason=reason)
    review = caseload.ws.closing.closing_review_of(caseload.person_id)
    assert review is not None and review.outcome is outcome
    assert review.carries_on is False


def test_a_person_who_declines_the_exit_questions_can_still_be_closed(
    caseload: Caseload, journey: dict[str, str]
) -> None:
    caseload.ws.closing.close_case(
        caseload.person_id, TODAY, ClosingOutcome.DECLINED_FURTHER_SUPPORT
    )
    contexts = [a.context for a in caseload.ws.wellbeing.history(caseload.person_id)]
    assert contexts == [AssessmentContext.BASELINE]


def count_reviews(caseload: Caseload) -> int:
    with caseload.ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(closing_reviews)).scalar_one())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": ClosingOutcome.RE_REFERRED}, "reason"),
        ({"on": TODAY + timedelta(days=1)}, "closed_on"),
        ({"step_progress": {"someone-elses-step": 5}}, "step_progress"),
        ({"concern_severity": {"x": 11}}, "concern_severity"),
        ({"carries_on": ["not-theirs"]}, "carries_on"),
        ({"outcome": "retired"}, "outcome"),
    ],
)
def test_a_closing_review_with_a_mistake_saves_nothing(
    caseload: Caseload, journey: dict[str, str], kwargs: dict[str, object], field: str
) -> None:
    ws, person = caseload.ws, caseload.person_id
    args: dict[str, object] = {
        "on": TODAY,
        "outcome": ClosingOutcome.COMPLETED,
        "exit_scores": EXIT,
    }
    args.update(kwargs)
    with pytest.raises(ValidationError) as caught:
        ws.closing.close_case(person, **args)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert count_reviews(caseload) == 0
    assert len(ws.wellbeing.history(person)) == 1
    assert all(p.is_active for p in ws.prescribing.of_person(person))
    assert ws.caseload.rows(frozenset({person}))[0].stage is Stage.PRESCRIBED


def test_a_case_is_closed_once_until_the_person_is_referred_again(
    caseload: Caseload, journey: dict[str, str]
) -> None:
    from sp_desktop.domain.choices import Consent, ReferralSource

    ws, person = caseload.ws, caseload.person_id
    ws.closing.close_case(person, TODAY - timedelta(days=1), ClosingOutcome.COMPLETED)
    with pytest.raises(ValidationError, match="already closed"):
        ws.closing.close_case(person, TODAY, ClosingOutcome.COMPLETED)
    ws.people.record_referral(
        person, source=ReferralSource.SELF, received_on=TODAY, consent=Consent.GIVEN,
        consent_on=TODAY,
    )  # fmt: skip
    ws.closing.close_case(person, TODAY, ClosingOutcome.LOST_CONTACT)
    assert count_reviews(caseload) == 2


def test_closing_writes_sync_facts_and_audits_in_one_go(
    caseload: Caseload, journey: dict[str, str]
) -> None:
    from sp_desktop.store.schema import audit_events, outbox

    ws, person = caseload.ws, caseload.person_id
    with ws.store.read() as conn:
        before = conn.execute(select(func.max(outbox.c.seq))).scalar_one()
    ws.closing.close_case(
        person, TODAY, ClosingOutcome.COMPLETED, exit_scores=EXIT,
        step_progress={journey["step"]: 7},
    )  # fmt: skip
    with ws.store.read() as conn:
        queued = conn.execute(
            select(outbox.c.table_name, outbox.c.kind).where(outbox.c.seq > before)
        ).all()
        actions = (
            conn.execute(
                select(audit_events.c.entity).where(
                    audit_events.c.action.in_(["created", "changed"])
                )
            )
            .scalars()
            .all()
        )
    assert ("closing_reviews", "append") in queued
    assert ("answers", "append") in queued
    assert ("step_progress", "append") in queued
    assert ("prescriptions", "upsert") in queued
    assert {"closing_review", "assessment", "step"} <= set(actions)


def test_closing_leaves_other_peoples_follow_ups_alone(
    caseload: Caseload, journey: dict[str, str]
) -> None:
    ws = caseload.ws
    other = caseload.add_person()
    ws.prescribing.prescribe(other, LUNCH.id, date.today())
    ws.closing.close_case(caseload.person_id, TODAY, ClosingOutcome.MOVED_AWAY)
    assert len(ws.prescribing.follow_ups_of(other, open_only=True)) == 3
