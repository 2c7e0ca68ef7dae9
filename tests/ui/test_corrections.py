"""Corrections of a signed visit, as an adviser makes them: "Add a correction…" on the visit and
on the person's timeline, Enter adds it, Escape with words typed asks first, plain text only;
the correction is listed under the visit with its author and date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from sp_desktop.domain.choices import Consent, ReferralSource
from sp_desktop.services.timeline import TimelineKind
from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.dialogs.correction import CorrectionDialog
from sp_desktop.ui.main_window import MainWindow

from .conftest import PASSPHRASE
from .helpers import WAIT_MS, click, press, settle, type_into, unlock, wait_for

LAPTOP = (1366, 768 - 40)  # the commonest adviser screen, less a taskbar
TITLE_BAR = 32


def signed_visit(qtbot: QtBot, window: MainWindow) -> tuple[str, str]:
    """A person with a visit signed through the services, and the person screen open."""
    made: list[tuple[str, str]] = []

    def create(ws: Workspace) -> tuple[str, str]:
        person = ws.people.create(given_name="Siobhán", family_name="Kelly",
                                  date_of_birth=date(1940, 5, 2)).id
        ws.people.record_referral(person, source=ReferralSource.PHARMACIST,
                                  received_on=date.today(), consent=Consent.GIVEN,
                                  consent_on=date.today())
        visit = ws.visits.start(person, date.today()).id
        ws.visits.save_notes(visit, what_matters="Her garden")
        ws.visits.finish(visit)
        return person, visit

    window.session.write(create, made.append)
    qtbot.waitUntil(lambda: bool(made), timeout=WAIT_MS)
    settle(window, qtbot)
    return made[0]


def open_signed(qtbot: QtBot, window: MainWindow, visit: str) -> CorrectionDialog:
    window.open_visit(visit)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    assert window.visit.summary is not None and window.visit.summary.signed
    click(qtbot, window.visit.correct_button)
    return wait_for(qtbot, window, CorrectionDialog)


def answer(qtbot: QtBot, dialog: CorrectionDialog, words: str) -> None:
    qtbot.waitUntil(lambda: dialog.confirm_box is not None and dialog.confirm_box.isVisible(),
                    timeout=WAIT_MS)
    box = dialog.confirm_box
    assert box is not None
    button = next(b for b in box.findChildren(QPushButton) if b.text() == words)
    click(qtbot, button)


def test_escape_with_words_typed_asks_first_and_nothing_is_added_unless_asked(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    _person, visit = signed_visit(qtbot, window)
    dialog = open_signed(qtbot, window, visit)
    type_into(qtbot, dialog.words, "Her sister")

    press(qtbot, dialog.words, Qt.Key.Key_Escape)
    answer(qtbot, dialog, "Keep writing")
    assert dialog.isVisible() and dialog.typed == "Her sister"

    press(qtbot, dialog.words, Qt.Key.Key_Escape)
    answer(qtbot, dialog, "Leave without adding it")
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    settle(window, qtbot)
    assert window.session.ws.visits.get(visit).addenda == ()

    empty = open_signed(qtbot, window, visit)
    press(qtbot, empty.words, Qt.Key.Key_Escape)  # nothing typed: it just closes
    assert not empty.isVisible() and empty.confirm_box is None


def test_enter_adds_it_shift_enter_starts_a_line_and_words_show_exactly_as_typed(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    _person, visit = signed_visit(qtbot, window)
    dialog = open_signed(qtbot, window, visit)
    press(qtbot, dialog.words, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.words_field.error.text() == "Please write the correction."

    type_into(qtbot, dialog.words, "<b>Not</b> the garden:")
    qtbot.keyClick(dialog.words, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    type_into(qtbot, dialog.words, "the allotment & the bees")
    assert dialog.typed == "<b>Not</b> the garden:\nthe allotment & the bees"
    press(qtbot, dialog.words, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    settle(window, qtbot)

    shown = window.visit.finish_view.toPlainText()
    assert "Correction by Jo Adams" in shown
    assert "<b>Not</b> the garden:\nthe allotment & the bees" in shown  # markup shown as typed
    (addendum,) = window.session.ws.visits.get(visit).addenda
    assert addendum.words == "<b>Not</b> the garden:\nthe allotment & the bees"


def test_a_correction_from_the_timeline_is_listed_under_the_visit(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person, _visit = signed_visit(qtbot, window)
    window.show_person(person)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    screen = window.person
    assert not screen.correct_button.isEnabled()
    row = next(r for r in range(screen.timeline.rowCount())
               if screen.timeline.entry(r).kind is TimelineKind.VISIT)
    screen.table.setFocus()
    screen.table.selectRow(row)
    assert screen.correct_button.isEnabled()

    click(qtbot, screen.correct_button)
    dialog = wait_for(qtbot, window, CorrectionDialog)
    type_into(qtbot, dialog.words, "She meant the allotment")
    press(qtbot, dialog.words, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)

    def listed() -> bool:
        entries = [screen.timeline.entry(r) for r in range(screen.timeline.rowCount())]
        return any(e.kind is TimelineKind.VISIT and "Correction by Jo Adams" in e.detail
                   and "She meant the allotment" in e.detail for e in entries)

    qtbot.waitUntil(listed, timeout=WAIT_MS)
    settle(window, qtbot)


def test_the_correction_dialog_fits_a_1366_by_768_laptop(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    _person, visit = signed_visit(qtbot, window)
    dialog = open_signed(qtbot, window, visit)
    qtbot.waitExposed(dialog)
    size = dialog.frameGeometry().size()
    assert size.width() <= LAPTOP[0] and size.height() + TITLE_BAR <= LAPTOP[1], size
    inside = dialog.rect()
    for button in dialog.findChildren(QPushButton):
        if button.isVisible():
            corner = button.mapTo(dialog, button.rect().bottomRight())
            assert inside.contains(corner), button.text()
            assert button.width() >= button.sizeHint().width(), button.text()
    dialog.done(0)
