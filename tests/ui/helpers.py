"""Driving the app as an adviser would: typing, clicking and waiting for the background."""

from __future__ import annotations

from typing import TypeVar

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QWidget

from sp_desktop.ui.main_window import MainWindow

WAIT_MS = 10_000
T = TypeVar("T", bound=QWidget)


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    assert button.isVisible(), f"{button.text()!r} is not visible"
    assert button.isEnabled(), f"{button.text()!r} is not enabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Types like a keyboard. QTest only knows ASCII keys, so 'ë' or 'Ł' is sent as a key
    event carrying that text (what a real keyboard layout delivers)."""
    from PySide6.QtTest import QTest

    widget.setFocus()
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            click_key = QTest.KeyAction.Click
            no_modifier = Qt.KeyboardModifier.NoModifier
            QTest.sendKeyEvent(click_key, widget, Qt.Key.Key_unknown, ch, no_modifier)


def press(qtbot: QtBot, widget: QWidget, key: Qt.Key) -> None:
    qtbot.keyClick(widget, key)


def settle(window: MainWindow, qtbot: QtBot) -> None:
    """Waits until every background task has reported back."""
    qtbot.waitUntil(lambda: not window.session.tasks.busy, timeout=WAIT_MS)


def unlock(qtbot: QtBot, window: MainWindow, passphrase: str) -> None:
    window.start()
    qtbot.waitUntil(
        lambda: window.unlock_dialog is not None and window.unlock_dialog.isVisible(),
        timeout=WAIT_MS,
    )
    dialog = window.unlock_dialog
    assert dialog is not None
    type_into(qtbot, dialog.passphrase, passphrase)
    press(qtbot, dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.is_unlocked, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.caseload, timeout=WAIT_MS)
    settle(window, qtbot)


def visible(window: QWidget, kind: type[T]) -> T:
    """The open dialog of a kind (closed ones linger as children until deleted)."""
    shown = [w for w in window.findChildren(kind) if w.isVisible()]
    assert len(shown) == 1, f"expected one open {kind.__name__}, found {len(shown)}"
    return shown[0]


def wait_for(qtbot: QtBot, window: QWidget, kind: type[T]) -> T:
    qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(kind)), timeout=WAIT_MS)
    return visible(window, kind)


def go_to_section(qtbot: QtBot, window: MainWindow, title: str) -> None:
    """Clicks a part of the visit in the list on the left, as the adviser would."""
    sections = window.visit.sections
    items = [
        sections.item(row)
        for row in range(sections.count())
        if sections.item(row).data(Qt.ItemDataRole.UserRole) == title
    ]
    assert items, f"no section {title!r}"
    rect = sections.visualItemRect(items[0])
    qtbot.mouseClick(sections.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sections.currentItem() is items[0]
    settle(window, qtbot)


def shortcut(qtbot: QtBot, window: MainWindow, key: Qt.Key, modifier: Qt.KeyboardModifier) -> None:
    """A keyboard shortcut, pressed where the adviser's focus is (shortcuts need that)."""
    from PySide6.QtWidgets import QApplication

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)
