"""The idle lock: typing keeps the app open, stopping locks it, and the watcher stays out of
the way of every other event."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from sp_desktop.ui.idle import IdleWatcher


def _watcher(qtbot: QtBot, interval_ms: int) -> tuple[IdleWatcher, QLineEdit, list[int]]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    box = QLineEdit()
    qtbot.addWidget(box)
    box.show()
    watcher = IdleWatcher(app, 5)
    watcher.set_interval_ms(interval_ms)
    fired: list[int] = []
    watcher.idle.connect(lambda: fired.append(1))
    return watcher, box, fired


def test_typing_keeps_the_app_unlocked_and_stopping_locks_it(qtbot: QtBot) -> None:
    watcher, box, fired = _watcher(qtbot, 3000)
    box.setFocus()
    for _ in range(30):  # about three seconds of typing, longer than the idle time
        qtbot.waitUntil(lambda: watcher.armed, timeout=5000)
        qtbot.keyClick(box, Qt.Key.Key_A)
        qtbot.wait(60)
    assert not fired
    with qtbot.waitSignal(watcher.idle, timeout=10_000):
        pass
    assert box.text() == "a" * 30  # the watcher never swallows a key


def test_the_first_key_disarms_the_watcher_so_later_events_skip_python(qtbot: QtBot) -> None:
    watcher, box, _fired = _watcher(qtbot, 60_000)
    assert not watcher.armed  # nothing is filtered while windows are being built
    qtbot.waitUntil(lambda: watcher.armed, timeout=5000)
    qtbot.keyClick(box, Qt.Key.Key_B)
    assert not watcher.armed
    qtbot.waitUntil(lambda: watcher.armed, timeout=5000)  # and it comes back a moment later


def test_a_mouse_click_counts_as_use(qtbot: QtBot) -> None:
    watcher, box, fired = _watcher(qtbot, 60_000)
    qtbot.waitUntil(lambda: watcher.armed, timeout=5000)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert not watcher.armed
    assert not fired
