"""The prescription is reached from the person view of the real app, on the demo caseload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.screens.prescription import PrescribeDialog, PrescriptionWindow

from ..ui.helpers import click, go_to_section, shortcut, unlock, wait_for
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


def _someone(window: MainWindow) -> tuple[str, int]:
    ws = window.session.ws  # the first who agreed to notes being kept (consent first)
    person_id = next(r.person_id for r in ws.caseload.rows()
                     if ws.consent.refusal(r.person_id) is None)
    return person_id, len(ws.prescribing.of_person(person_id))


def _prescribe_first_result(qtbot: QtBot, dialog: PrescribeDialog) -> None:
    qtbot.waitUntil(lambda: dialog.search.model.rowCount() > 0, timeout=WAIT_MS)
    if not dialog.search.model.chosen:
        dialog.search.model.set_chosen(dialog.search.model.service(0), True)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        click(qtbot, dialog.save_button)


def test_prescribing_is_a_step_of_the_visit(qtbot: QtBot, window: MainWindow) -> None:
    unlock(qtbot, window, PASSPHRASE)
    person_id, before = _someone(window)
    window.start_visit(person_id)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    go_to_section(qtbot, window, "Steps")
    click(qtbot, window.visit.steps.prescribe_button)
    dialog = wait_for(qtbot, window, PrescribeDialog)
    name = window.visit.summary.person.display_name  # type: ignore[union-attr]
    assert dialog.windowTitle() == f"Prescribe activities for {name}"
    _prescribe_first_result(qtbot, dialog)
    qtbot.waitUntil(
        lambda: len(window.session.ws.prescribing.of_person(person_id)) > before,
        timeout=WAIT_MS,
    )
    assert window.stack.currentWidget() is window.visit, "still in the conversation"
    assert window.visit.person_id == person_id


def test_the_directory_mid_visit_prescribes_for_them_and_back_returns_to_the_visit(
    qtbot: QtBot, window: MainWindow
) -> None:
    unlock(qtbot, window, PASSPHRASE)
    person_id, before = _someone(window)
    window.start_visit(person_id)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    visit_id = window.visit.visit_id
    name = window.visit.summary.person.display_name  # type: ignore[union-attr]
    shortcut(qtbot, window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    directory = window.directory
    assert window.stack.currentWidget() is directory
    assert directory.prescribe_button.isVisible()
    assert directory.prescribe_button.text() == f"Prescribe for {name}…"
    qtbot.waitUntil(lambda: directory.search.model.rowCount() > 0, timeout=WAIT_MS)
    directory.search.table.selectRow(1)
    highlighted = directory.search.current_service()
    assert highlighted is not None
    click(qtbot, directory.prescribe_button)
    dialog = wait_for(qtbot, window, PrescribeDialog)
    assert [s.id for s in dialog.search.model.chosen] == [highlighted.id], "already ticked"
    _prescribe_first_result(qtbot, dialog)
    qtbot.waitUntil(
        lambda: len(window.session.ws.prescribing.of_person(person_id)) > before,
        timeout=WAIT_MS,
    )
    window.back_action.trigger()
    assert window.stack.currentWidget() is window.visit, "Back returns to the visit"
    assert window.visit.visit_id == visit_id, "the same visit, still open"


def test_the_directory_on_its_own_offers_no_prescribing(qtbot: QtBot, window: MainWindow) -> None:
    unlock(qtbot, window, PASSPHRASE)
    window.show_directory()
    assert window.stack.currentWidget() is window.directory
    assert not window.directory.prescribe_button.isVisible()
