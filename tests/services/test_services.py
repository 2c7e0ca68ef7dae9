"""Use cases as the screens call them: round trips, outbox, audit trail and refusals."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from sp_desktop.domain.choices import Consent, Ethnicity, Gender, ReferralSource, VisitStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.people import AccessNeeds
from sp_desktop.domain.wellbeing import AssessmentContext, Direction, Ons4Scores
from sp_desktop.services.caseload import CaseloadFilter, Stage
from sp_desktop.services.workspace import Workspace
from sp_desktop.store import audit
from sp_desktop.store.schema import audit_events, outbox
from tests.conftest import give_consent

TODAY = date(2026, 11, 24)


def _outbox(ws: Workspace) -> list[dict[str, object]]:
    with ws.store.read() as conn:
        return [dict(r) for r in conn.execute(select(outbox).order_by(outbox.c.seq)).mappings()]


def _count(ws: Workspace, table: object) -> int:
    with ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _person(ws: Workspace, *, consent: bool = True, **extra: object) -> str:
    """A person on the caseload, by default having agreed to notes being kept."""
    fields: dict[str, object] = {
        "given_name": "Łukasz",
        "family_name": "Nowak",
        "date_of_birth": date(1941, 6, 2),
    }
    person_id = ws.people.create(**{**fields, **extra}).id
    if consent:
        give_consent(ws, person_id)
    return person_id


def test_person_round_trips_every_field(workspace: Workspace) -> None:
    carer_of = _person(workspace, given_name="Halina")
    person_id = _person(
        workspace,
        preferred_name="Luke",
        nhs_number="943 476 5919",
        gender=Gender.MALE,
        ethnicity=Ethnicity.WHITE_OTHER,
        gp_practice="Castle Hill Surgery",
        address="4 Mill Lane\nGreystone",
        postcode="gs4 2ab",
        phone="07700 900123",
        email="l@example.org",
        preferred_contact="letter",
        carer_of_id=carer_of,
        access=AccessNeeds(large_print=True, interpreter_language="Polish", hearing="Left ear"),
    )
    person = workspace.people.get(person_id)
    assert str(person.nhs_number) == "943 476 5919"
    assert person.postcode == "GS4 2AB"
    assert person.carer_of_id == carer_of
    assert person.access == AccessNeeds(True, "Polish", "Left ear", None)
    assert person.display_name == "Luke Nowak"
    assert person.team == "North" and person.adviser == "Ada Adviser"


def test_every_change_is_queued_for_sync_in_the_same_transaction(workspace: Workspace) -> None:
    person_id = _person(workspace, consent=False)
    workspace.people.update(person_id, phone="07700 900999")
    workspace.people.update(person_id, phone="07700 900999")  # no change: nothing queued
    entries = _outbox(workspace)
    assert [e["kind"] for e in entries] == ["upsert", "upsert"]
    created, edited = entries
    assert json.loads(str(created["fields"]))["given_name"] == "Łukasz"
    assert json.loads(str(edited["fields"])) == {"phone": "07700 900999"}
    assert json.loads(str(edited["base"])) == {"phone": created["hlc"]}
    assert str(edited["hlc"]) > str(created["hlc"])


def test_invalid_input_changes_nothing(workspace: Workspace) -> None:
    person_id = _person(workspace)
    before = (_outbox(workspace), _count(workspace, audit_events))
    with pytest.raises(ValidationError) as caught:
        workspace.people.update(person_id, nhs_number="943 476 5918")
    assert caught.value.field == "nhs_number"
    with pytest.raises(ValidationError):
        workspace.wellbeing.record(person_id, Ons4Scores(11, 5, 5, 5), on=TODAY)  # type: ignore[arg-type]
    assert (_outbox(workspace), _count(workspace, audit_events)) == before
    assert workspace.people.get(person_id).nhs_number is None


def test_declined_consent_closes_the_referral(workspace: Workspace) -> None:
    person_id = _person(workspace)
    workspace.people.record_referral(
        person_id,
        source=ReferralSource.PHARMACIST,
        received_on=TODAY - timedelta(days=3),
        consent=Consent.DECLINED,
        consent_on=TODAY,
    )
    [referral] = workspace.people.referrals_of(person_id)
    assert referral.status.value == "declined"
    [row] = workspace.caseload.search("nowak", CaseloadFilter.CLOSED)
    assert row.stage is Stage.DECLINED


def test_a_whole_visit_round_trips_and_signing_freezes_it(workspace: Workspace) -> None:
    person_id = _person(workspace)
    workspace.people.record_referral(
        person_id,
        source="gp",
        received_on=TODAY - timedelta(days=10),
        consent="given",
        consent_on=TODAY - timedelta(days=9),
    )
    visit_id = workspace.visits.start(person_id, TODAY).id
    workspace.visits.save_notes(
        visit_id,
        notes={"connection": "Lost touch with his brother"},
        what_matters="Seeing my grandchildren",
    )
    concern_id = workspace.visits.add_concern(visit_id, "connection", "I feel forgotten", 8).id
    step_id = workspace.visits.add_step(
        person_id,
        "Phone my brother",
        visit_id=visit_id,
        target_date=TODAY + timedelta(weeks=4),
        on=TODAY,
    ).id
    workspace.visits.rate_step(step_id, 4, TODAY)
    workspace.visits.rate_concern(concern_id, 5, TODAY)
    workspace.visits.finish(visit_id)

    record = workspace.visits.get(visit_id)
    assert record.visit.status is VisitStatus.SIGNED
    assert record.visit.signed_by == "Ada Adviser"
    assert record.visit.notes == {"connection": "Lost touch with his brother"}
    assert record.visit.what_matters == "Seeing my grandchildren"
    assert [c.severity for c in record.concerns] == [5]
    assert [s.progress for s in record.steps] == [4]
    assert [r.value for r in workspace.visits.step_history(step_id)] == [0, 4]
    assert [r.value for r in workspace.visits.concern_history(concern_id)] == [8, 5]
    with pytest.raises(ValidationError, match="signed"):
        workspace.visits.save_notes(visit_id, what_matters="changed afterwards")
    correction = workspace.visits.start(person_id, TODAY, corrects_visit_id=visit_id).id
    assert workspace.visits.get(correction).visit.corrects_visit_id == visit_id
    # Starting the visit completed the "first contact" follow-up.
    [row] = workspace.caseload.rows()
    assert row.last_contact == TODAY and row.next_due is None and row.stage is Stage.ACTIVE


def test_unknown_life_domain_is_refused(workspace: Workspace) -> None:
    visit_id = workspace.visits.start(_person(workspace), TODAY).id
    with pytest.raises(ValidationError, match="Unknown life domain"):
        workspace.visits.add_concern(visit_id, "astrology", "stars", 3)


def test_ons4_history_and_change_since_first(workspace: Workspace) -> None:
    person_id = _person(workspace)
    workspace.wellbeing.record(person_id, Ons4Scores(3, 4, 2, 8), on=TODAY - timedelta(days=84))
    workspace.wellbeing.record(
        person_id, Ons4Scores(7, 4, None, 3), on=TODAY, context=AssessmentContext.EXIT
    )
    history = workspace.wellbeing.history(person_id)
    assert [a.context for a in history] == [AssessmentContext.BASELINE, AssessmentContext.EXIT]
    changes = workspace.wellbeing.change_since_first(person_id)
    assert changes is not None
    assert [c.direction for c in changes] == [
        Direction.BETTER,
        Direction.SAME,
        None,
        Direction.BETTER,
    ]
    assert [e["kind"] for e in _outbox(workspace)][-2:] == ["append", "append"]


def test_audit_trail_records_views_and_detects_tampering(workspace: Workspace) -> None:
    person_id = _person(workspace, consent=False)
    workspace.people.view(person_id)
    workspace.people.update(person_id, phone="07700 900111")
    with workspace.store.read() as conn:
        actions = conn.execute(
            select(audit_events.c.action, audit_events.c.actor, audit_events.c.device)
        ).all()
        assert [a for a, _, _ in actions] == ["created", "viewed", "changed"]
        assert {actor for _, actor, _ in actions} == {"Ada Adviser"}
        assert {device for _, _, device in actions} == {workspace.device}
        assert audit.verify_chain(conn) is None
    with workspace.write() as conn:
        conn.execute(
            audit_events.update().where(audit_events.c.seq == 2).values(actor="Someone Else")
        )
    with workspace.store.read() as conn:
        assert audit.verify_chain(conn) == 2


def test_caseload_search_folds_accents_and_finds_nhs_numbers(workspace: Workspace) -> None:
    _person(workspace, given_name="Zoë", family_name="Dvořák", nhs_number="9990000018")
    _person(workspace, given_name="Siobhán", family_name="Ó Briain")
    assert [r.name for r in workspace.caseload.search("zoe dvorak")] == ["Zoë Dvořák"]
    assert [r.name for r in workspace.caseload.search("SIOBHAN")] == ["Siobhán Ó Briain"]
    assert [r.name for r in workspace.caseload.search("999 000")] == ["Zoë Dvořák"]
    assert workspace.caseload.search("nobody") == []


def test_caseload_due_and_overdue_follow_first_contact(workspace: Workspace) -> None:
    late = _person(workspace, family_name="Late")
    soon = _person(workspace, family_name="Soon")
    workspace.people.record_referral(late, source="gp", received_on=TODAY - timedelta(days=30))
    workspace.people.record_referral(soon, source="gp", received_on=TODAY - timedelta(days=2))
    overdue = workspace.caseload.search(which=CaseloadFilter.OVERDUE, today=TODAY)
    due = workspace.caseload.search(which=CaseloadFilter.DUE_THIS_WEEK, today=TODAY)
    assert [r.family_name for r in overdue] == ["Late"]
    assert [r.family_name for r in due] == ["Soon"]
    assert {r.stage for r in workspace.caseload.rows()} == {Stage.NEW}


def test_carer_link_must_name_someone_on_the_caseload(workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as caught:
        _person(workspace, carer_of_id="01a20c00-0000-7000-8000-00000000dead")
    assert caught.value.field == "carer_of_id"


def test_drafts_survive_and_can_be_discarded(workspace: Workspace) -> None:
    workspace.drafts.save("visit:1", {"notes": {"home": "Stairs are hard"}})
    workspace.drafts.save("visit:1", {"notes": {"home": "Stairs are very hard"}})
    assert workspace.drafts.load("visit:1") == {"notes": {"home": "Stairs are very hard"}}
    assert [k for k, _ in workspace.drafts.pending()] == ["visit:1"]
    workspace.drafts.discard("visit:1")
    assert workspace.drafts.load("visit:1") is None


def test_logs_never_contain_personal_data(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    person_id = _person(workspace, given_name="Featherstonehaugh", nhs_number="943 476 5919")
    workspace.people.view(person_id)
    workspace.wellbeing.record(person_id, Ons4Scores(1, 2, 3, 4), on=TODAY)
    with pytest.raises(ValidationError):
        workspace.people.update(person_id, nhs_number="943 476 5918")
    workspace.store.backup()
    assert "Featherstonehaugh" not in caplog.text
    assert "9434765919" not in caplog.text and "943 476" not in caplog.text


def test_a_new_referral_after_closing_reopens_the_person(workspace: Workspace) -> None:
    from sp_desktop.domain.choices import ClosingOutcome

    person_id = _person(workspace)
    workspace.people.record_referral(
        person_id,
        source="gp",
        received_on=TODAY - timedelta(days=90),
        consent="given",
        consent_on=TODAY - timedelta(days=89),
    )
    workspace.closing.close_case(
        person_id, TODAY - timedelta(days=10), ClosingOutcome.COMPLETED, today=TODAY
    )
    assert workspace.caseload.rows()[0].stage is Stage.CLOSED
    workspace.people.record_referral(person_id, source="self", received_on=TODAY)
    [row] = workspace.caseload.rows()
    assert row.stage is Stage.NEW
    assert row.next_due == TODAY + timedelta(days=7)
