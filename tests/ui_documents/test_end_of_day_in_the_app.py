"""Through the real app: Lock and closing the window list what is left; the idle lock never asks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import delete, update

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent

from sp_desktop.domain.choices import VisitStatus
from sp_desktop.services.demo import populate
from sp_desktop.services.settings import LINK_WORKER_PHONE, Settings
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import closing_reviews, outbox, referrals, visits

from sp_desktop.ui.dialogs.end_of_day import EndOfDayDialog
from sp_desktop.ui.main_window import MainWindow

from .conftest import FAST, PHONE

PASSPHRASE = "kettle violet harbour spoon"
WAIT_MS = 15_000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    from sp_desktop.app import build

    data_dir = tmp_path / "data"
    ws, _key = Workspace.create(data_dir, PASSPHRASE, adviser="Jo Adams", params=FAST)
    try:
        populate(ws, 8, seed=4)
    finally:
        ws.close()
    Settings.in_folder(data_dir).set(LINK_WORKER_PHONE, PHONE)
    win = build(data_dir, argon2_params=FAST, route_errors=False)
    errors: list[BaseException] = []
    win.session.tasks.on_error = errors.append
    qtbot.addWidget(win)
    win.start()
    qtbot.waitUntil(
        lambda: win.unlock_dialog is not None and win.unlock_dialog.isVisible(), timeout=WAIT_MS
    )
    assert win.unlock_dialog is not None
    qtbot.keyClicks(win.unlock_dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(win.unlock_dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.stack.currentWidget() is win.caseload, timeout=WAIT_MS)
    yield win
    if win.session.is_unlocked:
        win.session.lock()
    win.session.tasks.wait(WAIT_MS)
    assert not errors, f"unexpected errors: {[type(e).__name__ for e in errors]}"


class _ClickedClose(QCloseEvent):
    """A close as the window system sends it when the adviser clicks the close button."""

    def spontaneous(self) -> bool:
        return True


def _dialog(qtbot: QtBot, window: MainWindow) -> EndOfDayDialog:
    found: list[EndOfDayDialog] = []

    def shown() -> bool:
        found[:] = [d for d in window.findChildren(EndOfDayDialog) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def _lines(dialog: EndOfDayDialog) -> list[str]:
    return [dialog.items.item(row).text() for row in range(dialog.items.count())]


def test_ending_the_day_lists_what_is_left_and_go_back_keeps_working(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.end_day_action.trigger()
    dialog = _dialog(qtbot, window)
    assert any("not been sent" in line for line in _lines(dialog))
    assert dialog.go_back.isDefault()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter keeps the adviser where they were
    assert not dialog.isVisible()
    assert window.session.is_unlocked

    window.end_day_action.trigger()
    dialog = _dialog(qtbot, window)
    qtbot.mouseClick(dialog.leave, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.session.is_unlocked, timeout=WAIT_MS)


def test_an_unsigned_visit_is_named(qtbot: QtBot, window: MainWindow) -> None:
    ws = window.session.ws
    person_id = ws.caseload.search("")[0].person_id
    ws.visits.start(person_id, date.today())
    window.end_day_action.trigger()
    lines = _lines(_dialog(qtbot, window))
    assert any(line.endswith("is not signed.") for line in lines), lines
    assert window.session.is_unlocked


def test_a_clear_day_ends_with_a_lock_at_once(qtbot: QtBot, window: MainWindow) -> None:
    with window.session.ws.write() as conn:
        conn.execute(delete(outbox))
        conn.execute(update(visits).values(status=VisitStatus.SIGNED.value))
        conn.execute(update(closing_reviews).values(deleted=True))
        conn.execute(update(referrals).values(consent="given"))
    window.end_day_action.trigger()
    qtbot.waitUntil(lambda: not window.session.is_unlocked, timeout=WAIT_MS)
    assert not [d for d in window.findChildren(EndOfDayDialog) if d.isVisible()]


def test_the_idle_lock_never_asks(window: MainWindow) -> None:
    window._idle()
    assert not window.session.is_unlocked
    assert not [d for d in window.findChildren(EndOfDayDialog) if d.isVisible()]


def test_closing_the_window_asks_then_closes_anyway(qtbot: QtBot, window: MainWindow) -> None:
    window.show()
    event = _ClickedClose()
    window.closeEvent(event)
    assert not event.isAccepted()
    dialog = _dialog(qtbot, window)
    assert dialog.leave.text() == "Close anyway"
    qtbot.mouseClick(dialog.leave, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert not window.session.is_unlocked
