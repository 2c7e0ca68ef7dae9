"""The register dialog's calm messages, the not-draining warning, and keyboard access everywhere."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QLineEdit,
    QWidget,
)

from sp_desktop.server.testing import RunningServer
from sp_desktop.services.sync_status import describe

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.sync.conflicts import ConflictDialog
from sp_desktop.ui.sync.controller import SyncView
from sp_desktop.ui.sync.register import RegisterDialog

from .conftest import Adviser
from .drive import WAIT_MS, click, overview, type_into, unlock, wait_for


def _controls(root: QWidget) -> list[QWidget]:
    kinds = (QAbstractButton, QLineEdit, QAbstractScrollArea)
    return [w for w in root.findChildren(QWidget)
            if isinstance(w, kinds) and w.isVisibleTo(root)]


def _assert_named_and_focusable(root: QWidget) -> None:
    controls = _controls(root)
    assert controls
    for control in controls:
        assert control.accessibleName(), f"{type(control).__name__} has no accessible name"
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, control.accessibleName()


def _tab_reaches(qtbot: QtBot, dialog: QWidget, wanted: list[QWidget]) -> None:
    """Tab from the first control visits every wanted control (keyboard users get there)."""
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=WAIT_MS)
    seen: set[int] = set()
    for _ in range(40):
        focused = QApplication.focusWidget()
        if focused is not None:
            seen.add(id(focused))
        qtbot.keyClick(focused or dialog, Qt.Key.Key_Tab)
    missing = [w.accessibleName() for w in wanted if id(w) not in seen]
    assert not missing, f"Tab never reached {missing}"


def test_register_dialog_says_calmly_what_went_wrong_and_keeps_nothing(
    qtbot: QtBot, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str,
) -> None:
    adviser = make_adviser()
    unlock(qtbot, window)
    window.office_sync.register_action.trigger()
    dialog = wait_for(qtbot, window, RegisterDialog)
    _assert_named_and_focusable(dialog)
    _tab_reaches(qtbot, dialog, [dialog.server, dialog.adviser, dialog.password,
                                 dialog.register_button, dialog.cancel_button])

    click(qtbot, dialog.register_button)  # nothing typed
    assert "type the office server's address" in dialog.problem.text()
    assert dialog.server.hasFocus()

    type_into(qtbot, dialog.server, server.url)
    dialog.adviser.clear()
    type_into(qtbot, dialog.adviser, adviser.name)
    type_into(qtbot, dialog.password, "not the password")
    controller = window.office_sync.controller
    with qtbot.waitSignal(controller.register_failed, timeout=WAIT_MS):
        click(qtbot, dialog.register_button)
    qtbot.waitUntil(lambda: dialog.register_button.isEnabled(), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.problem.isVisible()
    assert dialog.problem.text()
    assert dialog.password.text() == "" and dialog.password.hasFocus()
    assert not overview(window).registered

    type_into(qtbot, dialog.password, adviser.password)
    with qtbot.waitSignal(controller.registered, timeout=WAIT_MS):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Office server reachable" in window.office_sync.status.text(),
                    timeout=WAIT_MS)
    assert window.office_sync.register_action.text() == "&Register this laptop again…"


def test_status_corner_and_conflict_dialog_are_named_and_keyboard_reachable(
    qtbot: QtBot, window: MainWindow, person_id: str,
) -> None:
    unlock(qtbot, window)
    status = window.office_sync.status
    _assert_named_and_focusable(status)
    assert status.state.accessibleName() and status.progress_bar.accessibleName()
    menu = window.office_sync.menu
    assert menu.title() == "&Office sync"
    sync_action = window.office_sync.sync_action
    assert sync_action.shortcut().toString() == "Ctrl+Shift+S"
    assert [a.text() for a in menu.actions()] == [
        "&Register this laptop…", "&Sync now", "S&top sync", "Resolve &conflicts…",
        "Changes the office &refused…"]
    assert not window.office_sync.resolve_action.isEnabled()  # nothing to resolve

    window.office_sync.open_conflicts()
    dialog = wait_for(qtbot, window, ConflictDialog)
    qtbot.waitUntil(lambda: "Nothing to resolve" in dialog.title.text(), timeout=WAIT_MS)
    assert not dialog.kept.choose.isEnabled() and not dialog.other.choose.isEnabled()
    _assert_named_and_focusable(dialog)
    click(qtbot, dialog.close_button)


def test_a_queue_that_is_not_draining_is_said_in_words_not_only_colour(
    qtbot: QtBot, window: MainWindow, person_id: str,
) -> None:
    unlock(qtbot, window)
    from datetime import UTC, datetime

    status = window.office_sync.status
    facts = overview(window)
    words = describe(facts, reachable=True, now=datetime.now(UTC), stuck=True)
    status.show_view(SyncView(facts, words, False, False, True, True))
    assert status.warning.isVisibleTo(status)
    assert status.warning.text().startswith("⚠ Warning: changes are not going to the office")
    assert status.warning.property("role") == "error"
    assert "Warning" in status.text()
