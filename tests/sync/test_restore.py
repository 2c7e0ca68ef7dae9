""""Restore" answers: a laptop too long away, or whose adviser moved team, gets a fresh copy."""

from __future__ import annotations

import secrets
from datetime import date

from laptops import LaptopFactory, assert_same_data, local_rows, team_of
from sqlalchemy import func, select

from sp_desktop.server.testing import RunningServer
from sp_desktop.store.schema import outbox
from sp_desktop.sync import local


def test_a_cursor_older_than_the_tombstone_retention_restores_and_keeps_the_outbox(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    gone = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                date_of_birth=date(1938, 5, 1)).id
    kept = ann.ws.people.create(given_name="Frank", family_name="Hill",
                                date_of_birth=date(1941, 2, 3), address="3 Low Rd").id
    ann.sync()
    ben.sync()
    ann.ws.people.delete(gone)
    ann.sync()
    server.cli("tombstones", "purge", "--older-than-days", "0")  # the delete is forgotten
    ben.ws.people.update(kept, address="4 Low Rd")  # waiting on ben's laptop

    result = ben.sync()
    assert result.restored == "cursor_too_old"
    assert ("people", gone) not in local_rows(ben)  # the delete ben never pulled still lands
    assert ben.ws.people.get(kept).address == "4 Low Rd"
    with ben.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 0
    ann.sync()
    assert ann.ws.people.get(kept).address == "4 Low Rd"  # the waiting change went up
    assert ben.sync().restored is None  # once restored, syncs are ordinary again
    # Ann keeps her own local tombstone of the purged row; ben's copy matches the server's.
    assert local_rows(ann)[("people", gone)]["deleted"] is True
    assert_same_data(server, ben)


def test_an_adviser_moved_to_another_team_gets_that_teams_caseload_only(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    old_person = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                      date_of_birth=date(1938, 5, 1)).id
    ann.sync()
    other = f"team_{secrets.token_hex(4)}"
    server.add_team(other)
    cara = make_laptop(other)
    new_person = cara.ws.people.create(given_name="Gwen", family_name="Ash",
                                       date_of_birth=date(1950, 1, 1)).id
    cara.sync()

    server.cli("adviser", "move", ann.name, "--team", other)
    result = ann.sync()
    assert result.restored == "team_changed"
    held = local_rows(ann)
    assert ("people", old_person) not in held  # the old team's caseload left the laptop
    assert ("people", new_person) in held
    assert ann.store.meta(local.META_TEAM) == other
    assert_same_data(server, ann, cara)


def test_a_first_sync_in_pages_completes_after_tombstones_were_purged(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    """A new laptop pulling page by page passes cursors below the purge point; it has missed no
    delete (it read everything after the purge), so it must not be sent back to the start."""
    ann = make_laptop()
    kept = [ann.ws.people.create(given_name=f"P{n}", family_name="Hill",
                                 date_of_birth=date(1940, 1, 1 + n)).id for n in range(3)]
    gone = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                date_of_birth=date(1938, 5, 1)).id
    ann.sync()
    ann.ws.people.delete(gone)
    ann.sync()
    server.cli("tombstones", "purge", "--older-than-days", "0")

    ben = make_laptop(team_of(ann))
    with ben.client(page_limit=1) as client:
        result = client.sync_once()
    assert result.restored is None
    assert {row.person_id for row in ben.ws.caseload.rows()} >= set(kept)
    assert ("people", gone) not in local_rows(ben)
    assert ben.sync().restored is None
    # A laptop that had pulled before the purge still restores (it may hold the deleted row).
    ann.ws.people.create(given_name="Gwen", family_name="Ash", date_of_birth=date(1950, 1, 1))
    ann.sync()
    ann.ws.people.delete(kept[0])
    ann.sync()
    server.cli("tombstones", "purge", "--older-than-days", "0")
    assert ben.sync().restored == "cursor_too_old"
    assert ("people", kept[0]) not in local_rows(ben)
    assert_same_data(server, ben)
