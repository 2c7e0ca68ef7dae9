"""Where a visit happens: chosen when starting (home by default), shown in the header, the
summary and the person's timeline, and stored on the visit."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.domain.choices import VisitPlace

from sp_desktop.ui.main_window import MainWindow

from .conftest import WAIT_MS, People
from .helpers import click, keyboard_reachable, open_person, settle, unlock


def test_a_phone_visit_is_started_shown_and_stored_as_one(
    qtbot: QtBot, window: MainWindow, people: People
) -> None:
    unlock(qtbot, window)
    open_person(qtbot, window, people["Zoë"])
    person = window.person
    assert person.place_box.currentText() == "Home"  # the usual case needs no choosing
    assert person.visit_button.text() == "Start a home visit"
    assert keyboard_reachable(person.place_box)
    assert [person.place_box.itemText(i) for i in range(person.place_box.count())] == [
        p.label for p in VisitPlace
    ]

    person.place_box.setFocus()
    qtbot.keyClick(person.place_box, Qt.Key.Key_Down)  # Home -> Phone, by keyboard
    assert person.place_box.currentText() == "Phone"
    assert person.visit_button.text() == "Start a phone visit"
    click(qtbot, person.visit_button)

    visit = window.visit
    qtbot.waitUntil(lambda: visit.summary is not None, timeout=WAIT_MS)
    settle(window, qtbot)
    assert visit.title.text() == "Phone visit with Zoë Brown"
    visit.go_to_section(visit.finish_index)
    qtbot.waitUntil(lambda: "Phone visit with Zoë Brown" in visit.finish_view.toPlainText())
    stored = window.session.ws.visits.of_person(people["Zoë"])
    assert [v.place for v in stored] == [VisitPlace.PHONE]

    visit.close_visit()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is person, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: person.overview is not None, timeout=WAIT_MS)
    settle(window, qtbot)
    whats = [person.timeline.entry(r).title for r in range(person.timeline.rowCount())]
    assert "Phone visit — not finished yet" in whats
    assert not person.place_box.isVisible()  # carrying on: the place is already set
    assert person.visit_button.text() == "Carry on with the unfinished visit"


def test_every_new_person_page_starts_at_home(
    qtbot: QtBot, window: MainWindow, people: People
) -> None:
    unlock(qtbot, window)
    open_person(qtbot, window, people["Zoë"])
    window.person.place_box.setCurrentIndex(3)
    assert window.person.visit_button.text() == "Start a community visit"
    open_person(qtbot, window, people["Halina"])
    assert window.person.place_box.currentText() == "Home"
    assert window.person.visit_button.text() == "Start a home visit"
