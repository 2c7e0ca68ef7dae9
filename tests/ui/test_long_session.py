"""A long working day cannot crash the app (PySide6 6.12.0 on Python 3.11 aborted it)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.refleak import PROBE_CALLS, TOLERATED_DRIFT

from .conftest import PASSPHRASE
from .helpers import settle, unlock

PROBE = """
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
cushion = [None] * {calls} * 3  # so a broken build reports its drift instead of aborting
before = sys.getrefcount(None)
for _ in range({calls}):
    label.setText("a")
    label.update()
    label.setObjectName("x")
print(before - sys.getrefcount(None), flush=True)
import os; os._exit(0)  # a broken build would abort at exit, after the figure is out
"""


def test_void_qt_calls_do_not_eat_references_to_none() -> None:
    """The issue's own reproduction, in a fresh interpreter: 10,000 rounds of void calls."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(calls=PROBE_CALLS)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    drift = int(done.stdout.split()[-1])
    assert drift <= TOLERATED_DRIFT, (
        f"None lost {drift} references over {PROBE_CALLS:,} rounds of void Qt calls: this "
        "PySide6 would abort a long session on Python 3.11 (exclude it in pyproject.toml)"
    )


def test_app_probe_finds_the_installed_pair_sound(qapp: QApplication) -> None:
    from sp_desktop.ui.refleak import leaks_none, none_refcount_drift

    assert not leaks_none()
    assert none_refcount_drift() <= TOLERATED_DRIFT


@pytest.mark.slow
def test_a_working_day_of_input_and_timers_keeps_the_app_alive(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    """Hundreds of thousands of events through the real main window: mouse moves over the
    caseload (each restarts the idle timer), searches typed and cleared, the directory and
    back, and the autosave timer re-armed on every key, as in a day of visits."""
    make_store(people=12)
    unlock(qtbot, window, PASSPHRASE)
    rows_at_start = window.caseload.model.rowCount()
    viewport = window.caseload.table.viewport()
    gc.collect()
    before = sys.getrefcount(None)
    events = 0
    for hour in range(40):
        for step in range(5_000):
            where = QPointF(5 + step % 300, 5 + (step * 7) % 200)
            QApplication.postEvent(
                viewport,
                QMouseEvent(
                    QEvent.Type.MouseMove,
                    where,
                    viewport.mapToGlobal(where),
                    Qt.MouseButton.NoButton,
                    Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier,
                ),
            )
            if step % 1_000 == 999:
                QApplication.processEvents()
        events += 5_000
        search = window.caseload.search
        search.setFocus()
        for text in ("mar", "jo", "zz"):
            qtbot.keyClicks(search, text)
            for _ in text:
                qtbot.keyClick(search, Qt.Key.Key_Backspace)
            events += 4 * len(text)  # press and release, typing and rubbing out
        if hour % 10 == 0:
            window.show_directory()
            window.back_action.trigger()
            window.visit.autosave.start()
            window.visit.autosave.stop()
        settle(window, qtbot)
    gc.collect()
    drift = before - sys.getrefcount(None)
    assert events >= 200_000
    assert window.session.is_unlocked, "the day ended unlocked, as it was used"
    assert window.caseload.model.rowCount() == rows_at_start, "search cleared shows everyone"
    assert drift <= 10 * TOLERATED_DRIFT, f"None lost {drift} references in a day's events"
