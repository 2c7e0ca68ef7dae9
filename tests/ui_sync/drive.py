"""Driving the sync parts of the app as an adviser would: keys, clicks, and waiting for results."""

from __future__ import annotations

from typing import TypeVar

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox, QWidget

from sp_desktop.services.sync_status import SyncOverview
from sp_desktop.sync.client import SyncResult

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.sync.register import RegisterDialog

from .conftest import PASSPHRASE, Adviser

WAIT_MS = 15_000
T = TypeVar("T", bound=QWidget)


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    assert button.isVisible(), f"{button.text()!r} is not visible"
    assert button.isEnabled(), f"{button.text()!r} is not enabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def settle(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: not window.session.tasks.busy, timeout=WAIT_MS)


def overview(window: MainWindow) -> SyncOverview:
    found = window.office_sync.controller.overview
    assert found is not None
    return found


def unlock(qtbot: QtBot, window: MainWindow) -> None:
    window.start()
    qtbot.waitUntil(
        lambda: window.unlock_dialog is not None and window.unlock_dialog.isVisible(),
        timeout=WAIT_MS,
    )
    dialog = window.unlock_dialog
    assert dialog is not None
    type_into(qtbot, dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.is_unlocked, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.office_sync.controller.overview is not None, timeout=WAIT_MS)
    settle(window, qtbot)
    for box in window.findChildren(QMessageBox):  # e.g. "carry on a visit?" never appears here
        assert not box.isVisible(), box.text()


def shown(window: QWidget, kind: type[T]) -> T:
    found = [w for w in window.findChildren(kind) if w.isVisible()]
    assert len(found) == 1, f"expected one open {kind.__name__}, found {len(found)}"
    return found[0]


def wait_for(qtbot: QtBot, window: QWidget, kind: type[T]) -> T:
    qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(kind)),
                    timeout=WAIT_MS)
    return shown(window, kind)


def register(qtbot: QtBot, window: MainWindow, server_url: str, adviser: Adviser) -> None:
    """Through the dialog: the menu action, typing, Enter."""
    window.office_sync.register_action.trigger()
    dialog = wait_for(qtbot, window, RegisterDialog)
    type_into(qtbot, dialog.server, server_url)
    dialog.adviser.clear()
    type_into(qtbot, dialog.adviser, adviser.name)
    type_into(qtbot, dialog.password, adviser.password)
    controller = window.office_sync.controller
    with qtbot.waitSignal(controller.registered, timeout=WAIT_MS):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: controller.overview is not None and controller.overview.registered,
                    timeout=WAIT_MS)
    settle(window, qtbot)


def press_sync_now(qtbot: QtBot, window: MainWindow) -> None:
    """Ctrl+Shift+S, pressed where the adviser's focus is (window shortcuts need that)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, Qt.Key.Key_S,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def sync_now(qtbot: QtBot, window: MainWindow) -> SyncResult:
    controller = window.office_sync.controller
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS) as finished:
        press_sync_now(qtbot, window)
    settle(window, qtbot)
    result = finished.args[0]
    assert isinstance(result, SyncResult)
    return result
