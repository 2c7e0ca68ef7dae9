"""Two advisers' laptops edit the same person offline, then sync in either order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from laptops import Laptop, LaptopFactory, assert_same_data, team_of
from sqlalchemy import select

from sp_desktop.domain.choices import ReferralSource
from sp_desktop.server.testing import RunningServer
from sp_desktop.store.schema import outbox, people, services
from sp_desktop.sync.client import sync_status
from sp_desktop.sync.conflicts import Choice, list_conflicts, resolve_conflict


def _deleted(laptop: Laptop, person: str) -> bool:
    with laptop.store.read() as conn:
        return bool(conn.execute(select(people.c.deleted).where(people.c.id == person)).scalar())


def _stamp_of_last_edit(laptop: Laptop) -> str:
    with laptop.store.read() as conn:
        return str(conn.execute(select(outbox.c.hlc).order_by(outbox.c.seq.desc())).scalar())


@pytest.mark.parametrize("first_to_sync", ["ann", "ben"])
def test_same_person_edited_offline_on_two_laptops_converges_and_keeps_the_losing_text(
    server: RunningServer, make_laptop: LaptopFactory, first_to_sync: str
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    person = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                  date_of_birth=date(1938, 5, 1), address="1 Mill Lane").id
    ann.sync()
    ben.sync()
    assert ben.ws.people.get(person).address == "1 Mill Lane"

    # Offline, both change the address (free text); each also changes a field of their own.
    ann.ws.people.update(person, address="Flat 2, 1 Mill Lane", phone="0113 496 0000")
    ann_stamp = _stamp_of_last_edit(ann)
    ben.ws.people.update(person, address="1 Mill Lane, Leeds LS1", email="edith@example.org")
    ben_stamp = _stamp_of_last_edit(ben)
    waiting = sync_status(ann.store)
    assert waiting.waiting == 1 and waiting.oldest_waiting_at is not None

    order = (ann, ben) if first_to_sync == "ann" else (ben, ann)
    for laptop in (*order, order[0]):
        laptop.sync()

    winner, loser = (("1 Mill Lane, Leeds LS1", "Flat 2, 1 Mill Lane") if ben_stamp > ann_stamp
                     else ("Flat 2, 1 Mill Lane", "1 Mill Lane, Leeds LS1"))
    for laptop in (ann, ben):
        seen = laptop.ws.people.get(person)
        assert seen.address == winner
        assert (seen.phone, seen.email) == ("0113 496 0000", "edith@example.org")
        (conflict,) = list_conflicts(laptop.store)
        assert (conflict.field, conflict.kept_value, conflict.other_value) == (
            "address", winner, loser)
        status = sync_status(laptop.store)
        assert status.waiting == 0 and status.unresolved_conflicts == 1
        assert status.last_success_at is not None
        assert (datetime.now(UTC) - status.last_success_at).total_seconds() < 60
    assert_same_data(server, ann, ben)

    # Ann picks the text that lost: a normal edit, which syncs; Ben's copy of the conflict
    # is settled too.
    conflict_id = list_conflicts(ann.store)[0].id
    assert resolve_conflict(ann.store, ann.ws.changes, conflict_id, Choice.OTHER)
    assert list_conflicts(ann.store) == []
    ann.sync()
    ben.sync()
    assert ben.ws.people.get(person).address == loser
    assert list_conflicts(ben.store) == []
    assert_same_data(server, ann, ben)


def test_a_delete_racing_an_edit_keeps_the_newer_edit_and_logs_the_delete(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    person = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                  date_of_birth=date(1938, 5, 1)).id
    ann.sync()
    ben.sync()
    ann.ws.people.delete(person)
    ben.ws.people.update(person, address="Moved to 5 New Road")  # after the delete: newer
    ann.sync()
    ben.sync()
    ann.sync()
    for laptop in (ann, ben):
        assert laptop.ws.people.get(person).address == "Moved to 5 New Road"
        assert not _deleted(laptop, person)
        (conflict,) = list_conflicts(laptop.store)
        assert conflict.is_delete_race and conflict.other_value == "deleted"
    assert_same_data(server, ann, ben)

    # Ben decides the delete was right after all: the row goes on both laptops.
    assert resolve_conflict(ben.store, ben.ws.changes, list_conflicts(ben.store)[0].id,
                            Choice.OTHER)
    ben.sync()
    ann.sync()
    assert_same_data(server, ann, ben)
    assert _deleted(ann, person) and _deleted(ben, person)


def test_a_first_sync_arrives_in_pages_even_when_children_come_before_parents(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    people_ids = []
    for n in range(4):
        person = ann.ws.people.create(given_name=f"P{n}", family_name="Smith",
                                      date_of_birth=date(1940, 1, 1 + n)).id
        ann.ws.people.record_referral(person, source=ReferralSource.GP,
                                      received_on=date(2026, 1, 5), reason="lonely")
        people_ids.append(person)
    ann.sync()
    for person in people_ids:  # each person now changes after their referral
        ann.ws.people.update(person, phone="0113 000 0000")
    ann.sync()

    ben = make_laptop(team_of(ann))
    reports = []
    with ben.client(page_limit=1) as client:
        result = client.sync_once(progress=reports.append)
    assert result.round_trips >= len(people_ids) + 1
    assert any(report.more for report in reports) and not reports[-1].more
    assert {row.person_id for row in ben.ws.caseload.rows()} == set(people_ids)
    assert all(ben.ws.people.referrals_of(person) for person in people_ids)
    assert_same_data(server, ann, ben)
    assert ben.store.integrity_report().ok  # every link whole once the pull is complete


def test_the_directory_published_by_the_office_reaches_laptops(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    import httpx

    manager = make_laptop(role="manager")
    ann = make_laptop(team_of(manager))
    entry = {"id": "svc-walking-1", "name": "Walking for health", "category": "physical_activity",
             "free": True, "waiting_weeks": 2, "last_checked": "2026-03-01",
             "wellbeing_tags": '["be_active", "connect"]'}
    token = manager.store.meta("sync.device_token")
    published = httpx.post(server.url + "/directory", json={"protocol": 1, "entries": [entry]},
                           headers={"Authorization": f"Bearer {token}"})
    assert published.status_code == 200
    ann.sync()
    with ann.store.read() as conn:
        row = conn.execute(select(services).where(services.c.id == entry["id"])).mappings().one()
    assert row["name"] == "Walking for health" and row["free"] is True
    assert row["last_checked"] == date(2026, 3, 1) and row["waiting_weeks"] == 2


def test_an_edit_lost_to_a_newer_delete_can_be_brought_back(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    person = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                  date_of_birth=date(1938, 5, 1)).id
    ann.sync()
    ben.sync()
    ben.ws.people.update(person, address="Moved to 5 New Road")  # offline, first
    ann.ws.people.delete(person)  # later: the delete is newer and wins
    ben.sync()
    ann.sync()
    ben.sync()
    assert _deleted(ann, person) and _deleted(ben, person)
    (lost,) = list_conflicts(ben.store)
    assert lost.is_delete_race and lost.kept_value == "deleted"
    assert lost.other_value == {"address": "Moved to 5 New Road"}

    assert resolve_conflict(ben.store, ben.ws.changes, lost.id, Choice.OTHER)
    ben.sync()
    ann.sync()
    for laptop in (ann, ben):
        assert not _deleted(laptop, person)
        assert laptop.ws.people.get(person).address == "Moved to 5 New Road"
        assert list_conflicts(laptop.store) == []
    assert_same_data(server, ann, ben)
