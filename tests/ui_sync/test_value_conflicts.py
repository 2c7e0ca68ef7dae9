"""Conflict copies of details settled by clock (a postcode, a date, a choice) are shown to the
adviser in words until dismissed, like the free-text ones, and "use this version" works."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from sp_desktop.domain.choices import PreferredContact
from sp_desktop.domain.hlc import HlcStamp
from sp_desktop.server.testing import RunningServer
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import outbox
from sp_desktop.sync.client import SyncClient, register_device
from sp_desktop.sync.conflicts import list_conflicts

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.sync.conflicts import ConflictDialog

from .conftest import FAST, Adviser
from .drive import WAIT_MS, click, register, sync_now, unlock, wait_for


def _last_stamp(ws: Workspace) -> HlcStamp:
    with ws.store.read() as conn:
        return HlcStamp.parse(str(conn.execute(
            select(outbox.c.hlc).order_by(outbox.c.seq.desc())).scalars().first()))


def test_a_postcode_a_date_and_a_choice_that_lost_are_listed_in_words_until_dismissed(
    qtbot: QtBot, qtmodeltester: object, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str, tmp_path: Path,
) -> None:
    ann = make_adviser()
    ben = make_adviser(ann.team)
    unlock(qtbot, window)
    register(qtbot, window, server.url, ann)
    sync_now(qtbot, window)
    ben_ws, _key = Workspace.create(tmp_path / "ben", "another long passphrase",
                                    adviser=ben.name, params=FAST)
    try:
        register_device(ben_ws.store, server.url, ben.name, ben.password)

        def ben_sync() -> None:
            with SyncClient(ben_ws.store, clock=ben_ws.changes.clock) as client:
                client.sync_once()

        ben_sync()

        # Offline, both change the same three details; Ben's edit is the later one.
        def ann_edits(ws: Workspace) -> object:
            return ws.people.update(person_id, postcode="LS1 4AB",
                                    date_of_birth=date(1938, 5, 2),
                                    preferred_contact=PreferredContact.VIA_CARER)

        with qtbot.waitSignal(window.session.changed, timeout=WAIT_MS):
            window.session.write(ann_edits)
        ben_ws.changes.clock.receive(_last_stamp(window.session.ws))
        ben_ws.people.update(person_id, postcode="LS2 9JT", date_of_birth=date(1938, 6, 1),
                             preferred_contact=PreferredContact.LETTER)
        ben_sync()
        result = sync_now(qtbot, window)
        assert result.new_conflicts == 3

        status = window.office_sync.status
        qtbot.waitUntil(lambda: "3 conflicts to resolve" in status.text(), timeout=WAIT_MS)
        click(qtbot, status.resolve_button)
        dialog = wait_for(qtbot, window, ConflictDialog)
        qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=WAIT_MS)
        qtmodeltester.check(dialog.model)  # type: ignore[attr-defined]
        titles = {dialog.model.card(row).title: row  # type: ignore[union-attr]
                  for row in range(dialog.model.rowCount())}
        assert set(titles) == {"Edith Jones: Postcode (personal details)",
                               "Edith Jones: Date of birth (personal details)",
                               "Edith Jones: Preferred way to contact (personal details)"}

        def show(title: str) -> None:
            dialog.list.setCurrentIndex(dialog.model.index(titles[title], 0))
            assert dialog.title.text() == title

        show("Edith Jones: Date of birth (personal details)")
        assert dialog.kept.text.toPlainText() == "1 June 1938"
        assert dialog.other.text.toPlainText() == "2 May 1938"
        assert "another laptop" in dialog.kept.who_when.text()
        assert "this laptop" in dialog.other.who_when.text()
        assert "today at" in dialog.other.who_when.text()
        assert "detail" in dialog.about.text()
        show("Edith Jones: Preferred way to contact (personal details)")
        assert (dialog.kept.text.toPlainText(), dialog.other.text.toPlainText()) == (
            "Letter", "Through their carer")

        # Ann keeps her own postcode: a normal edit, waiting to go to the office.
        show("Edith Jones: Postcode (personal details)")
        assert (dialog.kept.text.toPlainText(), dialog.other.text.toPlainText()) == (
            "LS2 9JT", "LS1 4AB")
        click(qtbot, dialog.other.choose)
        qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=WAIT_MS)
        assert "keeping “LS1 4AB”" in dialog.outcome.text()
        assert window.session.ws.people.get(person_id).postcode == "LS1 4AB"
        # The other two she dismisses, keeping what every laptop shows.
        for _ in range(2):
            count = dialog.model.rowCount()
            click(qtbot, dialog.kept.choose)
            qtbot.waitUntil(lambda c=count: dialog.model.rowCount() == c - 1, timeout=WAIT_MS)
        assert "Nothing to resolve" in dialog.title.text()
        click(qtbot, dialog.close_button)
        qtbot.waitUntil(lambda: "no conflicts" in status.text(), timeout=WAIT_MS)

        sync_now(qtbot, window)
        ben_sync()
        seen = ben_ws.people.get(person_id)
        assert (seen.postcode, seen.date_of_birth, seen.preferred_contact) == (
            "LS1 4AB", date(1938, 6, 1), PreferredContact.LETTER)
        assert list_conflicts(ben_ws.store) == []  # dismissed here, settled there too
    finally:
        ben_ws.close()
