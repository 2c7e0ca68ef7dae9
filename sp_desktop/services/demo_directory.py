"""A synthetic directory of local services for the demo store, benchmarks and tests.

Everything is invented from resources/directory/demo_words.json and the demo towns and streets
in resources/words. Phone numbers are Ofcom drama numbers (01632 960xxx) and email addresses
use example.org, so a demo entry can never reach a real organisation.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from sp_desktop.domain.directory import Category, Service
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.text import fold
from sp_desktop.interchange.oruk import vocabulary
from sp_desktop.resource_files import load_json, resource_lines
from sp_desktop.services.directory import service_row

_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters allowed in the inward code of a postcode
_OLDEST_CHECK_DAYS = 540


@dataclass(frozen=True, slots=True)
class _Words:
    raw: dict[str, Any]
    towns: tuple[tuple[str, str], ...]  # (town, postcode area letters)
    streets: tuple[str, ...]


def _lines(name: str) -> list[str]:
    return resource_lines("words", name)


@cache
def _words() -> _Words:
    towns = []
    for line in _lines("towns.txt"):
        town, _, code = line.partition("|")
        towns.append((town.strip(), code.strip()))
    raw = load_json("directory/demo_words.json")
    return _Words(raw, tuple(towns), tuple(_lines("streets.txt")))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", fold(text))[:24] or "group"


def demo_service(rng: random.Random, today: date | None = None) -> Service:
    """One invented but plausible local activity, validated like any directory entry."""
    words = _words()
    vocab = vocabulary()
    activity = rng.choice(words.raw["activities"])
    town, code = rng.choice(words.towns)
    venue = rng.choice(words.raw["venues"]).format(town=town)
    organisation = rng.choice(words.raw["organisations"]).format(town=town)
    free = rng.random() < activity["free"]
    cost = "Free" if free else rng.choice([c for c in activity["costs"] if c != "Free"] or ["£2"])
    online_only = "phone" in activity["name"].lower()
    step_free = rng.random() < 0.7
    access = rng.choice(words.raw["access"]["step_free" if step_free else "not_step_free"])
    waits = rng.random() < activity["wait"]
    contact = rng.choice(words.raw["contact_names"])
    day = today or date.today()
    return Service(
        id=new_id(),
        name=f"{activity['name']}, {town}",
        organisation=organisation,
        description=activity["description"],
        category=Category(activity["category"]),
        wellbeing_tags=tuple(w for w in (vocab.way(t) for t in activity["ways"]) if w),
        address=""
        if online_only
        else f"{venue}, {rng.randrange(1, 120)} {rng.choice(words.streets)}, {town}",
        postcode=""
        if online_only
        else f"{code}{rng.randrange(1, 20)} {rng.randrange(1, 10)}"
        f"{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}",
        area=town,
        contact_name=contact,
        contact_phone=f"01632 960{rng.randrange(1000):03d}",
        contact_email=f"{_slug(contact)}@{_slug(organisation)}.example.org",
        schedule=rng.choice(activity["times"]),
        cost=cost,
        free=free,
        step_free=step_free and not online_only,
        accessibility="By phone: no travel needed." if online_only else access,
        how_to_refer=rng.choice(words.raw["how_to_refer"]),
        waiting_weeks=rng.randrange(1, 9) if waits else (0 if rng.random() < 0.5 else None),
        active=rng.random() > 0.04,  # a few paused groups, as real directories have
        last_checked=day - timedelta(days=rng.randrange(_OLDEST_CHECK_DAYS)),
    )


def demo_services(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """`count` rows for the `services` table (fields only; the caller adds sync columns).

    Names are unique within one call: a repeated activity in the same town gets a venue number.
    """
    rows: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    for _ in range(count):
        service = demo_service(rng)
        seen = names.get(service.name, 0)
        names[service.name] = seen + 1
        row = service_row(service)
        if seen:
            row["name"] = f"{service.name} ({seen + 1})"
        rows.append(row)
    return rows
