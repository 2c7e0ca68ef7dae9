"""Caseload keyboard use, person editing, a declined referral, errors and accessibility."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTextEdit,
    QWidget,
)

from sp_desktop.domain.choices import Consent, ReferralSource
from sp_desktop.domain.errors import ValidationError
from sp_desktop.services.timeline import SNOMED_DECLINED
from sp_desktop.services.workspace import Changes, Workspace
from sp_desktop.store.errors import DamagedStore

from sp_desktop.ui.dialogs.bug_report import BugReportDialog
from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog
from sp_desktop.ui.dialogs.referral import ReferralDialog
from sp_desktop.ui.errors import bug_report_text, is_known, show_error
from sp_desktop.ui.main_window import MainWindow

from .conftest import PASSPHRASE
from .helpers import WAIT_MS, click, go_to_section, press, settle, type_into, unlock, wait_for


def add_person(window: MainWindow, qtbot: QtBot, given: str, family: str) -> str:
    done: list[Changes] = []

    def create(ws: Workspace) -> Changes:
        return ws.people.create(
            given_name=given, family_name=family, date_of_birth=date(1941, 3, 12)
        )

    window.session.write(create, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    settle(window, qtbot)
    return done[0].id


def test_search_as_you_type_and_open_with_the_keyboard(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    add_person(window, qtbot, "Zoë", "Brown")
    add_person(window, qtbot, "Siobhán", "Kelly")
    qtbot.waitUntil(lambda: window.caseload.model.rowCount() == 2, timeout=WAIT_MS)
    search = window.caseload.search
    type_into(qtbot, search, "siob")
    assert window.caseload.model.rowCount() == 1
    search.clear()
    type_into(qtbot, search, "zoe b")
    assert window.caseload.model.rowCount() == 1
    press(qtbot, search, Qt.Key.Key_Down)
    assert window.caseload.table.hasFocus() or window.focusWidget() is window.caseload.table
    press(qtbot, window.caseload.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    assert window.person.name.text() == "Zoë Brown"
    type_into(qtbot, search, "x")  # the search box kept its text while away
    window.show_caseload()
    search.clear()
    type_into(qtbot, search, "nobody here")
    assert window.caseload.empty.isVisible()
    assert window.caseload.empty.text() == "No one matches “nobody here”."
    press(qtbot, search, Qt.Key.Key_Escape)
    assert search.text() == "" and window.caseload.model.rowCount() == 2


def test_editing_shows_each_problem_beside_its_field(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = add_person(window, qtbot, "Edna", "Evans")
    window.show_person(person_id)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    click(qtbot, window.person.edit_button)
    dialog = wait_for(qtbot, window, PersonDetailsDialog)
    assert dialog.given_name.text() == "Edna"
    dialog.date_of_birth.clear()
    type_into(qtbot, dialog.date_of_birth, "31/02/1941")
    click(qtbot, dialog.save_button)
    born = dialog.errors.fields["date_of_birth"]
    assert born.error.isVisible() and "does not exist" in born.error.text()
    assert dialog.focusWidget() is dialog.date_of_birth
    dialog.date_of_birth.clear()
    type_into(qtbot, dialog.date_of_birth, "1/2/1941")
    dialog.family_name.clear()
    click(qtbot, dialog.save_button)
    family = dialog.errors.fields["family_name"]
    assert family.error.text() == "Please enter a family name."
    assert not born.error.isVisible()
    type_into(qtbot, dialog.family_name, "Evans-Łukasiewicz")
    type_into(qtbot, dialog.nhs_number, "0000000000")
    assert "not a real NHS number" in dialog.errors.fields["nhs_number"].error.text()
    dialog.nhs_number.clear()
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Łukasiewicz" in window.person.name.text(), timeout=WAIT_MS)
    assert window.session.ws.people.get(person_id).date_of_birth == date(1941, 2, 1)


def test_a_declined_referral_is_recorded_and_stops_there(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = add_person(window, qtbot, "Arthur", "Åberg")
    window.show_person(person_id)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    click(qtbot, window.person.referral_button)
    dialog = wait_for(qtbot, window, ReferralDialog)
    click(qtbot, dialog.consent_declined)
    assert dialog.declined_note.isVisible()
    assert SNOMED_DECLINED in dialog.declined_note.text()
    assert dialog.save_button.text() == "Record that they declined"
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "declined" in window.person.why_no_visit.text(), timeout=WAIT_MS)
    assert not window.person.visit_button.isEnabled()
    (referral,) = window.session.ws.people.referrals_of(person_id)
    assert referral.consent is Consent.DECLINED
    assert referral.source is ReferralSource.GP


def test_a_referral_in_the_future_is_refused_beside_the_date(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = add_person(window, qtbot, "Ada", "Jones")
    window.show_person(person_id)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    click(qtbot, window.person.referral_button)
    dialog = wait_for(qtbot, window, ReferralDialog)
    dialog.received_on.clear()
    type_into(qtbot, dialog.received_on, "01/01/2099")
    click(qtbot, dialog.save_button)
    assert dialog.errors.fields["received_on"].error.text() == (
        "The date the referral arrived cannot be in the future."
    )


def test_steps_can_be_changed_and_rated_with_history(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    from sp_desktop.ui.dialogs.rate import RateDialog
    from sp_desktop.ui.dialogs.step import StepDialog

    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = add_person(window, qtbot, "Mary", "Clarke")
    window.session.write(
        lambda ws: ws.people.record_referral(
            person_id,
            source=ReferralSource.SELF,
            received_on=date.today(),
            consent=Consent.GIVEN,
            consent_on=date.today(),
        )
    )
    settle(window, qtbot)
    window.start_visit(person_id)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    go_to_section(qtbot, window, "Steps")
    steps = window.visit.steps
    type_into(qtbot, steps.words, "Phone the library")
    press(qtbot, steps.words, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: steps.model.rowCount() == 1, timeout=WAIT_MS)
    steps.table.selectRow(0)
    click(qtbot, steps.edit_button)
    edit = wait_for(qtbot, window, StepDialog)
    edit.words_edit.clear()
    type_into(qtbot, edit.words_edit, "Phone the library about the reading group")
    press(qtbot, edit.words_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: steps.model.step(0).words == "Phone the library about the reading group",
        timeout=WAIT_MS,
    )
    click(qtbot, steps.rate_button)
    rate = wait_for(qtbot, window, RateDialog)
    assert not rate.save_button.isEnabled() or rate.rating.value == 0
    click(qtbot, rate.rating.buttons[4])
    click(qtbot, rate.save_button)
    qtbot.waitUntil(lambda: steps.model.step(0).progress == 4, timeout=WAIT_MS)
    history = window.session.ws.visits.step_history(steps.model.step(0).id)
    assert [r.value for r in history] == [0, 4]


def test_rating_buttons_are_one_tab_stop_with_arrow_keys(qtbot: QtBot) -> None:
    from sp_desktop.ui.rating import DECLINED, RatingButtons

    rating = RatingButtons("Happy", low="not at all", high="completely", allow_decline=True)
    qtbot.addWidget(rating)
    rating.show()
    stops = [b for b in rating.buttons if b.focusPolicy() & Qt.FocusPolicy.TabFocus]
    assert stops == [rating.buttons[0]]
    rating.buttons[0].setFocus()
    qtbot.keyClick(rating.buttons[0], Qt.Key.Key_Right)
    assert rating.focusWidget() is rating.buttons[1]
    qtbot.keyClick(rating.buttons[1], Qt.Key.Key_Space)
    assert rating.value == 1
    assert rating.buttons[1].accessibleName() == "Happy: 1"
    assert rating.decline_button is not None
    click(qtbot, rating.decline_button)
    assert rating.value == DECLINED


def test_known_errors_are_calm_and_bug_reports_hold_no_personal_data(qtbot: QtBot) -> None:
    assert is_known(DamagedStore(Path("/x/sp-desktop.db")))
    assert is_known(ValidationError("nhs_number", "No"))
    try:
        raise RuntimeError("Zoë Brown, 943 476 5919, lives at 1 Elm Road")
    except RuntimeError as error:
        report = bug_report_text(error)
        assert "Zoë" not in report and "943" not in report and "Elm" not in report
        assert "builtins.RuntimeError" in report
        assert "test_screens.py" in report
        parent = QWidget()
        qtbot.addWidget(parent)
        show_error(parent, error)
        dialog = wait_for(qtbot, parent, BugReportDialog)
        assert "Zoë" not in dialog.report
        dialog.close()


@pytest.mark.parametrize("screen", ["caseload", "person", "visit"])
def test_every_control_has_a_name_and_takes_keyboard_focus(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path], screen: str
) -> None:
    make_store(people=5)
    unlock(qtbot, window, PASSPHRASE)
    person_id = window.caseload.model.person_id(0)
    if screen != "caseload":
        window.show_person(person_id)
        qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    if screen == "visit":
        overview = window.person.overview
        assert overview is not None
        window.session.write(
            lambda ws: ws.people.record_referral(
                person_id,
                source=ReferralSource.GP,
                received_on=date.today(),
                consent=Consent.GIVEN,
                consent_on=date.today(),
            )
        )
        settle(window, qtbot)
        window.start_visit(person_id)
        qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    root: QWidget = getattr(window, screen)
    unnamed = []
    for widget in root.findChildren(QWidget):
        interactive = isinstance(
            widget,
            QAbstractButton
            | QLineEdit
            | QPlainTextEdit
            | QTextEdit
            | QComboBox
            | QSpinBox
            | QAbstractItemView,
        )
        # Headers sort by mouse (the "Sort by" box does it by keyboard); "qt_" parts and a
        # combo box's pop-up list belong to Qt's own widgets.
        if not interactive or isinstance(widget, QHeaderView) or widget.objectName()[:3] == "qt_":
            continue
        if widget.window() is not window:
            continue
        if (
            isinstance(widget, QAbstractButton)
            and widget.parent() is not None
            and (type(widget.parent()).__name__ in ("QScrollBar", "QHeaderView", "QLineEdit"))
        ):
            continue
        name = widget.accessibleName() or (
            widget.text() if isinstance(widget, QAbstractButton) else ""
        )
        if not name:
            unnamed.append(f"{type(widget).__name__} {widget.objectName()!r}")
        assert widget.focusPolicy() != Qt.FocusPolicy.NoFocus or not widget.isEnabled(), name
    assert not unnamed, unnamed
