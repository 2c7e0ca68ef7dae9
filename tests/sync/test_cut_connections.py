"""Connections cut at random byte offsets of requests and responses: nothing lost or doubled.

Two laptops sync through a proxy that cuts most connections part-way (at least 200 cuts a run).
Afterwards every change typed is on the server exactly once, nothing extra appeared (no
conflicts: each field has one writer, so a conflict would mean an edit was applied twice), and
both laptops hold exactly what the server holds.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from laptops import Laptop, LaptopFactory, assert_same_data, team_of

from sp_desktop.domain.wellbeing import AssessmentContext, Ons4Scores
from sp_desktop.server.testing import CuttingProxy, RunningServer, team_rows
from sp_desktop.store.schema import people
from sp_desktop.sync import local
from sp_desktop.sync.client import sync_status

MIN_CUTS = 200
MAX_ROUNDS = 60


def _through(laptop: Laptop, proxy: CuttingProxy) -> None:
    with laptop.store.write() as conn:
        local.set_meta(conn, local.META_SERVER_URL, proxy.url)


def _sync_through_cuts(laptop: Laptop) -> None:
    # Tiny back-off so a few hundred cuts take seconds; a real laptop waits longer.
    laptop.sync(batch_size=4, page_limit=7, max_attempts=10_000, backoff=0.001,
                backoff_cap=0.005, timeout=10)


def test_cut_connections_lose_and_duplicate_nothing(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ben = make_laptop(team_of(ann))
    proxy = CuttingProxy(int(server.url.rsplit(":", 1)[1]), cut_ratio=0.85, max_offset=1200,
                         seed=7).start()
    _through(ann, proxy)
    _through(ben, proxy)
    rng = random.Random(11)
    expected: dict[str, dict[str, Any]] = {}  # person -> fields as last typed
    assessments = 0
    try:
        rounds = 0
        while proxy.cuts < MIN_CUTS and rounds < MAX_ROUNDS:
            rounds += 1
            for laptop, field in ((ann, "address"), (ben, "phone")):
                # New people on this laptop, edits to people it can see, a fact appended.
                for _ in range(2):
                    n = len(expected)
                    person = laptop.ws.people.create(
                        given_name=f"Person{n}", family_name="Test",
                        date_of_birth=date(1940, 1, 1 + n % 28)).id
                    expected[person] = {"given_name": f"Person{n}", "address": "", "phone": ""}
                visible = [p for p in expected if _has(laptop, p)]
                for person in rng.sample(visible, min(3, len(visible))):
                    value = f"{field} {rounds}-{rng.randrange(10**6)}"
                    laptop.ws.people.update(person, **{field: value})
                    expected[person][field] = value
                if visible:
                    laptop.ws.wellbeing.record(
                        rng.choice(visible), Ons4Scores(rng.randrange(11), 5, 5, 5),
                        on=date(2026, 2, 1), context=AssessmentContext.REVIEW)
                    assessments += 1
                _sync_through_cuts(laptop)
        assert proxy.cuts >= MIN_CUTS, f"only {proxy.cuts} cuts in {rounds} rounds"
        assert proxy.request_cuts > 20 and proxy.response_cuts > 20
    finally:
        proxy.enabled = False
    for laptop in (ann, ben, ann):
        _sync_through_cuts(laptop)
    proxy.stop()

    for laptop in (ann, ben):
        assert sync_status(laptop.store).waiting == 0
    held = team_rows(server.database_url, team_of(ann))
    held_people = {row_id: row["fields"] for (table, row_id), row in held.items()
                   if table == people.name}
    assert set(held_people) == set(expected)  # none lost, none invented
    for person, fields in expected.items():
        for name, value in fields.items():
            assert held_people[person][name] == value, (person, name)  # type: ignore[index]
    assert sum(1 for (table, _row) in held if table == "answers") == assessments
    assert _team_conflicts(server, ann) == []
    assert_same_data(server, ann, ben)


def _has(laptop: Laptop, person: str) -> bool:
    from sqlalchemy import select

    with laptop.store.read() as conn:
        return conn.execute(select(people.c.id).where(people.c.id == person)).first() is not None


def _team_conflicts(server: RunningServer, laptop: Laptop) -> list[Any]:
    from sqlalchemy import select

    from sp_desktop.server import db

    engine = db.make_engine(server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            team_id = conn.execute(
                select(db.teams.c.id).where(db.teams.c.name == team_of(laptop))).scalar()
            return list(conn.execute(select(db.conflicts).where(db.conflicts.c.team_id == team_id)))
    finally:
        engine.dispose()
