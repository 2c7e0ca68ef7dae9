"""Laptop retention (issue 14): a laptop keeps only people open or closed within its set
number of days. Against a real server: a person closed 10 days ago stays, one closed 200 days
ago is purged locally (audited by id alone), the office keeps them, neither a pull nor a
consistency check brings them back, a new referral at the office does; a person with a change
still waiting to be sent is not purged."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from laptops import Laptop, LaptopFactory

from sp_desktop.domain.choices import ClosingOutcome, ReferralSource
from sp_desktop.server.testing import RunningServer, stored_rows
from sp_desktop.services import retention
from sp_desktop.services.settings import KEEP_CLOSED_DAYS, Settings
from sp_desktop.store.database import list_backups
from sp_desktop.store.schema import audit_events, people
from sp_desktop.sync import local
from tests.conftest import give_consent

TODAY = date.today()


def _closed(laptop: Laptop, family: str, days_ago: int) -> str:
    ws = laptop.ws
    person = ws.people.create(given_name="Kept", family_name=family,
                              date_of_birth=date(1940, 1, 1)).id
    give_consent(ws, person)
    ws.people.record_referral(person, source=ReferralSource.GP,
                              received_on=TODAY - timedelta(days=days_ago + 30))
    ws.closing.close_case(person, TODAY - timedelta(days=days_ago), ClosingOutcome.COMPLETED,
                          today=TODAY)
    return person


def _held(laptop: Laptop) -> set[str]:
    with laptop.store.read() as conn:
        return set(conn.execute(people.select().with_only_columns(people.c.id)).scalars())


def _check_now(laptop: Laptop, **options: Any) -> None:
    with laptop.store.write() as conn:
        local.set_meta(conn, local.META_CHECK_DUE, "1")
    laptop.sync(**options)


def test_a_laptop_keeps_the_recently_closed_and_drops_the_long_closed(
    server: RunningServer, make_laptop: LaptopFactory, caplog: pytest.LogCaptureFixture
) -> None:
    eve = make_laptop()
    settings = Settings.in_folder(eve.folder)
    assert settings.get(KEEP_CLOSED_DAYS) == 90
    recent = _closed(eve, "RecentlyClosed", 10)
    old = _closed(eve, "LongClosed", 200)
    eve.sync()
    before = eve.ws.store.backup()  # holds them both

    assert retention.retire_closed(eve.ws, settings, TODAY) == 1
    assert recent in _held(eve) and old not in _held(eve)
    backups = list_backups(eve.folder)
    assert [b.path for b in backups] != [before] and len(backups) == 1, (
        "the backups that still held them are replaced by one taken after the purge")
    with eve.store.read() as conn:
        events = list(conn.execute(audit_events.select().where(
            audit_events.c.action == retention.RETIRED_ACTION)).mappings())
    assert [e["person_id"] for e in events] == [old]
    assert "LongClosed" not in repr(events)  # the id alone, no name
    assert old in {row for _table, row in stored_rows(server.database_url)}  # not erased

    eve.sync()
    _check_now(eve)  # a check without the window: a difference, re-pulled, they stay away
    assert "divergence check found" in caplog.text
    assert old not in _held(eve) and recent in _held(eve)
    caplog.clear()
    _check_now(eve, keep_closed_days=90)  # with it, both sides leave them out: no difference
    assert "divergence check found" not in caplog.text
    assert old not in _held(eve) and recent in _held(eve)

    # A new referral at the office (another laptop of the team) reopens them here.
    ann = make_laptop(team=local_team(eve))
    ann.sync()
    ann.ws.people.record_referral(old, source=ReferralSource.GP, received_on=TODAY)
    ann.sync()
    eve.sync()
    eve.sync()
    assert old in _held(eve)


def test_a_person_with_a_change_waiting_is_not_dropped(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    eve = make_laptop()
    old = _closed(eve, "LongClosedUnsent", 200)  # never synced: every change waits
    settings = Settings.in_folder(eve.folder)
    settings.set(KEEP_CLOSED_DAYS, 30)
    assert retention.retire_closed(eve.ws, settings, TODAY) == 0
    assert old in _held(eve)
    eve.sync()
    assert retention.retire_closed(eve.ws, settings, TODAY) == 1
    assert old not in _held(eve)


def local_team(laptop: Laptop) -> str:
    with laptop.store.read() as conn:
        return str(local.get_meta(conn, local.META_TEAM))
