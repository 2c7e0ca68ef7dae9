"""Carers: link a person as carer of someone on the caseload found by name, shown on both
people's pages, and clear it again."""

from __future__ import annotations

from datetime import date

from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.services.caseload import CaseloadRow, Stage

from sp_desktop.ui.dialogs.carer import CarerDialog
from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.models.people_found import PeopleFoundModel

from .conftest import WAIT_MS, People
from .helpers import click, keyboard_reachable, open_person, settle, unlock, wait_for


def test_link_a_carer_by_name_see_it_on_both_pages_then_clear_it(
    qtbot: QtBot, window: MainWindow, people: People
) -> None:
    halina, zoe = people["Halina"], people["Zoë"]
    unlock(qtbot, window)
    open_person(qtbot, window, halina)
    page = window.person
    assert page.cares_for.text() == "Not recorded as caring for anyone on the caseload"
    assert page.cared_for_by.text() == "No carer on the caseload recorded"
    assert not page.clear_carer_button.isEnabled()
    assert keyboard_reachable(page.carer_button) and keyboard_reachable(page.clear_carer_button)

    click(qtbot, page.carer_button)
    dialog = wait_for(qtbot, window, CarerDialog)
    assert keyboard_reachable(dialog.search) and keyboard_reachable(dialog.found)
    qtbot.keyClicks(dialog.search, "halina nowak")  # never offered as their own carer
    qtbot.waitUntil(lambda: "Nobody" in dialog.count.text(), timeout=WAIT_MS)
    dialog.search.clear()
    qtbot.keyClicks(dialog.search, "zoe bro")  # accents need not be typed
    qtbot.waitUntil(lambda: dialog.count.text() == "1 found", timeout=WAIT_MS)
    assert dialog.model.data(dialog.model.index(0, 0)).startswith("Zoë Brown — born")
    assert not dialog.save_button.isEnabled()  # nobody chosen yet
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)  # to the list, first one chosen
    assert dialog.found.hasFocus() and dialog.chosen() == zoe
    qtbot.keyClick(dialog.found, Qt.Key.Key_Return)  # saves
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.cares_for.text() == "Cares for Zoë Brown", timeout=WAIT_MS)
    assert page.carer_button.text() == "Change who they care for…"
    assert page.clear_carer_button.isEnabled()
    ws = window.session.ws
    assert ws.people.get(halina).carer_of_id == zoe
    assert ws.people.carers_of(zoe) == [halina]

    open_person(qtbot, window, zoe)
    assert page.cared_for_by.text() == "Cared for by Halina Nowak"
    assert page.cares_for.text() == "Not recorded as caring for anyone on the caseload"

    open_person(qtbot, window, halina)
    click(qtbot, page.clear_carer_button)
    qtbot.waitUntil(
        lambda: page.cares_for.text().startswith("Not recorded"), timeout=WAIT_MS
    )
    settle(window, qtbot)
    assert ws.people.get(halina).carer_of_id is None
    assert ws.people.carers_of(zoe) == []
    assert not page.clear_carer_button.isEnabled()
    open_person(qtbot, window, zoe)
    assert page.cared_for_by.text() == "No carer on the caseload recorded"


def test_linking_redraws_the_other_persons_page_too(
    qtbot: QtBot, window: MainWindow, people: People
) -> None:
    """The Changes of a carer link name both people, so the cared-for page redraws."""
    halina, zoe = people["Halina"], people["Zoë"]
    unlock(qtbot, window)
    open_person(qtbot, window, zoe)
    window.session.write(lambda ws: ws.people.set_carer_of(halina, zoe))
    qtbot.waitUntil(
        lambda: window.person.cared_for_by.text() == "Cared for by Halina Nowak",
        timeout=WAIT_MS,
    )


def test_people_found_model(qtmodeltester: ModelTester) -> None:
    model = PeopleFoundModel()
    qtmodeltester.check(model)
    row = CaseloadRow(
        "p1", "Zoë Brown", "Brown", date(1939, 5, 2), "Castle Hill Surgery", Stage.NEW,
        None, None, "zoe brown", None,
    )  # fmt: skip
    model.set_rows([row])
    qtmodeltester.check(model)
    assert model.data(model.index(0, 0)) == "Zoë Brown — born Tue 2 May 1939 · Castle Hill Surgery"
    assert model.person_id(0) == "p1"
