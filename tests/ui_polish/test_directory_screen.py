"""The directory of services from the main window: toolbar and Ctrl+2, back, and the lock."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.domain.directory import ServiceQuery
from sp_desktop.services.directory import directory_of

from sp_desktop.ui.main_window import MainWindow

from .conftest import WAIT_MS, People
from .helpers import keyboard_reachable, open_person, settle, shortcut, unlock

CTRL = Qt.KeyboardModifier.ControlModifier


def test_directory_opens_with_ctrl_2_searches_and_goes_back(
    qtbot: QtBot, window: MainWindow, people: People
) -> None:
    assert not window.directory_action.isEnabled()  # locked: nothing to show
    unlock(qtbot, window)
    button = window.toolbar.widgetForAction(window.directory_action)
    assert window.directory_action.isEnabled() and keyboard_reachable(button)
    assert button.accessibleName() == "Directory" and "Ctrl+2" in button.toolTip()

    shortcut(qtbot, window, Qt.Key.Key_2, CTRL)
    screen = window.directory
    assert window.stack.currentWidget() is screen
    qtbot.waitUntil(lambda: screen.search.model.rowCount() > 0, timeout=WAIT_MS)
    settle(window, qtbot)
    everything = directory_of(window.session.ws).search(ServiceQuery())
    assert screen.search.model.rowCount() == len(everything)
    assert screen.search.count.text() == f"{len(everything)} activities found"
    assert screen.search.words.hasFocus()  # ready to type

    wanted = everything[0].name.split()[0]
    qtbot.keyClicks(screen.search.words, wanted)
    expected = directory_of(window.session.ws).search(ServiceQuery(words=wanted))
    qtbot.waitUntil(lambda: screen.search.model.rowCount() == len(expected), timeout=WAIT_MS)
    assert screen.search.model.service(0).id == expected[0].id

    screen.back_button.click()  # came from the caseload, so back to it
    assert window.stack.currentWidget() is window.caseload

    open_person(qtbot, window, people["Halina"])
    window.directory_action.trigger()
    assert window.stack.currentWidget() is screen
    shortcut(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.stack.currentWidget() is window.person  # came from Halina's page
    assert window.person.name.text() == "Halina Nowak"


def test_the_lock_hides_the_directory_and_disables_it(qtbot: QtBot, window: MainWindow) -> None:
    unlock(qtbot, window)
    window.directory_action.trigger()
    qtbot.waitUntil(lambda: window.directory.search.model.rowCount() > 0, timeout=WAIT_MS)
    window.lock()
    settle(window, qtbot)
    assert window.stack.currentWidget() is window.locked_screen
    assert not window.directory_action.isEnabled()
    assert window.directory.search.model.rowCount() == 0
    window.show_directory()  # e.g. a stray shortcut: nothing happens while locked
    assert window.stack.currentWidget() is window.locked_screen
