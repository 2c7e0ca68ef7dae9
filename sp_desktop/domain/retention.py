"""Laptop retention: a laptop keeps only people whose case is open or closed within a set
number of days, so a lost laptop holds as little as possible. The office keeps them (this is
not an erasure); the laptop and the office agree on who is out of the laptop's scope by this
one rule, each applying it to the rows it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

DEFAULT_KEEP_CLOSED_DAYS = 90
MIN_KEEP_CLOSED_DAYS = 7
MAX_KEEP_CLOSED_DAYS = 3650


def latest_by_person(dated: Iterable[tuple[str | None, date | str | None]]) -> dict[str, date]:
    """The latest date per person of (person, date) pairs (ISO text or dates)."""
    latest: dict[str, date] = {}
    for person, when in dated:
        if person is None or when is None:
            continue
        day = when if isinstance(when, date) else date.fromisoformat(str(when)[:10])
        if person not in latest or day > latest[person]:
            latest[person] = day
    return latest


def closed_beyond(
    closed_on: Mapping[str, date],
    referred_on: Mapping[str, date],
    today: date,
    keep_days: int,
) -> set[str]:
    """People whose latest closing review is more than `keep_days` before `today`, with no
    referral received after it (a new referral reopens them)."""
    cutoff = today - timedelta(days=keep_days)
    return {
        person
        for person, closed in closed_on.items()
        if closed < cutoff and not (person in referred_on and referred_on[person] > closed)
    }
