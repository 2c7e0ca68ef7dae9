"""Prescribing activities, the provider referral, follow-ups, attendance and volunteering."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from sp_desktop.domain.choices import (
    AttendanceStatus,
    PrescriptionStatus,
    ProviderReferral,
)
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.prescribing import (
    Attendance,
    FollowUp,
    FollowUpKind,
    Prescription,
    VolunteerHours,
)
from sp_desktop.services.caseload import CaseloadFilter, Stage

from .conftest import GARDEN, LUNCH, PAUSED, TODAY, WALK, WEEKS_AGO_10, Caseload

START = date(2025, 3, 3)


def plan(**fields: Any) -> Prescription:
    values: dict[str, Any] = {
        "id": "p1",
        "person_id": "x",
        "service_id": "s",
        "start_date": START,
    }
    values.update(fields)
    return Prescription(**values)


# --- rules of a prescription (pure) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("weeks", "ok"), [(7, False), (8, True), (12, True), (16, True), (17, False), (True, False)]
)
def test_a_prescription_lasts_eight_to_sixteen_weeks(weeks: Any, ok: bool) -> None:
    if ok:
        assert plan(weeks=weeks).end_date == START + timedelta(weeks=weeks)
    else:
        with pytest.raises(ValidationError, match="8 to 16 weeks"):
            plan(weeks=weeks)


def test_twelve_weeks_unless_agreed_otherwise() -> None:
    assert plan().weeks == 12


@pytest.mark.parametrize(
    ("weeks", "reviews"),
    [
        (12, (2, 6, 12)),
        (8, (2, 6, 8)),
        (16, (2, 6, 16)),
    ],
)
def test_default_reviews_at_two_and_six_weeks_and_at_the_end(
    weeks: int, reviews: tuple[int, ...]
) -> None:
    assert plan(weeks=weeks).review_dates() == tuple(START + timedelta(weeks=w) for w in reviews)


@pytest.mark.parametrize(
    ("status", "kwargs", "error_field"),
    [
        (ProviderReferral.SENT, {}, None),
        (ProviderReferral.ACCEPTED, {"waiting_weeks": 4}, None),
        (ProviderReferral.WAITING_LIST, {"waiting_weeks": 4}, None),
        (ProviderReferral.WAITING_LIST, {"waiting_weeks": 0}, None),
        (ProviderReferral.WAITING_LIST, {}, "waiting_weeks"),
        (ProviderReferral.WAITING_LIST, {"waiting_weeks": -2}, "waiting_weeks"),
        (ProviderReferral.DECLINED, {"reason": "Group is full"}, None),
        (ProviderReferral.DECLINED, {"reason": "  "}, "declined_reason"),
    ],
)
def test_provider_referral_rules(
    status: ProviderReferral, kwargs: dict[str, Any], error_field: str | None
) -> None:
    if error_field is None:
        changed = plan().with_provider_referral(status, **kwargs)
        assert changed.provider_referral is status
        weeks = kwargs.get("waiting_weeks") if status is ProviderReferral.WAITING_LIST else None
        assert changed.waiting_weeks == weeks  # an old wait never lingers
        assert (changed.status is PrescriptionStatus.CANCELLED) == (
            status is ProviderReferral.DECLINED
        )
    else:
        with pytest.raises(ValidationError) as caught:
            plan().with_provider_referral(status, **kwargs)
        assert caught.value.field == error_field


@pytest.mark.parametrize(
    ("status", "reason", "because", "ok"),
    [
        (AttendanceStatus.ATTENDED, "", None, True),
        (AttendanceStatus.MISSED, "", None, True),
        (AttendanceStatus.STOPPED, "Too far to walk", "transport", True),
        (AttendanceStatus.STOPPED, "", "health", True),  # the words are optional detail
        (AttendanceStatus.STOPPED, "Too far to walk", None, False),  # why is a choice
        (AttendanceStatus.STOPPED, "", "bored", False),
        (AttendanceStatus.ATTENDED, "", "health", False),
        ("went", "", None, False),
    ],
)
def test_attendance_rules(status: Any, reason: str, because: str | None, ok: bool) -> None:
    if ok:
        Attendance("a", "p", START, status, reason, because)
    else:
        with pytest.raises(ValidationError):
            Attendance("a", "p", START, status, reason, because)


@pytest.mark.parametrize(
    ("hours", "ok"), [(2, True), (0.5, True), (12, True), (0, False), (-1, False), (13, False),
                      ("2", False), (True, False)],
)  # fmt: skip
def test_volunteering_hours_rules(hours: Any, ok: bool) -> None:
    if ok:
        assert VolunteerHours("v", "p", START, hours).hours == float(hours)
    else:
        with pytest.raises(ValidationError):
            VolunteerHours("v", "p", START, hours)


@pytest.mark.parametrize(
    ("day", "prescription", "ok"),
    [
        (START, plan(), True),
        (START - timedelta(days=1), plan(), False),
        (date(2025, 4, 1), plan(ended_on=date(2025, 4, 1)), True),
        (date(2025, 4, 2), plan(ended_on=date(2025, 4, 1)), False),
        (date(2025, 3, 10), plan(status=PrescriptionStatus.CANCELLED), False),
    ],
)
def test_sessions_fall_between_start_and_end(
    day: date, prescription: Prescription, ok: bool
) -> None:
    today = date(2025, 6, 1)
    if ok:
        prescription.check_session(day, today)
    else:
        with pytest.raises(ValidationError):
            prescription.check_session(day, today)
    with pytest.raises(ValidationError, match="future"):
        plan().check_session(today + timedelta(days=1), today)


def test_follow_up_rules() -> None:
    today = date(2025, 5, 1)
    review = FollowUp("f", "x", date(2025, 5, 10))
    assert review.moved_to(date(2025, 5, 20), today).due_on == date(2025, 5, 20)
    with pytest.raises(ValidationError):
        review.moved_to(date(2025, 4, 30), today)
    done = review.done(date(2025, 4, 30), " Going well ", today)
    assert (done.done_on, done.notes, done.is_open) == (date(2025, 4, 30), "Going well", False)
    with pytest.raises(ValidationError, match="already done"):
        done.done(today, "", today)
    with pytest.raises(ValidationError, match="already done"):
        done.moved_to(today, today)
    with pytest.raises(ValidationError, match="future"):
        review.done(date(2025, 5, 2), "", today)
    assert review.is_overdue(date(2025, 5, 11)) and not review.is_overdue(date(2025, 5, 10))
    assert FollowUp("f", "x", today, kind=FollowUpKind.END).label == "End-of-prescription review"


# --- prescribing through the service ---------------------------------------------------------


def test_several_activities_are_prescribed_together_each_with_its_reviews(
    caseload: Caseload,
) -> None:
    ws, person = caseload.ws, caseload.person_id
    changes = ws.prescribing.prescribe_many(
        person, [LUNCH.id, WALK.id], TODAY, weeks=8, accompany_first=[WALK.id]
    )
    assert len(changes.ids) == 2 and changes.people == {person}
    found = {d.service.name: d for d in ws.prescribing.details(person)}
    assert set(found) == {"Lunch club", "Walking group"}
    walk = found["Walking group"].prescription
    assert (walk.weeks, walk.accompany_first, walk.provider_referral) == (
        8,
        True,
        ProviderReferral.TO_SEND,
    )
    assert found["Lunch club"].prescription.accompany_first is False
    assert [(f.due_on, f.kind) for f in found["Walking group"].follow_ups] == [
        (TODAY + timedelta(weeks=2), "review"),
        (TODAY + timedelta(weeks=6), "review"),
        (TODAY + timedelta(weeks=8), "end"),
    ]
    row = ws.caseload.rows(frozenset({person}))[0]
    assert (row.stage, row.next_due) == (Stage.PRESCRIBED, TODAY + timedelta(weeks=2))


def test_prescribe_keeps_its_original_signature(caseload: Caseload) -> None:
    ws = caseload.ws
    prescription_id = ws.prescribing.prescribe(
        caseload.person_id, LUNCH.id, TODAY, accompany_first=True
    ).id
    assert ws.prescribing.get(prescription_id).accompany_first is True
    assert [p.id for p in ws.prescribing.of_person(caseload.person_id)] == [prescription_id]


@pytest.mark.parametrize(
    ("service_ids", "message"),
    [
        ([], "at least one activity"),
        (["nope"], "not in the directory"),
        ([PAUSED.id], "paused"),
        ([LUNCH.id, PAUSED.id], "paused"),
    ],
)
def test_prescribing_refuses_what_cannot_happen_and_saves_nothing(
    caseload: Caseload, service_ids: list[str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        caseload.ws.prescribing.prescribe_many(caseload.person_id, service_ids, TODAY)
    assert caseload.ws.prescribing.of_person(caseload.person_id) == []


def test_the_same_activity_is_not_prescribed_twice_while_it_runs(caseload: Caseload) -> None:
    ws = caseload.ws
    ws.prescribing.prescribe(caseload.person_id, LUNCH.id, TODAY)
    with pytest.raises(ValidationError, match="already doing Lunch club"):
        ws.prescribing.prescribe(caseload.person_id, LUNCH.id, TODAY)


def test_an_activity_removed_from_the_directory_still_shows_on_old_prescriptions(
    caseload: Caseload,
) -> None:
    from sp_desktop.services.directory import ImportMode

    ws = caseload.ws
    ws.prescribing.prescribe(caseload.person_id, LUNCH.id, TODAY)
    caseload.directory.import_services([WALK], ImportMode.REPLACE)
    assert [d.service.name for d in ws.prescribing.details(caseload.person_id)] == ["Lunch club"]


def test_provider_referral_moves_from_to_send_to_accepted(caseload: Caseload) -> None:
    ws = caseload.ws
    pid = ws.prescribing.prescribe(caseload.person_id, LUNCH.id, TODAY).id
    ws.prescribing.set_provider_referral(pid, ProviderReferral.SENT)
    ws.prescribing.set_provider_referral(pid, ProviderReferral.WAITING_LIST, waiting_weeks=3)
    assert ws.prescribing.get(pid).waiting_weeks == 3
    ws.prescribing.set_provider_referral(pid, ProviderReferral.ACCEPTED)
    accepted = ws.prescribing.get(pid)
    assert (accepted.provider_referral, accepted.waiting_weeks) == (ProviderReferral.ACCEPTED, None)


def test_a_provider_declining_cancels_the_activity_and_its_reviews(caseload: Caseload) -> None:
    ws, person = caseload.ws, caseload.person_id
    lunch = ws.prescribing.prescribe(person, LUNCH.id, TODAY).id
    walk = ws.prescribing.prescribe(person, WALK.id, TODAY).id
    ws.prescribing.set_provider_referral(lunch, ProviderReferral.DECLINED, reason="Group is full")
    declined = ws.prescribing.get(lunch)
    assert (declined.status, declined.declined_reason) == (
        PrescriptionStatus.CANCELLED,
        "Group is full",
    )
    open_for = {f.prescription_id for f in ws.prescribing.follow_ups_of(person, open_only=True)}
    assert open_for == {walk}
    with pytest.raises(ValidationError, match="already ended"):
        ws.prescribing.set_provider_referral(lunch, ProviderReferral.ACCEPTED)


def test_cancelling_the_only_activity_takes_it_off_the_active_list(caseload: Caseload) -> None:
    ws, person = caseload.ws, caseload.person_id
    pid = ws.prescribing.prescribe(person, LUNCH.id, TODAY).id
    ws.prescribing.cancel(pid)
    row = ws.caseload.rows(frozenset({person}))[0]
    assert row.stage is not Stage.PRESCRIBED
    assert ws.prescribing.follow_ups_of(person, open_only=True) == []


# --- follow-ups drive the caseload's due and overdue views ------------------------------------


def test_moving_doing_and_adding_follow_ups(caseload: Caseload) -> None:
    ws, person = caseload.ws, caseload.person_id
    pid = ws.prescribing.prescribe(person, LUNCH.id, WEEKS_AGO_10).id
    in_view = [r.person_id for r in ws.caseload.search(which=CaseloadFilter.OVERDUE)]
    assert in_view == [person]  # the 2- and 6-week reviews have passed

    two, six, end = [f for f in ws.prescribing.follow_ups_of(person) if f.prescription_id == pid]
    ws.prescribing.complete_follow_up(two.id, two.due_on, "Enjoying it, made a friend")
    ws.prescribing.move_follow_up(six.id, TODAY + timedelta(days=3))
    assert ws.caseload.search(which=CaseloadFilter.OVERDUE) == []
    due = ws.caseload.search(which=CaseloadFilter.DUE_THIS_WEEK)
    assert [(r.person_id, r.next_due) for r in due] == [(person, TODAY + timedelta(days=3))]

    extra = ws.prescribing.add_follow_up(
        person, TODAY + timedelta(days=1), prescription_id=pid, notes="Ring after the trip"
    ).id
    after = {f.id: f for f in ws.prescribing.follow_ups_of(person)}
    assert after[two.id].notes == "Enjoying it, made a friend"
    assert (after[extra].kind, after[extra].notes) == (FollowUpKind.CHECK_IN, "Ring after the trip")
    assert ws.caseload.rows(frozenset({person}))[0].next_due == TODAY + timedelta(days=1)
    assert end.kind == FollowUpKind.END


def test_follow_up_changes_that_make_no_sense_are_refused(caseload: Caseload) -> None:
    ws, person = caseload.ws, caseload.person_id
    ws.prescribing.prescribe(person, LUNCH.id, TODAY)
    first = ws.prescribing.follow_ups_of(person, open_only=True)[0]
    with pytest.raises(ValidationError):
        ws.prescribing.move_follow_up(first.id, TODAY - timedelta(days=1))
    with pytest.raises(ValidationError):
        ws.prescribing.add_follow_up(person, TODAY - timedelta(days=1))
    other = caseload.add_person()
    other_pid = ws.prescribing.prescribe(other, WALK.id, TODAY).id
    with pytest.raises(ValidationError, match="someone else's"):
        ws.prescribing.add_follow_up(person, TODAY, prescription_id=other_pid)


# --- attendance and volunteering --------------------------------------------------------------


def test_attendance_is_kept_per_activity_and_stopping_ends_it(caseload: Caseload) -> None:
    ws, person = caseload.ws, caseload.person_id
    lunch = ws.prescribing.prescribe(person, LUNCH.id, WEEKS_AGO_10).id
    walk = ws.prescribing.prescribe(person, WALK.id, WEEKS_AGO_10).id
    week = timedelta(weeks=1)
    ws.prescribing.record_attendance(lunch, WEEKS_AGO_10, AttendanceStatus.ATTENDED)
    ws.prescribing.record_attendance(lunch, WEEKS_AGO_10 + week, AttendanceStatus.MISSED)
    ws.prescribing.record_attendance(walk, WEEKS_AGO_10, AttendanceStatus.ATTENDED)
    ws.prescribing.record_attendance(
        walk, WEEKS_AGO_10 + week, AttendanceStatus.STOPPED, "Knees too sore",
        stopped_because="health",
    )
    details = {d.service.name: d for d in ws.prescribing.details(person)}
    assert [a.status for a in details["Lunch club"].attendance] == [
        AttendanceStatus.ATTENDED,
        AttendanceStatus.MISSED,
    ]
    assert details["Lunch club"].sessions_attended == 1
    stopped = details["Walking group"].prescription
    assert (stopped.status, stopped.ended_on) == (PrescriptionStatus.ENDED, WEEKS_AGO_10 + week)
    assert details["Lunch club"].prescription.is_active
    # Follow-ups stay after stopping: that is when a call helps.
    assert any(f.is_open for f in details["Walking group"].follow_ups)
    with pytest.raises(ValidationError, match="ended"):
        ws.prescribing.record_attendance(walk, TODAY, AttendanceStatus.ATTENDED)


@pytest.mark.parametrize(
    ("day", "status", "reason", "message"),
    [
        (TODAY + timedelta(days=1), AttendanceStatus.ATTENDED, "", "future"),
        (WEEKS_AGO_10 - timedelta(days=1), AttendanceStatus.ATTENDED, "", "started"),
        (TODAY, AttendanceStatus.STOPPED, "", "why they stopped"),
    ],
)
def test_attendance_that_cannot_be_right_is_refused(
    caseload: Caseload, day: date, status: AttendanceStatus, reason: str, message: str
) -> None:
    ws = caseload.ws
    pid = ws.prescribing.prescribe(caseload.person_id, LUNCH.id, WEEKS_AGO_10).id
    with pytest.raises(ValidationError, match=message):
        ws.prescribing.record_attendance(pid, day, status, reason)
    assert ws.prescribing.attendance_of(pid) == []


def test_attendance_is_an_append_only_fact_for_sync(caseload: Caseload) -> None:
    from sqlalchemy import select

    from sp_desktop.store.schema import outbox

    ws = caseload.ws
    pid = ws.prescribing.prescribe(caseload.person_id, LUNCH.id, TODAY).id
    ws.prescribing.record_attendance(pid, TODAY, AttendanceStatus.ATTENDED)
    with ws.store.read() as conn:
        kinds = (
            conn.execute(select(outbox.c.kind).where(outbox.c.table_name == "attendance"))
            .scalars()
            .all()
        )
    assert kinds == ["append"]


def test_volunteering_hours_add_up_on_a_volunteering_activity(caseload: Caseload) -> None:
    ws, person = caseload.ws, caseload.person_id
    garden = ws.prescribing.prescribe(person, GARDEN.id, WEEKS_AGO_10).id
    ws.prescribing.log_volunteer_hours(garden, WEEKS_AGO_10, 3)
    ws.prescribing.log_volunteer_hours(garden, WEEKS_AGO_10 + timedelta(weeks=1), 2.5)
    details = ws.prescribing.details(person)[0]
    assert details.hours_given == 5.5
    assert [h.hours for h in ws.prescribing.volunteer_hours_of(garden)] == [3.0, 2.5]


def test_hours_are_not_logged_against_an_activity_that_is_not_volunteering(
    caseload: Caseload,
) -> None:
    ws = caseload.ws
    lunch = ws.prescribing.prescribe(caseload.person_id, LUNCH.id, TODAY).id
    with pytest.raises(ValidationError, match="not volunteering"):
        ws.prescribing.log_volunteer_hours(lunch, TODAY, 2)
    garden = ws.prescribing.prescribe(caseload.person_id, GARDEN.id, TODAY).id
    with pytest.raises(ValidationError, match="at most 12"):
        ws.prescribing.log_volunteer_hours(garden, TODAY, 20)
    with pytest.raises(ValidationError, match="future"):
        ws.prescribing.log_volunteer_hours(garden, TODAY + timedelta(days=1), 2)


# --- carers -------------------------------------------------------------------------------------


def test_a_person_can_be_linked_as_carer_of_someone_on_the_caseload(caseload: Caseload) -> None:
    ws, person = caseload.ws, caseload.person_id
    husband = caseload.add_person("Samuel", "Okafor")
    ws.people.set_carer_of(husband, person)
    assert ws.people.get(husband).carer_of_id == person
    assert ws.people.carers_of(person) == [husband]
    ws.people.set_carer_of(person, husband)  # couples often care for each other
    assert ws.people.carers_of(husband) == [person]
    ws.people.set_carer_of(husband, None)
    assert ws.people.carers_of(person) == []


@pytest.mark.parametrize("cared_for", ["self", "missing", "deleted"])
def test_carer_links_must_point_at_someone_else_on_the_caseload(
    caseload: Caseload, cared_for: str
) -> None:
    ws, person = caseload.ws, caseload.person_id
    target = {"self": person, "missing": "no-such-person"}.get(cared_for)
    if cared_for == "deleted":
        target = caseload.add_person()
        ws.people.delete(target)
    assert target is not None
    with pytest.raises(ValidationError) as caught:
        ws.people.set_carer_of(person, target)
    assert caught.value.field == "carer_of_id"
    assert ws.people.get(person).carer_of_id is None
