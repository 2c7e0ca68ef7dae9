"""Offline search of the directory as an adviser uses it: words, filters, and fresh results."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import update

from sp_desktop.domain.directory import Category, ServiceQuery, WellbeingWay
from sp_desktop.services.demo_directory import demo_service
from sp_desktop.services.directory import DirectoryIndex, DirectoryService, ImportMode
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import services

from .conftest import entry

WALK = entry(
    "Walking for Health",
    Category.PHYSICAL_ACTIVITY,
    organisation="Fernside Community Trust",
    description="Gentle led walks on flat paths, then a cuppa.",
    wellbeing_tags=("be_active", "take_notice"),
    area="Fernside",
    free=True,
    step_free=True,
)
CAFE = entry(
    "Zoë's Memory Café",
    Category.SOCIAL_ACTIVITY,
    organisation="Greystone Good Neighbours",
    description="Music, reminiscence and a cuppa for people living with memory loss.",
    wellbeing_tags=("connect",),
    area="Greystone",
    free=False,
    cost="£1",
    step_free=True,
)
GARDEN = entry(
    "Garden volunteers",
    Category.VOLUNTEERING,
    organisation="Łódź Polish Club",
    description="Help in the community garden; walking distance from the bus stop.",
    wellbeing_tags=("give", "be_active"),
    area="Fernside",
    free=True,
    step_free=False,
)
PAUSED = entry("Tai chi", Category.PHYSICAL_ACTIVITY, area="Greystone", free=True, active=False)


@pytest.fixture
def loaded(directory: DirectoryService) -> DirectoryService:
    directory.import_services([WALK, CAFE, GARDEN, PAUSED], ImportMode.MERGE)
    return directory


def names(found: list) -> list[str]:  # type: ignore[type-arg]
    return [s.name for s in found]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (ServiceQuery(), ["Garden volunteers", "Walking for Health", "Zoë's Memory Café"]),
        (ServiceQuery(words="walk"), ["Walking for Health", "Garden volunteers"]),
        (ServiceQuery(words="WALKING paths"), ["Walking for Health"]),
        (ServiceQuery(words="zoe cafe"), ["Zoë's Memory Café"]),
        (ServiceQuery(words="lodz"), ["Garden volunteers"]),
        (ServiceQuery(words="cuppa"), ["Walking for Health", "Zoë's Memory Café"]),
        (ServiceQuery(words="neighbours"), ["Zoë's Memory Café"]),
        (ServiceQuery(words="alking"), []),
        (ServiceQuery(words="swimming"), []),
        (ServiceQuery(category=Category.VOLUNTEERING), ["Garden volunteers"]),
        (ServiceQuery(ways=frozenset({WellbeingWay.BE_ACTIVE})),
         ["Garden volunteers", "Walking for Health"]),
        (ServiceQuery(ways=frozenset({WellbeingWay.BE_ACTIVE, WellbeingWay.GIVE})),
         ["Garden volunteers"]),
        (ServiceQuery(area="fernside"), ["Garden volunteers", "Walking for Health"]),
        (ServiceQuery(area="Nowhere"), []),
        (ServiceQuery(free_only=True), ["Garden volunteers", "Walking for Health"]),
        (ServiceQuery(step_free_only=True), ["Walking for Health", "Zoë's Memory Café"]),
        (ServiceQuery(free_only=True, step_free_only=True, words="walk"), ["Walking for Health"]),
        (ServiceQuery(include_inactive=True, area="Greystone"), ["Tai chi", "Zoë's Memory Café"]),
        (ServiceQuery(words="tai"), []),
    ],
)  # fmt: skip
def test_search_finds_what_the_adviser_asked_for(
    loaded: DirectoryService, query: ServiceQuery, expected: list[str]
) -> None:
    assert names(loaded.search(query)) == expected


def test_services_with_the_words_in_their_name_come_first(loaded: DirectoryService) -> None:
    # "walk" is in the walking group's name but only in the garden's description.
    assert names(loaded.search(words="walk")) == ["Walking for Health", "Garden volunteers"]


def test_areas_offered_for_the_filter_are_those_in_the_directory(
    loaded: DirectoryService,
) -> None:
    assert loaded.areas() == ("Fernside", "Greystone")


def test_search_sees_changes_made_by_sync_or_any_other_writer(
    ws: Workspace, loaded: DirectoryService
) -> None:
    assert names(loaded.search(words="swimming")) == []
    with ws.write() as conn:  # as the sync client would apply a pulled row
        conn.execute(
            update(services)
            .where(services.c.id == WALK.id)
            .values(name="Seniors' swimming", wellbeing_tags=json.dumps(["be_active"]))
        )
    assert names(loaded.search(words="swimming")) == ["Seniors' swimming"]


def test_a_second_directory_service_sees_an_import_made_by_the_first(
    ws: Workspace, loaded: DirectoryService
) -> None:
    other = DirectoryService(ws)
    assert len(other.search()) == 3
    loaded.import_services([entry("Chess club", area="Fernside")], ImportMode.MERGE)
    assert "Chess club" in names(other.search(words="chess"))


def test_removed_services_leave_search_but_can_still_be_read(
    loaded: DirectoryService,
) -> None:
    loaded.import_services([WALK, CAFE, PAUSED], ImportMode.REPLACE)
    assert "Garden volunteers" not in names(loaded.search(include_inactive=True))
    assert loaded.get(GARDEN.id).name == "Garden volunteers"


def test_index_agrees_with_a_plain_scan_on_a_demo_directory() -> None:
    """Cross-check against the obvious slow way, over many random queries."""
    rng = random.Random(7)
    entries = [demo_service(rng) for _ in range(400)]
    index = DirectoryIndex(entries)
    from sp_desktop.services.directory import words_of

    vocabulary = sorted({w for s in entries for w in words_of(s.name + " " + s.description)})
    for _ in range(200):
        words = " ".join(rng.choice(vocabulary)[: rng.randrange(1, 6)] for _ in range(2))
        query = ServiceQuery(
            words=words,
            category=rng.choice([None, *Category]),
            free_only=rng.random() < 0.3,
            step_free_only=rng.random() < 0.3,
            include_inactive=rng.random() < 0.5,
        )
        expected = {
            s.id
            for s in entries
            if (query.include_inactive or s.active)
            and (query.category is None or s.category is query.category)
            and (not query.free_only or s.free)
            and (not query.step_free_only or s.step_free)
            and all(
                any(t.startswith(w) for t in words_of(f"{s.name} {s.organisation} {s.description}"))
                for w in words_of(words)
            )
        }
        assert {s.id for s in index.search(query)} == expected


def test_an_unreadable_entry_from_elsewhere_does_not_stop_search(
    ws: Workspace, loaded: DirectoryService
) -> None:
    with ws.write() as conn:  # e.g. an old store that saved the label, not the value
        conn.execute(
            update(services).where(services.c.id == CAFE.id).values(category="social activity")
        )
    assert names(loaded.search()) == ["Garden volunteers", "Walking for Health"]
    assert loaded.index().skipped == 1
