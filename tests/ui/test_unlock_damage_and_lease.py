"""Unlocking a damaged store (the newest good backup offered, then restored) and a laptop whose
offline lease is near its end or past it, as the adviser sees them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.server.testing import RunningServer, start_server
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import DAMAGED_FOLDER, database_path, list_backups
from sp_desktop.sync.client import register_device
from tests.services.test_unlock_lease import DAY, _last_reached_office
from tests.store.test_damage import flip, root_page

from sp_desktop.ui.dialogs.unlock import UnlockDialog
from sp_desktop.ui.main_window import MainWindow

from .conftest import FAST_KDF, PASSPHRASE
from .helpers import WAIT_MS, click, press, settle, type_into, wait_for

SCREEN = (1366, 768)


def _store(data_dir: Path, people: int) -> Workspace:
    ws, _ = Workspace.create(
        data_dir, PASSPHRASE, adviser="Jo Adams", team="North", params=FAST_KDF
    )
    for n in range(people):
        ws.people.create(
            given_name=f"Person{n}", family_name="Unlocktest", date_of_birth=date(1950, 1, 1)
        )
    return ws


def _type_and_unlock(qtbot: QtBot, window: MainWindow) -> UnlockDialog:
    window.start()
    dialog = wait_for(qtbot, window, UnlockDialog)
    type_into(qtbot, dialog.passphrase, PASSPHRASE)
    press(qtbot, dialog.passphrase, Qt.Key.Key_Return)
    return dialog


def _unlock_into_damage(qtbot: QtBot, window: MainWindow) -> UnlockDialog:
    """The first unlock opens at once (the every-page check runs after it, in the background),
    finds the damage, locks and says so; the next unlock checks the whole store first."""
    dialog = _type_and_unlock(qtbot, window)
    qtbot.waitUntil(lambda: dialog.notice.isVisible(), timeout=WAIT_MS)
    assert not window.session.is_unlocked
    assert "damaged" in dialog.notice.text() and "Nothing was changed" in dialog.notice.text()
    assert "found damage" in window.locked_screen.title.text()
    assert window.stack.currentWidget() is window.locked_screen  # nobody's details on show
    type_into(qtbot, dialog.passphrase, PASSPHRASE)
    press(qtbot, dialog.passphrase, Qt.Key.Key_Return)
    return dialog


def test_a_damaged_store_offers_its_newest_good_backup_and_restores_it(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    ws = _store(data_dir, 3)
    ws.store.backup()
    ws.people.create(given_name="After", family_name="Backup", date_of_birth=date(1950, 1, 1))
    page = root_page(ws, "people")
    ws.close()
    flip(database_path(data_dir), page)
    [backup] = list_backups(data_dir)

    dialog = _unlock_into_damage(qtbot, window)
    qtbot.waitUntil(
        lambda: dialog.restore_box is not None and dialog.restore_box.isVisible(), timeout=WAIT_MS
    )
    box = dialog.restore_box
    assert box is not None
    assert not window.session.is_unlocked  # nobody works on a half-readable store
    assert "damaged" in box.text() and "left exactly as it was" in box.text()
    assert "Table people" in box.informativeText()
    assert backup.describe() in box.informativeText()
    assert "after that time would be lost" in box.informativeText()
    assert box.width() <= SCREEN[0] and box.height() <= SCREEN[1]
    [restore] = [b for b in box.buttons() if b.text() == "Restore the backup"]
    click(qtbot, restore)

    qtbot.waitUntil(lambda: window.session.is_unlocked, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.caseload, timeout=WAIT_MS)
    settle(window, qtbot)
    assert window.caseload.model.rowCount() == 3  # as at the backup; "After Backup" is lost
    assert len(list((data_dir / DAMAGED_FOLDER).iterdir())) == 1


def test_not_now_leaves_the_damaged_store_as_it_was(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    ws = _store(data_dir, 1)
    ws.store.backup()
    page = root_page(ws, "people")
    ws.close()
    flip(database_path(data_dir), page)
    before = database_path(data_dir).read_bytes()

    dialog = _unlock_into_damage(qtbot, window)
    qtbot.waitUntil(
        lambda: dialog.restore_box is not None and dialog.restore_box.isVisible(), timeout=WAIT_MS
    )
    assert dialog.restore_box is not None
    [not_now] = [b for b in dialog.restore_box.buttons() if b.text() == "Not now"]
    click(qtbot, not_now)
    settle(window, qtbot)
    assert not window.session.is_unlocked
    assert database_path(data_dir).read_bytes() == before
    assert not (data_dir / DAMAGED_FOLDER).exists()


def test_a_warning_when_the_lease_ends_soon(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    ws = _store(data_dir, 1)
    _last_reached_office(ws, timedelta(days=28))
    ws.close()
    _type_and_unlock(qtbot, window)
    qtbot.waitUntil(lambda: window.session.is_unlocked, timeout=WAIT_MS)
    dialog = window.unlock_dialog
    assert dialog is not None
    qtbot.waitUntil(
        lambda: dialog.lease_box is not None and dialog.lease_box.isVisible(), timeout=WAIT_MS
    )
    assert dialog.lease_box is not None
    assert "needs to reach the office within 1 day" in dialog.lease_box.text()
    dialog.lease_box.close()
    settle(window, qtbot)


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    monkeypatch.setenv("SP_SERVER_OFFLINE_LEASE_SECONDS", str(30 * DAY))
    running = start_server(f"sqlite+pysqlite:///{tmp_path / 'office.db'}", tmp_path / "srv")
    yield running
    running.stop()


def test_after_the_lease_records_stay_closed_until_a_sync(
    qtbot: QtBot, window: MainWindow, data_dir: Path, office: RunningServer
) -> None:
    office.add_team("north")
    office.add_adviser("jo", "north", "a good password")
    ws = _store(data_dir, 2)
    register_device(ws.store, office.url, "jo", "a good password")
    _last_reached_office(ws, timedelta(days=40))
    ws.close()

    dialog = _type_and_unlock(qtbot, window)
    qtbot.waitUntil(lambda: dialog.sync_button.isVisible(), timeout=WAIT_MS)
    assert not window.session.is_unlocked
    assert "longer than your office allows" in dialog.field.error.text()
    click(qtbot, dialog.sync_button)
    qtbot.waitUntil(lambda: window.session.is_unlocked, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.caseload, timeout=WAIT_MS)
    settle(window, qtbot)
    assert window.caseload.model.rowCount() == 2


def test_damage_the_caseload_never_reads_is_found_by_the_check_after_unlock(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    """The every-page check runs after the caseload is on its way; a damaged page nobody has
    read yet still locks the store and is said, and the next unlock names it."""
    ws = _store(data_dir, 2)
    ws.store.backup()
    page = root_page(ws, "closing_reviews")
    ws.close()
    flip(database_path(data_dir), page)

    dialog = _unlock_into_damage(qtbot, window)
    qtbot.waitUntil(
        lambda: dialog.restore_box is not None and dialog.restore_box.isVisible(), timeout=WAIT_MS
    )
    assert dialog.restore_box is not None
    assert "closing_reviews" in dialog.restore_box.informativeText()
    assert not window.session.is_unlocked
