"""The console's report catch-up waits for pushes to pause (per worker), then works until
nothing is left, and a push during the work is waited for again."""

from __future__ import annotations

from sp_desktop.server.app import _WhenQuiet


class _Office:
    """A fake clock, and pushes arriving at given moments while the helper sleeps."""

    def __init__(self, pushes_at: list[float], backlog: int) -> None:
        self.now = 0.0
        self.pushes_at = pushes_at
        self.backlog = backlog
        self.worked_at: list[float] = []
        self.quiet: _WhenQuiet | None = None

    def sleep(self, seconds: float) -> None:
        end = self.now + seconds
        for at in [t for t in self.pushes_at if self.now < t <= end]:
            self.now = at
            assert self.quiet is not None
            self.quiet._last = at  # a push arrives (its thread is the one running)
        self.now = end

    def work(self) -> bool:
        self.worked_at.append(self.now)
        self.backlog = max(0, self.backlog - 1)
        return self.backlog > 0


def test_catch_up_waits_for_a_pause_then_clears_the_backlog() -> None:
    office = _Office(pushes_at=[0.5, 1.2, 1.9, 2.6], backlog=3)
    quiet = _WhenQuiet(office.work, 1.0, clock=lambda: office.now, sleep=office.sleep)
    office.quiet = quiet
    quiet._last = 0.0
    quiet.run()
    # Nothing while pushes came (every 0.7 s); then, a second after the last, three steps.
    assert office.worked_at and office.worked_at[0] >= 3.6
    assert len(office.worked_at) == 3 and office.backlog == 0


def test_nothing_to_do_ends_the_helper_at_once() -> None:
    office = _Office(pushes_at=[], backlog=0)
    quiet = _WhenQuiet(office.work, 1.0, clock=lambda: office.now, sleep=office.sleep)
    office.quiet = quiet
    quiet.run()
    assert office.worked_at == [1.0]
