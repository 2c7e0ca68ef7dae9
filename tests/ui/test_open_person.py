"""Opening a person: their page is read beside the writer, and the "viewed" audit event follows
once, after it is on screen; redrawing it after a change leaves no further event."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from sp_desktop.store.schema import audit_events

from sp_desktop.ui.main_window import MainWindow

from .conftest import PASSPHRASE
from .helpers import WAIT_MS, settle, unlock


def _views(window: MainWindow, person_id: str) -> int:
    with window.session.ws.store.read() as conn:
        return len(conn.execute(
            select(audit_events.c.seq).where(audit_events.c.action == "viewed",
                                             audit_events.c.person_id == person_id)).all())


def test_opening_a_person_is_audited_once_after_their_page_shows(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=4)
    unlock(qtbot, window, PASSPHRASE)
    qtbot.waitUntil(lambda: window.caseload.model.rowCount() == 4, timeout=WAIT_MS)
    person_id = window.caseload.model.person_id(2)
    window.show_person(person_id)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    assert window.person.overview is not None
    assert window.person.overview.person.id == person_id
    settle(window, qtbot)
    assert _views(window, person_id) == 1
    window.session.write(lambda ws: ws.people.update(person_id, preferred_name="Renamed"))
    qtbot.waitUntil(lambda: "Renamed" in window.person.name.text(), timeout=WAIT_MS)
    settle(window, qtbot)
    assert _views(window, person_id) == 1
