"""UI benchmark: caseload after unlock, search keystrokes, and UI-thread stalls while saving.

Run: QT_QPA_PLATFORM=offscreen python bench/bench_ui.py [--people 10000]
Targets (issue 3): the caseload appears within 300 ms of unlocking; a search keystroke refilters
within 50 ms; saving a visit never blocks the UI thread for more than 50 ms. Each figure is
printed with a baseline measured in the same run (the service call alone, the bare filter loop,
the event loop left idle).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from sp_desktop import app as sp_app  # noqa: E402
from sp_desktop.domain.choices import Consent, ReferralSource  # noqa: E402
from sp_desktop.domain.text import fold  # noqa: E402
from sp_desktop.services.demo import create_demo_store  # noqa: E402
from sp_desktop.services.workspace import Workspace  # noqa: E402

PASSPHRASE = "bench kettle violet harbour"
QUERY = "siobhan"


class Heartbeat:
    """A 2 ms timer on the UI thread: the longest gap between beats is the worst stall."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(2)
        self.timer.timeout.connect(self._beat)
        self.clock = QElapsedTimer()
        self.gaps: list[float] = []
        self.marks: list[tuple[float, str]] = []
        self._last = 0.0

    def _beat(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        self.gaps.append(now - self._last)
        self._last = now

    def mark(self, what: str) -> None:
        self.marks.append((self.clock.nsecsElapsed() / 1e6, what))

    def stalls(self, over: float) -> list[str]:
        """Long gaps, each named by the step that was running when it ended."""
        found, elapsed = [], 0.0
        for gap in self.gaps:
            elapsed += gap
            if gap > over:
                step = next((w for t, w in reversed(self.marks) if t <= elapsed), "start")
                found.append(f"{gap:.0f} ms during {step}")
        return found

    def __enter__(self) -> Heartbeat:
        self.gaps.clear()
        self.clock.start()
        self._last = 0.0
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.timer.stop()

    @property
    def worst(self) -> float:
        return max(self.gaps, default=0.0)


def wait(app: QApplication, condition: Callable[[], bool], seconds: float = 60) -> None:
    end = time.perf_counter() + seconds
    while not condition():
        app.processEvents()
        time.sleep(0.0005)
        if time.perf_counter() > end:
            raise SystemExit("timed out")


def type_like_a_person(app: QApplication, widget: object, text: str) -> None:
    """One key at a time with the event loop running between keys, as real typing is."""
    for ch in text:
        QTest.keyClicks(widget, ch)  # type: ignore[arg-type]
        app.processEvents()


def ms(seconds: float) -> float:
    return seconds * 1000


def line(what: str, value: float, target: float | None = None, base: float | None = None) -> None:
    text = f"  {what:<48} {value:8.1f} ms"
    if target is not None:
        text += f"   target ≤ {target:.0f} ms  {'ok' if value <= target else 'MISSED'}"
    if base:
        text += f"   ({value / base:.1f}× baseline)"
    print(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sp-bench-")) / "store"
    started = time.perf_counter()
    ws = create_demo_store(folder, PASSPHRASE, args.people)  # real Argon2 parameters
    ws.close()
    print(f"Demo store with {args.people} people made in {time.perf_counter() - started:.1f} s")

    # Baseline 1: the caseload service alone, on a freshly opened store.
    ws = Workspace.open(folder, PASSPHRASE)
    ws.caseload.rows()
    service = []
    for _ in range(5):
        t = time.perf_counter()
        rows = ws.caseload.rows()
        service.append(time.perf_counter() - t)
    ws.close()

    app = sp_app.application()
    window = sp_app.build(folder, route_errors=False)
    window.start()
    wait(app, lambda: window.unlock_dialog is not None and window.unlock_dialog.isVisible())
    dialog = window.unlock_dialog
    assert dialog is not None
    unlocked_at: list[float] = []
    window.session.unlocked.connect(lambda: unlocked_at.append(time.perf_counter()))
    QTest.keyClicks(dialog.passphrase, PASSPHRASE)
    pressed = time.perf_counter()
    with Heartbeat() as unlock_beat:
        QTest.keyClick(dialog.passphrase, Qt.Key.Key_Return)
        wait(app, lambda: window.caseload.model.rowCount() == args.people)
        window.caseload.table.viewport().repaint()
        shown = time.perf_counter()
    unlock_ms = ms(unlocked_at[0] - pressed)
    appear_ms = ms(shown - unlocked_at[0])

    # Search: each keystroke of QUERY typed into the real search box, then painted.
    search = window.caseload.search
    search.setFocus()
    keystrokes = []
    for ch in QUERY:
        t = time.perf_counter()
        QTest.keyClicks(search, ch)
        window.caseload.table.viewport().repaint()
        keystrokes.append(time.perf_counter() - t)
    matches = window.caseload.model.rowCount()
    # Baseline 2: the bare filter loop over the same rows, no Qt at all.
    bare = []
    for i in range(1, len(QUERY) + 1):
        folded = fold(QUERY[:i])
        t = time.perf_counter()
        _ = [r.person_id for r in rows if r.matches(folded)]
        bare.append(time.perf_counter() - t)
    search.clear()
    wait(app, lambda: not window.session.tasks.busy)

    # Saving a visit: type, autosave, wellbeing, sign — watching the UI thread's heartbeat.
    person_id = window.caseload.model.person_id(0)
    window.session.write(
        lambda w: w.people.record_referral(
            person_id,
            source=ReferralSource.GP,
            received_on=date.today(),
            consent=Consent.GIVEN,
            consent_on=date.today(),
        )
    )
    wait(app, lambda: not window.session.tasks.busy)
    with Heartbeat() as idle_beat:
        QTest.qWait(300)
    window.show_person(person_id)
    wait(app, lambda: window.person.overview is not None)
    visit = window.visit
    with Heartbeat() as save_beat:
        save_beat.mark("start visit")
        window.start_visit(person_id)
        wait(app, lambda: visit.summary is not None)
        save_beat.mark("first life domain")
        visit.sections.setCurrentRow(1)
        save_beat.mark("typing notes")
        page = visit.domain_pages[0]
        type_like_a_person(app, page.notes, "Goes to the library on Thursdays, wants company.")
        save_beat.mark("draft")
        visit.save_draft()
        save_beat.mark("typing a concern")
        type_like_a_person(app, page.concern_words, "Weekends are long")
        save_beat.mark("adding the concern")
        QTest.mouseClick(page.severity.buttons[6], Qt.MouseButton.LeftButton)
        QTest.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
        wait(app, lambda: page.concerns.rowCount() >= 1)
        save_beat.mark("summary")
        visit.sections.setCurrentRow(visit.finish_index)
        wait(app, lambda: "Weekends are long" in visit.finish_view.toPlainText())
        save_beat.mark("signing")
        QTest.mouseClick(visit.sign_button, Qt.MouseButton.LeftButton)
        wait(app, lambda: window.stack.currentWidget() is window.person)
        wait(app, lambda: not window.session.tasks.busy)

    print()
    print(f"Caseload of {args.people} people")
    line("unlock (Argon2id + open + migrations check)", unlock_ms)
    line(
        "caseload on screen after unlocking",
        appear_ms,
        300,
        ms(statistics.median(service)),
    )
    line("  baseline: caseload service call alone", ms(statistics.median(service)))
    line("worst UI-thread stall during unlock", unlock_beat.worst, 50)
    print(f"Search “{QUERY}” typed one key at a time ({matches} matches at the end)")
    line("slowest keystroke, refiltered and painted", ms(max(keystrokes)), 50, ms(max(bare)))
    line("median keystroke", ms(statistics.median(keystrokes)), 50)
    line("  baseline: bare filter loop, slowest", ms(max(bare)))
    print("Home visit: open, type, autosave, add concern, summary, sign")
    line("worst UI-thread stall", save_beat.worst, 50, idle_beat.worst)
    line("  baseline: worst gap with the event loop idle", idle_beat.worst)
    for stall in save_beat.stalls(over=30):
        print(f"    stall: {stall}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
