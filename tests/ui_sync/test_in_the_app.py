"""Office sync through the real app against a real server: register, sync, conflicts, revoke."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from PySide6.QtWidgets import QMessageBox

from sp_desktop.server.testing import CuttingProxy, RunningServer, stored_rows
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import DATABASE_NAME, KEYFILE_NAME, store_exists
from sp_desktop.store.schema import outbox, store_meta
from sp_desktop.sync.client import SyncClient, SyncProgress, register_device
from sp_desktop.sync.conflicts import list_conflicts

from sp_desktop.ui.dialogs.first_run import FirstRunWizard
from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.sync.conflicts import ConflictDialog

from .conftest import FAST, Adviser
from .drive import (
    WAIT_MS,
    click,
    overview,
    press_sync_now,
    register,
    settle,
    sync_now,
    unlock,
    wait_for,
)


def _edit_address(qtbot: QtBot, window: MainWindow, person: str, address: str) -> None:
    with qtbot.waitSignal(window.session.changed, timeout=WAIT_MS):
        window.session.write(lambda ws: ws.people.update(person, address=address))
    controller = window.office_sync.controller
    qtbot.waitUntil(lambda: controller.overview is not None
                    and controller.overview.status.waiting > 0, timeout=WAIT_MS)


def test_register_edit_then_sync_now_shows_nothing_waiting_and_the_last_sync_time(
    qtbot: QtBot, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str, data_dir: Path,
) -> None:
    adviser = make_adviser()
    unlock(qtbot, window)
    status = window.office_sync.status
    assert "Not registered with the office" in status.text()
    assert status.register_button.isVisible() and not status.sync_button.isVisible()

    register(qtbot, window, server.url, adviser)
    assert status.sync_button.isVisible() and not status.register_button.isVisible()
    # The password went to the office once; it is in neither the store nor the settings.
    with window.session.ws.store.read() as conn:
        kept = [str(v) for v in conn.execute(select(store_meta.c.value)).scalars()]
    assert not any(adviser.password in value for value in kept)
    assert all(adviser.password not in p.read_text(errors="replace")
               for p in data_dir.glob("*.json"))

    _edit_address(qtbot, window, person_id, "Flat 2, 1 Mill Lane")
    qtbot.waitUntil(lambda: "changes waiting (oldest" in status.text()
                    or "change waiting (oldest" in status.text(), timeout=WAIT_MS)
    controller = window.office_sync.controller
    reports: list[SyncProgress] = []
    controller.progress.connect(reports.append)
    with qtbot.waitSignal(controller.started, timeout=WAIT_MS):
        result = sync_now(qtbot, window)
    assert result.pushed == 2  # the person as created, then the new address
    assert reports and reports[-1].waiting == 0 and reports[-1].pushed == 2

    qtbot.waitUntil(lambda: "nothing waiting to send" in status.text(), timeout=WAIT_MS)
    assert "last sync today at" in status.text()
    assert "Sync finished: sent 2" in status.message.text()
    assert not status.progress_bar.isVisible() and not status.stop_button.isVisible()
    assert overview(window).status.waiting == 0
    held = stored_rows(server.database_url)[("people", person_id)]
    assert held["fields"]["address"] == "Flat 2, 1 Mill Lane"  # type: ignore[index]


def test_the_same_words_changed_on_two_laptops_are_resolved_side_by_side_on_both(
    qtbot: QtBot, qtmodeltester: object, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str, tmp_path: Path,
) -> None:
    ann = make_adviser()
    ben = make_adviser(ann.team)
    unlock(qtbot, window)
    register(qtbot, window, server.url, ann)
    sync_now(qtbot, window)

    # Ben's laptop: a second real store, synced by the client as the app would.
    ben_ws, _key = Workspace.create(tmp_path / "ben", "another long passphrase",
                                    adviser=ben.name, params=FAST)
    try:
        register_device(ben_ws.store, server.url, ben.name, ben.password)

        def ben_sync() -> None:
            with SyncClient(ben_ws.store, clock=ben_ws.changes.clock) as client:
                client.sync_once()

        ben_sync()
        assert ben_ws.people.get(person_id).address == "1 Mill Lane"

        # Offline, both change the address. Ben's edit comes later, so the office keeps his.
        _edit_address(qtbot, window, person_id, "Flat 2, 1 Mill Lane")
        qtbot.wait(5)
        ben_ws.people.update(person_id, address="1 Mill Lane, Leeds LS1")
        with ben_ws.store.read() as conn:
            ben_stamp = str(conn.execute(select(outbox.c.hlc)).scalar())
        with window.session.ws.store.read() as conn:
            ann_stamp = str(conn.execute(select(outbox.c.hlc).order_by(outbox.c.seq.desc()))
                            .scalar())
        assert ben_stamp > ann_stamp
        ben_sync()
        result = sync_now(qtbot, window)
        assert result.new_conflicts == 1

        status = window.office_sync.status
        qtbot.waitUntil(lambda: "1 conflict to resolve" in status.text(), timeout=WAIT_MS)
        assert window.office_sync.resolve_action.isEnabled()
        click(qtbot, status.resolve_button)
        dialog = wait_for(qtbot, window, ConflictDialog)
        qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=WAIT_MS)
        qtmodeltester.check(dialog.model)  # type: ignore[attr-defined]
        assert "Edith Jones: Address" in dialog.title.text()
        assert dialog.kept.text.toPlainText() == "1 Mill Lane, Leeds LS1"
        assert "another laptop" in dialog.kept.who_when.text()
        assert dialog.other.text.toPlainText() == "Flat 2, 1 Mill Lane"
        assert "this laptop" in dialog.other.who_when.text()
        assert "today at" in dialog.other.who_when.text()

        # Ann chooses her own words: a normal local edit, waiting to go to the office.
        click(qtbot, dialog.other.choose)
        qtbot.waitUntil(lambda: dialog.model.rowCount() == 0, timeout=WAIT_MS)
        assert "Nothing to resolve" in dialog.title.text()
        assert "keeping “Flat 2, 1 Mill Lane”" in dialog.outcome.text()
        assert not dialog.other.choose.isEnabled()
        click(qtbot, dialog.close_button)
        qtbot.waitUntil(lambda: "no conflicts" in status.text()
                        and "1 change waiting" in status.text(), timeout=WAIT_MS)
        assert window.session.ws.people.get(person_id).address == "Flat 2, 1 Mill Lane"

        sync_now(qtbot, window)
        ben_sync()
        assert ben_ws.people.get(person_id).address == "Flat 2, 1 Mill Lane"
        assert list_conflicts(ben_ws.store) == []
        assert list_conflicts(window.session.ws.store) == []
        qtbot.waitUntil(lambda: "nothing waiting to send" in status.text(), timeout=WAIT_MS)
    finally:
        ben_ws.close()


def test_a_revoked_laptop_is_told_and_returns_calmly_to_first_run_with_the_store_wiped(
    qtbot: QtBot, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str, data_dir: Path,
) -> None:
    unlock(qtbot, window)
    register(qtbot, window, server.url, make_adviser())
    sync_now(qtbot, window)
    device = window.session.ws.store.device_id
    server.cli("device", "revoke", device, "--kind", "lost")

    controller = window.office_sync.controller
    with qtbot.waitSignal(controller.store_wiped, timeout=WAIT_MS) as wiped:
        press_sync_now(qtbot, window)
    assert "switched off sync for this laptop" in wiped.args[0]
    assert "Every change made on this laptop had reached the office" in wiped.args[0]
    settle(window, qtbot)
    box = wait_for(qtbot, window, QMessageBox)
    assert "switched off" in box.text() and "set SP Desktop up again" in box.text()
    assert "safe at the office" not in box.text()
    assert not window.session.is_unlocked
    assert window.stack.currentWidget() is window.locked_screen
    assert window.locked_screen.title.text() == "Welcome to SP Desktop"
    assert window.locked_screen.unlock_button.text() == "Set up SP Desktop…"
    assert window.office_sync.status.text() == ""
    assert not window.office_sync.sync_action.isEnabled()
    assert not store_exists(data_dir)
    assert not (data_dir / KEYFILE_NAME).exists()
    assert not list(data_dir.glob(DATABASE_NAME + "*"))
    box.accept()

    # Calm, not stuck: the way on is setting the laptop up afresh.
    click(qtbot, window.locked_screen.unlock_button)
    wizard = wait_for(qtbot, window, FirstRunWizard)
    wizard.reject()


def test_a_dropped_connection_says_so_calmly_and_keeps_everything_queued(
    qtbot: QtBot, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str,
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, cut_ratio=1.0, max_offset=40, enabled=False).start()
    try:
        unlock(qtbot, window)
        register(qtbot, window, proxy.url, make_adviser())
        waiting = overview(window).status.waiting
        assert waiting == 1

        proxy.enabled = True  # from now on every connection is cut part-way
        controller = window.office_sync.controller
        with qtbot.waitSignal(controller.failed, timeout=WAIT_MS) as failed:
            press_sync_now(qtbot, window)
        assert "could not be reached" in failed.args[0]
        assert "safe on this laptop" in failed.args[0]
        box = wait_for(qtbot, window, QMessageBox)
        assert "could not be reached" in box.text()
        box.accept()
        status = window.office_sync.status
        qtbot.waitUntil(lambda: "Sync did not finish" in status.message.text(), timeout=WAIT_MS)
        settle(window, qtbot)
        assert overview(window).status.waiting == waiting
        assert "Offline" in status.text() and "1 change waiting" in status.text()

        proxy.enabled = False  # back at the office
        sync_now(qtbot, window)
        assert overview(window).status.waiting == 0
        assert proxy.cuts >= 2
    finally:
        proxy.stop()


def test_stop_sync_stops_calmly_between_round_trips(
    qtbot: QtBot, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str,
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, cut_ratio=1.0, max_offset=40, enabled=False).start()
    try:
        unlock(qtbot, window)
        register(qtbot, window, proxy.url, make_adviser())
        proxy.enabled = True
        controller = window.office_sync.controller
        controller.client_options = {"max_attempts": 6, "backoff": 5.0, "backoff_cap": 5.0,
                                     "timeout": 5.0}  # long waits between retries: time to stop
        status = window.office_sync.status
        with qtbot.waitSignal(controller.started, timeout=WAIT_MS):
            press_sync_now(qtbot, window)
        qtbot.waitUntil(status.stop_button.isVisible, timeout=WAIT_MS)
        assert status.progress_bar.isVisible() and window.office_sync.stop_action.isEnabled()
        with qtbot.waitSignal(controller.stopped, timeout=WAIT_MS) as stopped:
            click(qtbot, status.stop_button)
        assert "Sync was stopped" in stopped.args[0]
        settle(window, qtbot)
        assert not status.stop_button.isVisible() and status.sync_button.isVisible()
        assert "Sync was stopped" in status.message.text()
        assert overview(window).status.waiting == 1
        assert not any(box.isVisible() for box in window.findChildren(QMessageBox))
    finally:
        proxy.stop()


def test_sync_starts_by_itself_when_the_office_becomes_reachable(
    qtbot: QtBot, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str,
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, cut_ratio=1.0, max_offset=40, enabled=False).start()
    try:
        unlock(qtbot, window)
        register(qtbot, window, proxy.url, make_adviser())
        proxy.enabled = True  # out on visits: the office cannot be reached
        controller = window.office_sync.controller
        controller.automatic = True
        controller.probe_timer.setInterval(100)
        controller.check()
        status = window.office_sync.status
        qtbot.waitUntil(lambda: controller.reachable is False, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: "Offline" in status.text(), timeout=WAIT_MS)
        assert overview(window).status.waiting == 1

        with qtbot.waitSignal(controller.finished, timeout=WAIT_MS) as finished:
            proxy.enabled = False  # back at the office
        assert finished.args[0].pushed == 1
        controller.automatic = False
        settle(window, qtbot)
        qtbot.waitUntil(lambda: "nothing waiting to send" in status.text(), timeout=WAIT_MS)
        assert "Office server reachable" in status.text()
        assert "Syncing with the office by itself" in status.message.text() or \
            "Sync finished" in status.message.text()
    finally:
        proxy.stop()


def test_the_directory_published_by_the_office_arrives_with_a_sync(
    qtbot: QtBot, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str, tmp_path: Path,
) -> None:
    import json

    from sp_desktop.services.directory import directory_of

    entry = {"id": f"svc-walk-{person_id[-6:]}", "name": "Walking for health, Mill Lane",
             "category": "physical_activity", "free": True, "waiting_weeks": 2,
             "last_checked": "2026-03-01", "wellbeing_tags": '["be_active", "connect"]'}
    published = tmp_path / "directory.json"
    published.write_text(json.dumps([entry]), encoding="utf-8")
    server.cli("directory", "import", str(published))

    unlock(qtbot, window)
    register(qtbot, window, server.url, make_adviser())
    changed: list[object] = []
    window.session.changed.connect(changed.append)
    result = sync_now(qtbot, window)
    assert "services" in result.tables
    assert any("services" in getattr(c, "tables", ()) for c in changed)  # screens redraw it
    found = directory_of(window.session.ws).search(words="Walking Mill")
    assert [s.name for s in found] == ["Walking for health, Mill Lane"]
