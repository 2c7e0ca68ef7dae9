"""The Qt-free services behind the screens: timeline, visit summary, drafts to resume, status."""

from __future__ import annotations

from datetime import date, timedelta

from sp_desktop.domain.choices import Consent, ReferralSource
from sp_desktop.domain.wellbeing import Ons4Scores
from sp_desktop.services.status import changes_waiting
from sp_desktop.services.timeline import SNOMED_DECLINED, TimelineKind, person_overview
from sp_desktop.services.visit_summary import resumable_visits, visit_draft_key, visit_summary
from sp_desktop.services.workspace import Workspace

DAY = date.today() - timedelta(days=60)  # the later visit, 40 days on, is in the past


def someone(ws: Workspace, consent: Consent = Consent.GIVEN) -> str:
    person_id = ws.people.create(
        given_name="Zoë", family_name="Brown", date_of_birth=date(1941, 3, 12)
    ).id
    ws.people.record_referral(
        person_id,
        source=ReferralSource.GP,
        received_on=DAY,
        consent=consent,
        consent_on=None if consent is Consent.PENDING else DAY,
        reason="Lonely",
    )
    return person_id


def test_timeline_newest_first_in_words(workspace: Workspace) -> None:
    person_id = someone(workspace)
    visit_id = workspace.visits.start(person_id, DAY + timedelta(days=2)).id
    workspace.visits.save_notes(visit_id, notes={"home": "Stairs are hard"})
    workspace.visits.add_step(person_id, "Ring Mary", visit_id=visit_id, on=DAY + timedelta(2))
    workspace.wellbeing.record(person_id, Ons4Scores(6, 7, None, 3), on=DAY + timedelta(days=2))
    overview = person_overview(workspace, person_id)
    assert overview.can_start_visit
    assert overview.unfinished_visit_id == visit_id
    kinds = [e.kind for e in overview.timeline]
    assert kinds[-1] is TimelineKind.REFERRAL
    visit = next(e for e in overview.timeline if e.kind is TimelineKind.VISIT)
    assert visit.unfinished and visit.detail == "Talked about: Home"
    wellbeing = next(e for e in overview.timeline if e.kind is TimelineKind.ASSESSMENT)
    assert wellbeing.detail == (
        "life satisfaction 6 (medium), worthwhile 7 (high), happiness prefers not to say, "
        "anxiety 3 (low)"
    )
    assert any(e.title == "Step: “Ring Mary”" for e in overview.timeline)


def test_a_declined_referral_says_why_no_visit(workspace: Workspace) -> None:
    person_id = someone(workspace, Consent.DECLINED)
    overview = person_overview(workspace, person_id, audited=False)
    assert not overview.can_start_visit
    assert overview.why_no_visit == "Zoë Brown declined social prescribing."
    assert SNOMED_DECLINED in overview.timeline[0].detail


def test_only_drafts_of_open_visits_are_offered(workspace: Workspace) -> None:
    person_id = someone(workspace)
    open_visit = workspace.visits.start(person_id, DAY).id
    signed_visit = workspace.visits.start(person_id, DAY).id
    workspace.visits.finish(signed_visit)
    workspace.drafts.save(visit_draft_key(open_visit), {"notes": {"home": "x"}})
    workspace.drafts.save(visit_draft_key(signed_visit), {"notes": {"home": "y"}})
    workspace.drafts.save(visit_draft_key("gone"), {})
    workspace.drafts.save("something-else", {})
    (offer,) = resumable_visits(workspace)
    assert (offer.visit_id, offer.person_name) == (open_visit, "Zoë Brown")
    summary = visit_summary(workspace, open_visit)
    assert summary.draft == {"notes": {"home": "x"}}
    assert not summary.signed


def test_change_since_first_compares_with_the_visit_day(workspace: Workspace) -> None:
    person_id = someone(workspace)
    workspace.wellbeing.record(person_id, Ons4Scores(4, 4, 4, 8), on=DAY)
    later = DAY + timedelta(days=40)
    visit_id = workspace.visits.start(person_id, later).id
    workspace.wellbeing.record(person_id, Ons4Scores(6, 4, None, 5), on=later)
    summary = visit_summary(workspace, visit_id, audited=False)
    change = summary.change_since_first
    assert change is not None
    assert [c.difference for c in change] == [2, 0, None, -3]


def test_changes_waiting_counts_the_outbox(workspace: Workspace) -> None:
    before = changes_waiting(workspace)
    someone(workspace)
    assert changes_waiting(workspace) > before
