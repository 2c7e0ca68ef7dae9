"""The prescription is reached from the person view of the real app, on the demo caseload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtWidgets import QApplication

from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.screens.prescription import PrescriptionWindow

from ..ui.helpers import click, unlock
from .conftest import FAST, WAIT_MS

PASSPHRASE = "kettle violet harbour spoon"


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    from sp_desktop.app import build
    from sp_desktop.services.demo import populate

    data_dir = tmp_path / "data"
    ws, _ = Workspace.create(data_dir, PASSPHRASE, adviser="Jo Adams", params=FAST)
    populate(ws, 20, seed=3)
    ws.close()
    win = build(data_dir, argon2_params=FAST, route_errors=False)
    errors: list[BaseException] = []
    win.session.tasks.on_error = errors.append
    qtbot.addWidget(win)
    yield win
    if win.session.is_unlocked:
        win.session.lock()
    win.session.tasks.wait(15_000)
    assert not errors, f"unexpected errors: {errors!r}"


def test_activities_open_from_the_person_view(qtbot: QtBot, window: MainWindow) -> None:
    unlock(qtbot, window, PASSPHRASE)
    ws = window.session.ws
    prescribed = next(
        r.person_id for r in ws.caseload.rows() if ws.prescribing.of_person(r.person_id)
    )
    window.show_person(prescribed)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    click(qtbot, window.person.activities_button)
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, PrescriptionWindow)]
    assert len(found) == 1
    opened = found[0]
    expected = len(ws.prescribing.of_person(prescribed))
    qtbot.waitUntil(lambda: opened.prescription.activities.rowCount() == expected, timeout=WAIT_MS)
    assert opened.windowTitle() == f"Activities for {window.person.overview.person.display_name}"
    click(qtbot, opened.prescription.back_button)
    assert not opened.isVisible()
