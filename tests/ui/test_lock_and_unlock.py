"""Unlocking, forgetting the passphrase, locking on demand and after idle minutes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import Store

from sp_desktop.ui.dialogs.recovery import RecoveryDialog
from sp_desktop.ui.dialogs.unlock import UnlockDialog
from sp_desktop.ui.main_window import MainWindow

from .conftest import FAST_KDF, PASSPHRASE
from .helpers import WAIT_MS, click, settle, shortcut, type_into, unlock, wait_for


def test_wrong_passphrase_is_said_calmly_beside_the_field(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    window.start()
    dialog = wait_for(qtbot, window, UnlockDialog)
    click(qtbot, dialog.unlock_button)
    assert dialog.field.error.text() == "Please type your passphrase."
    type_into(qtbot, dialog.passphrase, "not it at all")
    click(qtbot, dialog.unlock_button)
    qtbot.waitUntil(lambda: dialog.unlock_button.isEnabled(), timeout=WAIT_MS)
    assert dialog.field.error.isVisible()
    assert dialog.field.error.text() == (
        "That passphrase did not unlock the store. Please try again."
    )
    assert dialog.passphrase.accessibleDescription() == dialog.field.error.text()
    assert not window.session.is_unlocked
    type_into(qtbot, dialog.passphrase, "x")
    assert not dialog.field.error.isVisible(), "the message goes once they type again"


def test_recovery_key_unlocks_and_sets_a_new_passphrase(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    ws, key = Workspace.create(data_dir, PASSPHRASE, adviser="Jo Adams", params=FAST_KDF)
    ws.close()
    window.start()
    dialog = wait_for(qtbot, window, UnlockDialog)
    click(qtbot, dialog.forgot)
    recovery = wait_for(qtbot, window, RecoveryDialog)
    new = "marmalade orbit tulip quarry"
    type_into(qtbot, recovery.key, "AAAA-BBBB")
    type_into(qtbot, recovery.choice.first, new)
    type_into(qtbot, recovery.choice.second, new)
    click(qtbot, recovery.go)
    qtbot.waitUntil(lambda: recovery.key_field.error.isVisible(), timeout=WAIT_MS)
    assert "does not fit this store" in recovery.key_field.error.text()
    recovery.key.clear()
    type_into(qtbot, recovery.key, key.lower())
    click(qtbot, recovery.go)
    qtbot.waitUntil(lambda: window.session.is_unlocked, timeout=WAIT_MS)
    settle(window, qtbot)
    window.session.lock()
    assert window.session.tasks.wait()
    Store.open(data_dir, new).close()


def test_ctrl_l_locks_hides_everyone_and_closes_the_store(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=12)
    unlock(qtbot, window, PASSPHRASE)
    assert window.caseload.model.rowCount() == 12
    ws = window.session.ws
    window.show_person(window.caseload.model.person_id(0))
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    shortcut(qtbot, window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.locked_screen
    assert window.caseload.model.rowCount() == 0
    assert window.person.name.text() == "" and window.person.timeline.rowCount() == 0
    assert window.sync_area.text() == ""
    assert window.session.tasks.wait()
    assert not ws.store.is_open, "the key is dropped"
    assert not window.caseload_action.isEnabled()


def test_idle_minutes_lock_by_themselves(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    assert window.idle is not None
    window.idle.set_interval_ms(200)
    qtbot.waitUntil(lambda: not window.session.is_unlocked, timeout=WAIT_MS)
    assert window.stack.currentWidget() is window.locked_screen
    assert "Locked after a while" in window.statusBar().currentMessage()


def test_status_bar_counts_changes_waiting(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    qtbot.waitUntil(lambda: "nothing waiting" in window.sync_area.text(), timeout=WAIT_MS)
    from datetime import date

    window.session.write(
        lambda ws: ws.people.create(
            given_name="Ada", family_name="Lovelace", date_of_birth=date(1940, 1, 1)
        )
    )
    qtbot.waitUntil(lambda: "1 change waiting" in window.sync_area.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.caseload.model.rowCount() == 1, timeout=WAIT_MS)
    assert window.lock_state.text() == "Unlocked — working as Jo Adams"
