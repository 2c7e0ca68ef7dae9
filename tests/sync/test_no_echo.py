"""A laptop is never sent its own changes back: what it pushed, stored as it sent it, stays
where it is; a change the office merged or refused, or a teammate's, still comes to it."""

from __future__ import annotations

from datetime import date

from laptops import LaptopFactory, assert_same_data, team_of

from sp_desktop.domain.choices import ReferralSource
from sp_desktop.server.testing import RunningServer
from sp_desktop.sync import local
from sp_desktop.sync.client import sync_status


def test_own_changes_are_not_sent_back_and_the_content_check_still_agrees(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    made = []
    for n in range(5):
        person = ann.ws.people.create(given_name=f"P{n}", family_name="Echo",
                                      date_of_birth=date(1940, 1, 1 + n)).id
        ann.ws.people.record_referral(person, source=ReferralSource.GP,
                                      received_on=date(2026, 1, 5), reason="lonely")
        made.append(person)
    waiting = sync_status(ann.store).waiting  # people, referrals, first follow-ups
    first = ann.sync()
    # All went and none came back (the office's directory, shared by every test's laptops on
    # this server, may: it is not hers).
    assert first.pushed == waiting > 10 and not first.people and first.tables <= {"services"}
    ann.ws.people.update(made[0], phone="0113 496 0001")
    assert not ann.sync().people
    assert_same_data(server, ann)
    with ann.store.write() as conn:  # the content check compares every row with the office's
        local.set_meta(conn, local.META_CHECK_DUE, "1")
    checked = ann.sync(check_every=0)
    assert not checked.people and ann.store.meta(local.META_RESYNC) is None

    ben = make_laptop(team_of(ann))
    received = ben.sync()  # a teammate receives all of it
    assert received.pulled >= waiting and set(made) <= received.people
    ben.ws.people.update(made[1], phone="0113 496 0002")
    ben.sync()
    assert ann.sync().people == {made[1]}  # and the teammate's change reaches ann
    assert_same_data(server, ann, ben)


def test_a_change_the_office_merged_comes_back(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    person = ann.ws.people.create(given_name="Ada", family_name="Merge",
                                  date_of_birth=date(1940, 1, 1)).id
    ann.sync()
    ben = make_laptop(team_of(ann))
    ben.sync()
    ben.ws.people.update(person, address="2 New Street")
    ann.ws.people.update(person, phone="0113 496 0003")  # before ann has seen ben's edit
    ben.sync()
    assert ann.sync().pulled >= 1  # the row as merged: ann's phone and ben's address
    held = ann.ws.people.get(person)
    assert held.address == "2 New Street" and held.phone == "0113 496 0003"
    assert ben.sync().pulled == 1
    assert_same_data(server, ann, ben)
