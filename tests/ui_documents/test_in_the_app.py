"""Through the real app: the person view prints, the toolbar makes a visit pack, the lock hides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.services import documents
from sp_desktop.services.demo import populate
from sp_desktop.services.settings import LINK_WORKER_PHONE, Settings
from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog
from sp_desktop.ui.dialogs.visit_pack import VisitPackDialog
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
        populate(ws, 25, seed=9)
    finally:
        ws.close()
    Settings.in_folder(data_dir).set(LINK_WORKER_PHONE, PHONE)
    win = build(data_dir, argon2_params=FAST, route_errors=False)
    errors: list[BaseException] = []
    win.session.tasks.on_error = errors.append
    qtbot.addWidget(win)
    yield win
    if win.session.is_unlocked:
        win.session.lock()
    win.session.tasks.wait(WAIT_MS)
    assert not errors, f"unexpected errors: {[type(e).__name__ for e in errors]}"


def _unlock(qtbot: QtBot, window: MainWindow) -> None:
    window.start()
    qtbot.waitUntil(
        lambda: window.unlock_dialog is not None and window.unlock_dialog.isVisible(),
        timeout=WAIT_MS,
    )
    dialog = window.unlock_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.caseload, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.session.tasks.busy, timeout=WAIT_MS)


def _open_one(
    qtbot: QtBot, window: MainWindow, kind: type[PrintPreviewDialog]
) -> PrintPreviewDialog:
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(kind)), timeout=WAIT_MS)
    (dialog,) = [d for d in window.findChildren(kind) if d.isVisible()]
    return dialog


def test_print_plan_and_letter_from_the_person_view_then_the_lock_hides_them(
    qtbot: QtBot, window: MainWindow
) -> None:
    _unlock(qtbot, window)
    window.show_person(window.caseload.model.person_id(0))
    person = window.person
    qtbot.waitUntil(lambda: person.print_button.isEnabled(), timeout=WAIT_MS)

    qtbot.mouseClick(person.print_button, Qt.MouseButton.LeftButton)
    preview = _open_one(qtbot, window, PrintPreviewDialog)
    qtbot.waitUntil(lambda: preview.page_count > 0, timeout=WAIT_MS)
    assert preview.page_label.text().startswith("Page 1 of ")
    preview.close()

    qtbot.mouseClick(person.letter_button, Qt.MouseButton.LeftButton)
    letter = _open_one(qtbot, window, PrintPreviewDialog)
    qtbot.waitUntil(lambda: letter.document is not None, timeout=WAIT_MS)
    assert letter.document is not None
    assert letter.document.kind is documents.DocumentKind.LETTER

    window.lock()
    assert not letter.isVisible() and letter.document is None


def test_visit_pack_from_the_toolbar(qtbot: QtBot, window: MainWindow) -> None:
    assert not window.visit_pack_action.isEnabled()  # locked: nobody's details
    _unlock(qtbot, window)
    window.visit_pack_action.trigger()
    qtbot.waitUntil(
        lambda: any(d.isVisible() for d in window.findChildren(VisitPackDialog)),
        timeout=WAIT_MS,
    )
