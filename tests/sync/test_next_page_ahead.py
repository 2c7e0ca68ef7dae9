"""A pull of many pages fetches the next page while the laptop applies the one it has. The
adviser sees the same data as a pull page by page, and an edit saved while a page is being
applied goes up in the very next round trip (the page asked ahead is dropped, not used)."""

from __future__ import annotations

from datetime import date

from laptops import LaptopFactory, assert_same_data, local_rows

from sp_desktop.server.testing import RunningServer
from sp_desktop.services.demo import populate
from sp_desktop.sync.client import SyncProgress


def test_a_pull_of_many_pages_arrives_whole(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    seeder = make_laptop()
    populate(seeder.ws, 6, seed=4)
    seeder.sync()
    fresh = make_laptop(seeder.store.meta("team"))
    result = fresh.sync(page_limit=7)  # many small pages: each next one asked ahead
    assert result.round_trips > 5
    assert_same_data(server, fresh)  # (the demo's refused follow-ups stay on the seeder)


def test_an_edit_saved_mid_pull_goes_up_and_nothing_is_lost(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    seeder = make_laptop()
    populate(seeder.ws, 4, seed=5)
    seeder.sync()
    fresh = make_laptop(seeder.store.meta("team"))
    added: list[str] = []

    def adviser_saves(step: SyncProgress) -> None:
        # Called once a page is applied, while the next page is already on its way.
        if step.more and not added:
            added.append(
                fresh.ws.people.create(
                    given_name="Saved", family_name="Midpull", date_of_birth=date(1960, 5, 6)
                ).id
            )

    with fresh.client(page_limit=7) as client:
        client.sync_once(progress=adviser_saves)
    assert added
    assert ("people", added[0]) in local_rows(fresh)
    seeder.sync()
    assert ("people", added[0]) in local_rows(seeder)  # it reached the office, and back out
    assert_same_data(server, fresh)  # (the demo's refused follow-ups stay on the seeder)
