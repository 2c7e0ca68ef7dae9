"""What is left at the end of the day, for each state a laptop can be in at home time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete

from sp_desktop.domain.choices import ClosingOutcome, Consent, ReferralSource
from sp_desktop.pdf import wording
from sp_desktop.services.end_of_day import LeftKind, left_for_the_day
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import outbox

TODAY = date.today()
NOW = datetime.now(UTC)


def _person(ws: Workspace, given: str = "Zoë", family: str = "Dvořák") -> str:
    person_id: str = ws.people.create(
        given_name=given, family_name=family, date_of_birth=date(1941, 5, 4)
    ).id
    return person_id


def _referred(ws: Workspace, person_id: str, consent: Consent = Consent.GIVEN) -> None:
    ws.people.record_referral(
        person_id,
        source=ReferralSource.GP,
        received_on=TODAY - timedelta(days=30),
        consent=consent,
        consent_on=TODAY - timedelta(days=20),
    )


def _all_sent(ws: Workspace) -> None:
    """As after a sync the office acknowledged: nothing left in the outbox."""
    with ws.write() as conn:
        conn.execute(delete(outbox))


def _letter(ws: Workspace, person_id: str, action: str = "printed") -> None:
    with ws.write() as conn:
        ws.audit(conn, action, "letter", None, person_id)


def nothing(ws: Workspace) -> None:
    return None


def person_added_not_synced(ws: Workspace) -> None:
    _person(ws)


def visit_started(ws: Workspace) -> None:
    pid = _person(ws)
    _referred(ws, pid)
    ws.visits.start(pid, TODAY)
    _all_sent(ws)


def visit_signed(ws: Workspace) -> None:
    pid = _person(ws)
    _referred(ws, pid)
    visit_id = ws.visits.start(pid, TODAY).id
    ws.visits.finish(visit_id)
    _all_sent(ws)


def case_closed(ws: Workspace) -> str:
    pid = _person(ws)
    _referred(ws, pid)
    ws.closing.close_case(pid, TODAY, ClosingOutcome.COMPLETED)
    _all_sent(ws)
    return pid


def case_closed_letter_printed(ws: Workspace) -> None:
    _letter(ws, case_closed(ws))


def case_closed_letter_saved(ws: Workspace) -> None:
    _letter(ws, case_closed(ws), "exported")


def declined(ws: Workspace) -> str:
    pid = _person(ws, "Łukasz", "Nowak")
    _referred(ws, pid, Consent.DECLINED)
    _all_sent(ws)
    return pid


def plan_printed_is_not_a_letter(ws: Workspace) -> None:
    pid = declined(ws)
    with ws.write() as conn:
        ws.audit(conn, "printed", "plan", None, pid)


@dataclass(frozen=True)
class Case:
    setup: Callable[[Workspace], object]
    kinds: tuple[LeftKind, ...]
    words: tuple[str, ...] = ()


CASES = {
    "a fresh laptop": Case(nothing, ()),
    "a person added, not sent": Case(
        person_added_not_synced,
        (LeftKind.CHANGES_WAITING,),
        ("1 change has not been sent", "not registered", "safe on this laptop"),
    ),
    "a visit started, not signed": Case(
        visit_started,
        (LeftKind.UNSIGNED_VISIT,),
        (f"Visit with Zoë Dvořák on {wording.weekday_date(TODAY)} is not signed.",),
    ),
    "a visit signed": Case(visit_signed, ()),
    "a case closed, no letter": Case(
        case_closed,
        (LeftKind.LETTER_DUE,),
        ("Letter to the referrer about Zoë Dvořák (support ended on",),
    ),
    "a case closed, letter printed": Case(case_closed_letter_printed, ()),
    "a case closed, letter saved as PDF": Case(case_closed_letter_saved, ()),
    "consent declined, no letter": Case(
        declined, (LeftKind.LETTER_DUE,), ("about Łukasz Nowak (they declined on",)
    ),
    "a plan printed is not the letter": Case(plan_printed_is_not_a_letter, (LeftKind.LETTER_DUE,)),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_what_is_left(workspace: Workspace, case: Case) -> None:
    case.setup(workspace)
    left = left_for_the_day(workspace, now=NOW)
    assert tuple(item.kind for item in left.items) == case.kinds
    assert left.clear is (not case.kinds)
    text = " ".join(item.words for item in left.items)
    for words in case.words:
        assert words in text


def test_everything_at_once_comes_in_the_order_to_do_it(workspace: Workspace) -> None:
    declined(workspace)
    visit_started(workspace)
    _person(workspace, "Arthur", "Bell")  # leaves a change waiting
    left = left_for_the_day(workspace, now=NOW)
    assert [item.kind for item in left.items] == [
        LeftKind.UNSIGNED_VISIT,
        LeftKind.LETTER_DUE,
        LeftKind.CHANGES_WAITING,
    ]
    assert left.of(LeftKind.LETTER_DUE)[0].person_id is not None
    assert left.of(LeftKind.CHANGES_WAITING)[0].person_id is None


def test_one_change_is_said_in_the_singular(workspace: Workspace) -> None:
    person_id = _person(workspace)
    _all_sent(workspace)
    workspace.people.update(person_id, phone="07700 900123")
    (item,) = left_for_the_day(workspace, now=NOW).items
    assert item.words.startswith("1 change has not been sent")
