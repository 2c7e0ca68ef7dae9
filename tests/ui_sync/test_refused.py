"""Changes the office refused: listed in the adviser's words, read, dismissed, counted again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.domain.directory import Category, Service
from sp_desktop.server.testing import RunningServer
from sp_desktop.services.directory import service_row
from sp_desktop.services.sync_status import refused_cards
from sp_desktop.services.workspace import Changes, Workspace
from sp_desktop.store.schema import services
from sp_desktop.sync import local

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.sync.refused import RefusedDialog

from .conftest import PASSPHRASE, Adviser
from .drive import WAIT_MS, click, overview, register, sync_now, unlock, wait_for
from .test_dialogs import _assert_named_and_focusable, _tab_reaches


def _add_to_directory_as_if_pushed(ws: Workspace) -> Changes:
    """An adviser's laptop queueing a directory entry: the office keeps the directory and
    refuses it (the app itself never queues one; an older version or a bug might)."""
    club = Service(id="svc-chess-refused", name="Chess club", category=Category.SOCIAL_ACTIVITY)
    with ws.write() as conn:
        ws.changes.insert(conn, services, service_row(club), None)
    return Changes(frozenset(), frozenset({"services"}))


def test_a_refused_change_is_listed_with_the_office_reason_and_dismissed_by_keyboard(
    qtbot: QtBot, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str,
) -> None:
    unlock(qtbot, window)
    register(qtbot, window, server.url, make_adviser())
    sync_now(qtbot, window)  # Edith goes to the office and is accepted
    office = window.office_sync
    status = office.status
    assert not status.refused_button.isVisible()

    with qtbot.waitSignal(window.session.changed, timeout=WAIT_MS):
        window.session.write(_add_to_directory_as_if_pushed)
    result = sync_now(qtbot, window)
    assert result.rejected == 1
    qtbot.waitUntil(lambda: "1 change refused by the office" in status.text(), timeout=WAIT_MS)
    assert overview(window).status.rejected == 1
    assert status.refused_button.isVisible() and status.refused_button.text() == "Refused change…"
    assert office.refused_action.isEnabled()

    click(qtbot, status.refused_button)  # from the status bar, as the adviser would
    dialog = wait_for(qtbot, window, RefusedDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=WAIT_MS)
    assert dialog.title.text() == "The directory: directory entry"
    words = dialog.details.toPlainText()
    assert words.startswith("Saved directory entry. ")
    assert "The office refused it today at" in words
    assert "The directory of services is read-only for advisers" in words
    _assert_named_and_focusable(dialog)
    _tab_reaches(qtbot, dialog, [dialog.list, dialog.details, dialog.dismiss_button,
                                 dialog.close_button])

    dialog.dismiss_button.setFocus()
    with qtbot.waitSignal(dialog.dismissed, timeout=WAIT_MS):
        qtbot.keyClick(dialog.dismiss_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 0, timeout=WAIT_MS)
    assert "Dismissed The directory: directory entry" in dialog.outcome.text()
    assert "accepted everything" in dialog.title.text()
    assert not dialog.dismiss_button.isEnabled()
    qtbot.waitUntil(lambda: overview(window).status.rejected == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "refused" not in status.state.text(), timeout=WAIT_MS)
    assert not status.refused_button.isVisible()
    click(qtbot, dialog.close_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)


def test_the_menu_opens_the_refused_list_even_when_nothing_was_refused(
    qtbot: QtBot, window: MainWindow, person_id: str,
) -> None:
    unlock(qtbot, window)
    window.office_sync.refused_action.trigger()
    dialog = wait_for(qtbot, window, RefusedDialog)
    qtbot.waitUntil(lambda: "accepted everything" in dialog.title.text(), timeout=WAIT_MS)
    assert not dialog.dismiss_button.isEnabled()
    click(qtbot, dialog.close_button)


def test_a_refused_change_about_a_person_names_them_as_the_caseload_does(
    person_id: str, data_dir: Path,
) -> None:
    """The office's refusal carries only ids; the card reads the name through the services."""
    ws = Workspace.open(data_dir, PASSPHRASE)
    try:
        refused = [{"op": "op-1", "table": "visits", "row": "visit-1", "person": person_id,
                    "kind": "upsert", "fields": {}, "reason": "not allowed",
                    "refused_at": "2026-03-03T09:10:00+00:00"},
                   {"op": "op-2", "table": "people", "row": person_id, "person": None,
                    "kind": "delete", "fields": {}, "reason": "",
                    "refused_at": "not a time"}]
        with ws.store.write() as conn:
            local.set_meta(conn, local.META_REJECTED, orjson.dumps(refused).decode())
        visit, removal = refused_cards(ws, now=datetime(2026, 3, 3, 12, tzinfo=UTC))
    finally:
        ws.close()
    assert visit.title == "Edith Jones: visit"
    assert visit.details.startswith("Saved visit for Edith Jones. The office refused it ")
    assert visit.details.endswith("The office said: Not allowed")
    assert removal.title == "Edith Jones: personal details"
    assert removal.person_id == person_id
    assert "Deleted personal details for Edith Jones" in removal.details
    assert "at an unknown time" in removal.details
    assert "The office gave no reason" in removal.details
