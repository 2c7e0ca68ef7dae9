"""The synthetic demo directory: plausible, valid, varied, and unmistakably invented."""

from __future__ import annotations

import random
from collections import Counter

from sp_desktop.domain.directory import Category, WellbeingWay
from sp_desktop.services.demo_directory import demo_services
from sp_desktop.services.directory import DirectoryService, ImportMode, service_from_row


def test_two_hundred_demo_services_are_valid_and_cover_every_category_and_way() -> None:
    rows = demo_services(200, random.Random(3))
    entries = [service_from_row(r) for r in rows]  # validates every row
    assert len(entries) == 200
    assert len({s.id for s in entries}) == 200
    assert len({s.name for s in entries}) == 200
    assert set(Counter(s.category for s in entries)) == set(Category)
    assert {w for s in entries for w in s.wellbeing_tags} == set(WellbeingWay)
    assert any(s.free for s in entries) and any(not s.free for s in entries)
    assert any(s.step_free for s in entries) and any(not s.step_free for s in entries)
    assert any(s.waiting_weeks for s in entries) and any(not s.active for s in entries)
    assert len({s.area for s in entries}) >= 5


def test_demo_contacts_cannot_reach_anyone_real() -> None:
    for row in demo_services(200, random.Random(4)):
        assert row["contact_phone"].startswith("01632 960")  # Ofcom's drama range
        assert row["contact_email"].endswith(".example.org")


def test_the_same_seed_gives_the_same_directory_apart_from_ids() -> None:
    def stable(seed: int) -> list[tuple[str, str]]:
        return [(r["name"], r["schedule"]) for r in demo_services(50, random.Random(seed))]

    assert stable(9) == stable(9)
    assert stable(9) != stable(10)


def test_the_demo_directory_loads_and_searches(directory: DirectoryService) -> None:
    entries = [service_from_row(r) for r in demo_services(200, random.Random(5))]
    summary = directory.import_services(entries, ImportMode.REPLACE)
    assert len(summary.added) == 200
    assert directory.search(words="walk", free_only=True)
    assert directory.search(category=Category.VOLUNTEERING, ways=frozenset({WellbeingWay.GIVE}))
