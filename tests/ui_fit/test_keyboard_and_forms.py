"""Forms and keys as an adviser uses them: Enter does the main action, nothing typed is dropped
without asking, every problem shows at once and clears when mended, dates from a calendar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCalendarWidget, QMessageBox

from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog
from sp_desktop.ui.dialogs.referral import ReferralDialog
from sp_desktop.ui.fields import DateField, typed_date
from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.screens.prescription import (
    FollowUpDialog,
    PrescribeDialog,
    PrescriptionWindow,
)

from ..ui.conftest import PASSPHRASE
from ..ui.helpers import (
    WAIT_MS,
    click,
    go_to_section,
    settle,
    shortcut,
    type_into,
    unlock,
    wait_for,
)


def open_person(qtbot: QtBot, window: MainWindow, row: int = 0) -> str:
    """The `row`-th person of the caseload who agreed to notes being kept (consent first)."""
    qtbot.waitUntil(lambda: window.caseload.model.rowCount() > 0, timeout=WAIT_MS)
    ws = window.session.ws
    agreed = [p for p in (window.caseload.model.person_id(r)
                          for r in range(window.caseload.model.rowCount()))
              if ws.consent.refusal(p) is None]
    person_id = agreed[row]
    window.show_person(person_id)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    settle(window, qtbot)
    return person_id


def activities(qtbot: QtBot, window: MainWindow) -> PrescriptionWindow:
    click(qtbot, window.person.activities_button)
    shown = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, PrescriptionWindow) and w.isVisible()]
    assert len(shown) == 1
    settle(window, qtbot)
    return shown[0]


def question(qtbot: QtBot, dialog: object) -> QMessageBox:
    qtbot.waitUntil(lambda: getattr(dialog, "confirm_box", None) is not None, timeout=WAIT_MS)
    box = dialog.confirm_box  # type: ignore[attr-defined]
    assert isinstance(box, QMessageBox) and box.isVisible()
    return box


def answer(qtbot: QtBot, box: QMessageBox, words: str) -> None:
    button = next(b for b in box.buttons() if b.text() == words)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_enter_in_add_a_follow_up_adds_it(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=6)
    unlock(qtbot, window, PASSPHRASE)
    open_person(qtbot, window)
    screen = activities(qtbot, window).prescription
    before = screen.follow_ups.rowCount()
    click(qtbot, screen.add_follow_up_button)
    dialog = wait_for(qtbot, screen, FollowUpDialog)
    due = date.today() + timedelta(days=9)
    dialog.day.selectAll()
    type_into(qtbot, dialog.day, typed_date(due))
    type_into(qtbot, dialog.notes, "Ring about the lunch club")
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.follow_ups.rowCount() == before + 1, timeout=WAIT_MS)
    assert not dialog.isVisible()
    notes = [screen.follow_ups.follow_up(r).notes for r in range(screen.follow_ups.rowCount())]
    assert "Ring about the lunch club" in notes


def test_enter_in_a_new_referral_saves_it(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    person_id = open_person(qtbot, window)
    before = len(window.session.ws.people.referrals_of(person_id))
    click(qtbot, window.person.referral_button)
    dialog = wait_for(qtbot, window, ReferralDialog)
    type_into(qtbot, dialog.referrer_name, "Dr A. Okafor")
    qtbot.keyClick(dialog.referrer_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    settle(window, qtbot)
    referrals = window.session.ws.people.referrals_of(person_id)
    assert len(referrals) == before + 1
    assert any(r.referrer_name == "Dr A. Okafor" for r in referrals)


def test_enter_in_the_prescribe_search_keeps_the_ticked_activity(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    open_person(qtbot, window)
    screen = activities(qtbot, window).prescription
    before = screen.activities.rowCount()
    click(qtbot, screen.prescribe_button)
    dialog = wait_for(qtbot, screen, PrescribeDialog)
    settle(window, qtbot)
    assert not dialog.save_button.isEnabled()
    assert dialog.why_disabled.isVisible() and "Tick at least one" in dialog.why_disabled.text()
    table = dialog.search.table
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Space)
    assert dialog.chosen.count() == 1 and not dialog.why_disabled.isVisible()
    type_into(qtbot, dialog.search.words, "a")
    qtbot.keyClick(dialog.search.words, Qt.Key.Key_Return)
    settle(window, qtbot)
    assert dialog.isVisible(), "Enter in the search box closed the dialog"
    assert dialog.chosen.count() == 1, "the ticked activity was dropped"
    qtbot.keyClick(dialog.start_date, Qt.Key.Key_Return)  # Enter elsewhere prescribes
    qtbot.waitUntil(lambda: screen.activities.rowCount() == before + 1, timeout=WAIT_MS)
    assert not dialog.isVisible()


def test_escape_with_something_typed_asks_first(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    open_person(qtbot, window)
    click(qtbot, window.person.referral_button)
    dialog = wait_for(qtbot, window, ReferralDialog)
    type_into(qtbot, dialog.reason, "Lonely since the winter")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Escape)
    box = question(qtbot, dialog)
    answer(qtbot, box, "Keep editing")
    assert dialog.isVisible() and dialog.reason.toPlainText() == "Lonely since the winter"
    click(qtbot, dialog.cancel_button)
    answer(qtbot, question(qtbot, dialog), "Close without saving")
    assert not dialog.isVisible()
    # Nothing typed: Escape closes at once, with no question.
    click(qtbot, window.person.referral_button)
    again = wait_for(qtbot, window, ReferralDialog)
    qtbot.keyClick(again.referrer_name, Qt.Key.Key_Escape)
    assert not again.isVisible() and again.confirm_box is None


def test_add_a_person_shows_every_problem_at_once_and_clears_them_as_mended(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=1)
    unlock(qtbot, window, PASSPHRASE)
    click(qtbot, window.caseload.add_button)
    dialog = wait_for(qtbot, window, PersonDetailsDialog)
    type_into(qtbot, dialog.date_of_birth, "31/02/1950")
    type_into(qtbot, dialog.email, "x" * 300)
    click(qtbot, dialog.save_button)
    shown = dialog.errors.shown()
    assert list(shown) == ["given_name", "family_name", "date_of_birth", "email"], shown
    assert "first name" in shown["given_name"] and "does not exist" in shown["date_of_birth"]
    assert dialog.focusWidget() is dialog.given_name  # the first, in reading order
    type_into(qtbot, dialog.given_name, "Mary")
    assert list(dialog.errors.shown()) == ["family_name", "date_of_birth", "email"]
    type_into(qtbot, dialog.family_name, "Jones")
    dialog.date_of_birth.clear()
    type_into(qtbot, dialog.date_of_birth, "12/03/1941")
    dialog.email.clear()
    assert dialog.errors.shown() == {}
    qtbot.keyClick(dialog.email, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.person, timeout=WAIT_MS)
    assert not dialog.isVisible()


def test_a_date_can_be_picked_from_a_calendar(qtbot: QtBot) -> None:
    field = DateField(date(2026, 3, 12), name="Starts on")
    qtbot.addWidget(field)
    field.show()
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = field.calendar
    assert isinstance(calendar, QCalendarWidget) and calendar.isVisible()
    assert calendar.selectedDate().toPython() == date(2026, 3, 12)
    days = calendar.focusWidget() or calendar  # the month's grid has the keyboard
    qtbot.keyClick(days, Qt.Key.Key_Right)
    qtbot.keyClick(days, Qt.Key.Key_Down)
    qtbot.keyClick(days, Qt.Key.Key_Return)
    assert field.text() == "20/03/2026"
    assert not calendar.isVisible()
    field.selectAll()
    type_into(qtbot, field, "1/4/2026")  # typing still works as before
    assert field.day() == date(2026, 4, 1)


def test_a_steps_by_when_hint_is_not_a_birth_date(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    open_person(qtbot, window)
    click(qtbot, window.person.visit_button)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    go_to_section(qtbot, window, "Steps")
    steps = window.visit.steps
    type_into(qtbot, steps.words, "Ring Mary")
    type_into(qtbot, steps.by_when, "next week")
    click(qtbot, steps.add_button)
    message = steps.date_field.error.text()
    assert "day/month/year" in message and "1941" not in message
    assert typed_date(date.today()) in message
    assert isinstance(steps.by_when, DateField)


def test_ctrl_page_down_puts_the_cursor_in_the_pages_first_field(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    open_person(qtbot, window)
    click(qtbot, window.person.visit_button)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    visit = window.visit
    visit.close_button.setFocus()
    shortcut(qtbot, window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    page = visit.domain_pages[0]
    assert visit.pages.currentIndex() == 1
    assert window.focusWidget() is page.notes
    qtbot.keyClicks(page.notes, "Sees her daughter")
    assert page.notes.toPlainText() == "Sees her daughter"


def test_a_concern_error_clears_once_it_is_mended(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    open_person(qtbot, window)
    click(qtbot, window.person.visit_button)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    page = window.visit.domain_pages[0]
    go_to_section(qtbot, window, page.domain.title)
    type_into(qtbot, page.concern_words, "Nobody to talk to")
    click(qtbot, page.add_button)
    assert "how much it worries them" in page.words_field.error.text()
    click(qtbot, page.severity.buttons[7])
    assert page.words_field.error.isHidden()
    click(qtbot, page.add_button)
    settle(window, qtbot)
    assert page.concern_words.text() == "" and page.words_field.error.isHidden()


def test_wellbeing_save_says_why_it_cannot_be_pressed(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    open_person(qtbot, window)
    click(qtbot, window.person.visit_button)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    go_to_section(qtbot, window, "Wellbeing questions")
    form = window.visit.wellbeing
    if form.is_saved:
        click(qtbot, form.again_button)
    assert not form.save_button.isEnabled()
    assert form.why_disabled.isVisible() and "4 questions still to answer" in (
        form.why_disabled.text()
    )
    for box in list(form.boxes.values())[:3]:
        click(qtbot, box.rating.buttons[6])
    assert "1 question still to answer" in form.why_disabled.text()
    click(qtbot, list(form.boxes.values())[3].rating.buttons[5])
    assert form.save_button.isEnabled() and not form.why_disabled.isVisible()


def test_enter_on_a_focused_button_in_the_main_window_presses_it(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    open_person(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    window.person.edit_button.setFocus()
    assert QApplication.focusWidget() is window.person.edit_button
    qtbot.keyClick(window.person.edit_button, Qt.Key.Key_Return)
    dialog = wait_for(qtbot, window, PersonDetailsDialog)
    assert dialog.windowTitle() == "Edit details"
