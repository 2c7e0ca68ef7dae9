"""The console's report catch-up after pushes runs at most once every few seconds per worker."""

from __future__ import annotations

from sp_desktop.server.app import _Every


def test_due_once_per_interval_whatever_the_number_of_pushes() -> None:
    now = [100.0]
    timer = _Every(2.0, clock=lambda: now[0])
    answers = []
    for _push in range(50):  # fifty pushes within one second: one catch-up
        answers.append(timer.due())
        now[0] += 0.02
    assert answers.count(True) == 1 and answers[0]
    now[0] += 2.0
    assert timer.due()
    assert not timer.due()
