"""Hybrid logical clock: wall time plus a counter plus the device id.

Stamps order edits causally even when laptop clocks disagree, and compare correctly as plain
strings (fixed-width fields), so the store and the server can sort and compare them in SQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

_MAX_COUNTER = 0xFFFF
# How far ahead of a clock a stamp may be and still be believed: the office refuses changes
# stamped further ahead of its own clock, and a laptop never moves its clock to a pulled stamp
# further ahead of its own. Ten minutes covers laptops whose clocks drift between syncs.
MAX_CLOCK_AHEAD_MS = 10 * 60 * 1000


def wall_now_ms() -> int:
    return time.time_ns() // 1_000_000


def too_far_ahead(stamp: HlcStamp, now_ms: int) -> bool:
    """Whether a stamp is further ahead of `now_ms` than any clock should be."""
    return stamp.wall_ms > now_ms + MAX_CLOCK_AHEAD_MS


@dataclass(frozen=True, slots=True, order=True)
class HlcStamp:
    """One stamp; ordering is wall time, then counter, then device id (the tie-break)."""

    wall_ms: int
    counter: int
    device: str

    def __str__(self) -> str:
        return f"{self.wall_ms:015d}-{self.counter:04x}-{self.device}"

    @classmethod
    def parse(cls, text: str) -> HlcStamp:
        parts = text.split("-", 2) if isinstance(text, str) else []
        if len(parts) != 3:
            raise ValueError("not a clock stamp")
        wall, counter, device = parts
        if len(wall) != 15 or len(counter) != 4 or not device or not wall.isascii() or (
            not wall.isdigit()
        ):
            raise ValueError("not a clock stamp")
        return cls(int(wall), int(counter, 16), device)


class HybridClock:
    """Issues strictly increasing stamps for one device and absorbs stamps seen from others."""

    def __init__(
        self, device: str, last: HlcStamp | None = None, now_ms: Callable[[], int] | None = None
    ) -> None:
        if "-" in device:
            raise ValueError("device ids in clock stamps must not contain '-'")
        self.device = device
        self._now_ms = now_ms or wall_now_ms
        self._wall = last.wall_ms if last else 0
        self._counter = last.counter if last else 0

    def now(self) -> HlcStamp:
        """A stamp later than every stamp this clock has issued or received."""
        wall = self._now_ms()
        if wall > self._wall:
            self._wall, self._counter = wall, 0
        else:
            self._advance_counter()
        return HlcStamp(self._wall, self._counter, self.device)

    def receive(self, remote: HlcStamp) -> bool:
        """Moves past a stamp from another device so our next edit is ordered after it.

        A stamp further ahead of our own clock than MAX_CLOCK_AHEAD_MS is not adopted (False):
        one laptop with a clock set to 2100 must not drag every teammate's clock there.
        """
        now = self._now_ms()
        if too_far_ahead(remote, now):
            return False
        wall = max(now, self._wall, remote.wall_ms)
        if wall == self._wall == remote.wall_ms:
            self._counter = max(self._counter, remote.counter)
            self._advance_counter()
        elif wall == self._wall:
            self._advance_counter()
        elif wall == remote.wall_ms:
            self._wall, self._counter = wall, remote.counter
            self._advance_counter()
        else:
            self._wall, self._counter = wall, 0
        return True

    def _advance_counter(self) -> None:
        if self._counter >= _MAX_COUNTER:
            # Counter exhausted within one millisecond: borrow the next millisecond.
            self._wall, self._counter = self._wall + 1, 0
        else:
            self._counter += 1
