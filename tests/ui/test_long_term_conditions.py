"""Long-term conditions in the app: ticked in the person form, shown in words on their page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog
from sp_desktop.ui.main_window import MainWindow

from .conftest import PASSPHRASE
from .helpers import WAIT_MS, click, press, settle, unlock, wait_for


def _someone(window: MainWindow, qtbot: QtBot, *, agreed: bool) -> str:
    done: list[Changes] = []

    def create(ws: Workspace) -> Changes:
        made = ws.people.create(given_name="Edna", family_name="Evans",
                                date_of_birth=date(1941, 3, 12))
        if agreed:
            ws.consent.record(made.id, "given", method="in_person", recording=True,
                              share_gp=True, share_services=True)
        return made

    window.session.write(create, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    settle(window, qtbot)
    return done[0].id


def _tick(qtbot: QtBot, dialog: PersonDetailsDialog, key: str) -> None:
    """Ticks a condition from the keyboard, as the adviser would: Tab to it (its box scrolls
    to show it) and Space."""
    box = dialog.conditions[key]
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)


def _edit(window: MainWindow, qtbot: QtBot, person_id: str) -> PersonDetailsDialog:
    window.show_person(person_id)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    assert window.person.details_labels["conditions"].text() == "None recorded"
    click(qtbot, window.person.edit_button)
    return wait_for(qtbot, window, PersonDetailsDialog)


def test_two_conditions_ticked_and_saved_show_on_their_page(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = _someone(window, qtbot, agreed=True)
    dialog = _edit(window, qtbot, person_id)
    ticks = dialog.conditions
    assert len(ticks) == 19 and all(tick.isEnabled() for tick in ticks.values())
    click(qtbot, ticks["copd"])  # in view: by mouse
    _tick(qtbot, dialog, "hearing_loss")  # further down the list: by keyboard
    assert ticks["copd"].isChecked() and ticks["hearing_loss"].isChecked()
    press(qtbot, dialog.given_name, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    shown = window.person.details_labels["conditions"]
    qtbot.waitUntil(lambda: shown.text() != "None recorded", timeout=WAIT_MS)
    assert shown.text() == "COPD (chronic obstructive pulmonary disease), Hearing loss"
    assert window.session.ws.people.get(person_id).conditions == ("copd", "hearing_loss")
    # Opened again, the form shows them ticked; unticking one saves the other alone.
    click(qtbot, window.person.edit_button)
    again = wait_for(qtbot, window, PersonDetailsDialog)
    assert {k for k, tick in again.conditions.items() if tick.isChecked()} == {
        "copd", "hearing_loss"}
    _tick(qtbot, again, "copd")
    click(qtbot, again.save_button)
    qtbot.waitUntil(lambda: shown.text() == "Hearing loss", timeout=WAIT_MS)


def test_without_consent_conditions_are_refused_in_words_and_the_ticks_stay(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = _someone(window, qtbot, agreed=False)
    dialog = _edit(window, qtbot, person_id)
    _tick(qtbot, dialog, "diabetes")
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: dialog.top_error.isVisible(), timeout=WAIT_MS)
    assert "consent" in dialog.top_error.text()
    assert dialog.isVisible() and dialog.conditions["diabetes"].isChecked()
    assert window.session.ws.people.get(person_id).conditions == ()
    dialog.conditions["diabetes"].setChecked(False)
    dialog.reject()


def test_a_new_person_is_added_before_conditions_are_asked(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    """Conditions are health details: asked once they agreed to notes being kept."""
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    dialog = PersonDetailsDialog(window.session, None, window)
    qtbot.addWidget(dialog)
    assert not any(tick.isEnabled() for tick in dialog.conditions.values())
    assert "consent" in dialog.conditions_note.text()
    dialog.reject()


def test_the_conditions_list_stays_compact(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    """Nineteen tick boxes in two columns, about six rows in view: the form still fits a
    1280x720 or 1366x768 screen, and the list scrolls within its own box."""
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = _someone(window, qtbot, agreed=True)
    dialog = _edit(window, qtbot, person_id)
    ticks = list(dialog.conditions.values())
    area = dialog.conditions_area
    assert ticks[0].parentWidget() is area.widget()
    row = ticks[0].sizeHint().height()
    assert area.maximumHeight() <= 7 * (row + 6) < 720 / 3
    assert {tick.x() for tick in ticks} == {ticks[0].x(), ticks[-1].x()}  # two columns
    dialog.reject()
