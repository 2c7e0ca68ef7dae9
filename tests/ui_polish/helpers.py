"""Driving the app as an adviser would: unlocking, waiting for the background, finding dialogs."""

from __future__ import annotations

from typing import TypeVar

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from sp_desktop.ui.main_window import MainWindow

from .conftest import PASSPHRASE, WAIT_MS

T = TypeVar("T", bound=QWidget)


def settle(window: MainWindow, qtbot: QtBot) -> None:
    """Waits until every background task has reported back."""
    qtbot.waitUntil(lambda: not window.session.tasks.busy, timeout=WAIT_MS)


def unlock(qtbot: QtBot, window: MainWindow) -> None:
    window.start()
    qtbot.waitUntil(
        lambda: window.unlock_dialog is not None and window.unlock_dialog.isVisible(),
        timeout=WAIT_MS,
    )
    dialog = window.unlock_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.caseload, timeout=WAIT_MS)
    settle(window, qtbot)


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    assert button.isVisible(), f"{button.text()!r} is not visible"
    assert button.isEnabled(), f"{button.text()!r} is not enabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_for(qtbot: QtBot, parent: QWidget, kind: type[T]) -> T:
    """The one open dialog of a kind (closed ones linger as children until deleted)."""
    qtbot.waitUntil(lambda: any(w.isVisible() for w in parent.findChildren(kind)), timeout=WAIT_MS)
    shown = [w for w in parent.findChildren(kind) if w.isVisible()]
    assert len(shown) == 1, f"expected one open {kind.__name__}, found {len(shown)}"
    return shown[0]


def open_person(qtbot: QtBot, window: MainWindow, person_id: str) -> None:
    window.show_person(person_id)
    qtbot.waitUntil(
        lambda: window.person.overview is not None
        and window.person.overview.person.id == person_id,
        timeout=WAIT_MS,
    )
    settle(window, qtbot)


def shortcut(
    qtbot: QtBot, window: MainWindow, key: Qt.Key, modifier: Qt.KeyboardModifier
) -> None:
    """A keyboard shortcut, pressed where the adviser's focus is (shortcuts need that)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)


def keyboard_reachable(widget: QWidget) -> bool:
    """Tab reaches it and a screen reader has a name for it (its own or its text)."""
    named = bool(widget.accessibleName()) or bool(getattr(widget, "text", lambda: "")())
    return bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus) and named
