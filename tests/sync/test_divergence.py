"""Divergence checks: a laptop whose copy was damaged finds out and gets the missing rows back."""

from __future__ import annotations

from datetime import date

from laptops import LaptopFactory, assert_same_data, team_of
from sqlalchemy import delete, func, select, update

from sp_desktop.domain.people import AccessNeeds
from sp_desktop.server.testing import RunningServer
from sp_desktop.store.schema import outbox, people
from sp_desktop.sync import local


def _people_count(store: object) -> int:
    with store.read() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).select_from(people)).scalar_one())


def test_a_row_deleted_behind_the_apps_back_is_detected_and_restored(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    edith = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                 date_of_birth=date(1938, 5, 1)).id
    ann.ws.people.create(given_name="Frank", family_name="Hill", date_of_birth=date(1941, 2, 3))
    ann.sync()
    ben.sync()  # first sync: a check is now owed
    assert ben.store.meta(local.META_CHECK_DUE) == "1"
    ben.sync()  # nothing new: the check gets a verdict, and a healthy copy needs no resync
    assert ben.store.meta(local.META_CHECK_DUE) is None
    assert ben.store.meta(local.META_RESYNC) is None

    with local.sync_transaction(ben.store) as conn:  # damage: a pulled person vanishes
        conn.execute(delete(people).where(people.c.id == edith))
    assert _people_count(ben.store) == 1

    ben.sync(check_every=1)  # this sync owes no check; it schedules one for the next
    assert _people_count(ben.store) == 1
    result = ben.sync(check_every=1)
    assert ben.ws.people.get(edith).given_name == "Edith"
    assert "people" in result.tables and edith in result.people  # screens are told
    assert _people_count(ben.store) == 2  # restored once, nothing duplicated
    assert ben.store.meta(local.META_RESYNC) is None
    assert_same_data(server, ann, ben)


def test_a_resync_keeps_changes_still_waiting_to_go_up(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    edith = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                 date_of_birth=date(1938, 5, 1), address="1 Mill Lane").id
    ann.sync()
    ben.sync()
    ben.ws.people.update(edith, address="2 Mill Lane")  # waiting in ben's outbox
    with ben.store.write() as conn:  # a check found people wrong; the re-pull is still to do
        local.set_meta(conn, local.META_RESYNC, '["people"]')
        local.set_meta(conn, local.META_RESYNC_CURSOR, "0")

    ben.sync()
    with ben.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 0
    assert ben.ws.people.get(edith).address == "2 Mill Lane"  # the re-pull did not undo it
    ann.sync()
    assert ann.ws.people.get(edith).address == "2 Mill Lane"  # and it went up once
    assert_same_data(server, ann, ben)


def _check_now(laptop: object) -> None:
    """Owes a check, then syncs: the check is sent on the first round trip."""
    with laptop.store.write() as conn:  # type: ignore[attr-defined]
        local.set_meta(conn, local.META_CHECK_DUE, "1")
    laptop.sync()  # type: ignore[attr-defined]


def test_a_value_changed_behind_the_apps_back_with_the_same_stamp_is_found_and_corrected(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    edith = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                 date_of_birth=date(1938, 5, 1), postcode="LS1 4AB",
                                 access=AccessNeeds(large_print=True)).id
    ann.sync()
    ben.sync()
    ben.sync()  # the first check: a healthy copy
    assert ben.store.meta(local.META_CHECK_DUE) is None
    with local.sync_transaction(ben.store) as conn:  # same id, same stamp, other content
        conn.execute(update(people).where(people.c.id == edith)
                     .values(postcode="LS9 9ZZ", large_print=False,
                             date_of_birth=date(1938, 5, 2)))

    _check_now(ben)
    assert ben.store.meta(local.META_RESYNC) is None  # found and re-pulled in the same sync
    seen = ben.ws.people.get(edith)
    assert (seen.postcode, seen.access.large_print, seen.date_of_birth) == (
        "LS1 4AB", True, date(1938, 5, 1))
    assert_same_data(server, ann, ben)
    _check_now(ben)  # dates, flags and numbers hash alike on both sides: no false mismatch
    assert ben.store.meta(local.META_RESYNC) is None
    assert ben.store.meta(local.META_CHECK_DUE) is None


def test_extra_local_rows_are_removed_but_rows_with_a_waiting_change_stay(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    ann.ws.people.create(given_name="Edith", family_name="Jones",
                         date_of_birth=date(1938, 5, 1))
    ann.sync()
    ben.sync()
    ben.sync()
    # Damage: copies of rows the office never had (an old bug, a restored backup).
    with ben.store.read() as conn:
        template = dict(conn.execute(select(people)).mappings().one())
    ghosts = [f"0190a000-0000-7000-8000-00000000000{n}" for n in range(3)]
    with local.sync_transaction(ben.store) as conn:
        conn.execute(people.insert(), [{**template, "id": g} for g in ghosts])
    new = ben.ws.people.create(given_name="Frank", family_name="Hill",
                               date_of_birth=date(1941, 2, 3)).id  # waiting to go up
    with ben.store.write() as conn:  # a check found people wrong; the re-pull is still to do
        local.set_meta(conn, local.META_RESYNC, '["people"]')
        local.set_meta(conn, local.META_RESYNC_CURSOR, "0")

    # The re-pull comes one row a page (its record of what it saw outlives each page), and
    # runs before the waiting change goes up.
    with ben.client(page_limit=1) as client:
        result = client.sync_once()
    with ben.store.read() as conn:
        held = set(conn.execute(select(people.c.id)).scalars())
    assert not held & set(ghosts)
    assert new in held and ben.ws.people.get(new).given_name == "Frank"
    assert set(ghosts) <= result.people  # screens are told the rows went
    assert ben.store.meta(local.META_RESYNC_SEEN) is None
    ann.sync()
    assert_same_data(server, ann, ben)
