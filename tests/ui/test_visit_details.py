"""Corners of the visit screen: re-rating a concern, closing for now, corrections, locking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.domain.choices import Consent, ReferralSource, VisitStatus
from sp_desktop.services.visit_summary import visit_draft_key
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.dialogs.correction import CorrectionDialog
from sp_desktop.ui.dialogs.rate import RateDialog
from sp_desktop.ui.main_window import MainWindow

from .conftest import PASSPHRASE
from .helpers import WAIT_MS, click, go_to_section, press, settle, type_into, unlock, wait_for


def person_in_a_visit(qtbot: QtBot, window: MainWindow) -> str:
    done: list[Changes] = []

    def create(ws: Workspace) -> Changes:
        changes = ws.people.create(
            given_name="Siobhán", family_name="Kelly", date_of_birth=date(1940, 5, 2)
        )
        ws.people.record_referral(
            changes.id,
            source=ReferralSource.PHARMACIST,
            received_on=date.today(),
            consent=Consent.GIVEN,
            consent_on=date.today(),
        )
        return changes

    window.session.write(create, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    settle(window, qtbot)
    window.start_visit(done[0].id)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    return done[0].id


def test_a_concern_is_rated_again_and_its_history_kept(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = person_in_a_visit(qtbot, window)
    go_to_section(qtbot, window, "Home")
    home = window.visit.domain_pages[1]
    type_into(qtbot, home.concern_words, "The stairs")
    click(qtbot, home.add_button)
    assert "how much it worries them" in home.words_field.error.text()
    click(qtbot, home.severity.buttons[9])
    click(qtbot, home.add_button)
    qtbot.waitUntil(lambda: home.concerns.rowCount() == 1, timeout=WAIT_MS)
    click(qtbot, home.rate_button)
    dialog = wait_for(qtbot, window, RateDialog)
    click(qtbot, dialog.rating.buttons[4])
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: home.concerns.concern(0).severity == 4, timeout=WAIT_MS)
    ws = window.session.ws
    (concern,) = ws.visits.concerns_of(person_id)
    assert [r.value for r in ws.visits.concern_history(concern.id)] == [9, 4]


def test_close_for_now_saves_notes_and_reopening_carries_on(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = person_in_a_visit(qtbot, window)
    visit_id = window.visit.visit_id
    assert visit_id is not None
    go_to_section(qtbot, window, "Caring")
    caring = next(p for p in window.visit.domain_pages if p.domain.key == "caring")
    type_into(qtbot, caring.notes, "Looks after her brother two days a week.")
    type_into(qtbot, window.visit.steps.words, "Half-typed step")
    click(qtbot, window.visit.close_button)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.person, timeout=WAIT_MS)
    settle(window, qtbot)
    ws = window.session.ws
    (visit,) = ws.visits.of_person(person_id)
    assert visit.notes == {"caring": "Looks after her brother two days a week."}
    assert ws.drafts.load(visit_draft_key(visit_id)) is not None, "half-typed step kept"
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    assert window.person.visit_button.text() == "Carry on with the unfinished visit"
    click(qtbot, window.person.visit_button)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    assert window.visit.steps.words.text() == "Half-typed step"
    assert caring.notes.toPlainText() == "Looks after her brother two days a week."


def test_a_correction_is_added_under_the_signed_visit_which_stays(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = person_in_a_visit(qtbot, window)
    first = window.visit.visit_id
    go_to_section(qtbot, window, "What matters to them")
    type_into(qtbot, window.visit.what_matters, "Her garden")
    go_to_section(qtbot, window, "Finish and sign")
    click(qtbot, window.visit.sign_button)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.person, timeout=WAIT_MS)
    settle(window, qtbot)
    assert first is not None
    window.open_visit(first)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    assert window.visit.what_matters.isReadOnly()
    click(qtbot, window.visit.correct_button)
    dialog = wait_for(qtbot, window, CorrectionDialog)
    type_into(qtbot, dialog.words, "She meant the allotment, not the garden")
    press(qtbot, dialog.words, Qt.Key.Key_Return)  # Enter adds it
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    settle(window, qtbot)
    shown = window.visit.finish_view.toPlainText()
    assert "Corrections added since it was signed" in shown
    assert "Correction by Jo Adams" in shown and "She meant the allotment" in shown
    assert shown.index("Her garden") < shown.index("She meant the allotment")
    ws = window.session.ws
    (visit,) = ws.visits.of_person(person_id)  # no second visit: the correction is an addendum
    assert (visit.id, visit.status, visit.what_matters) == (first, VisitStatus.SIGNED,
                                                            "Her garden")
    (addendum,) = ws.visits.get(first).addenda
    assert (addendum.words, addendum.written_by) == (
        "She meant the allotment, not the garden", "Jo Adams")


def test_locking_mid_visit_leaves_a_draft_and_clears_the_screen(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_in_a_visit(qtbot, window)
    visit_id = window.visit.visit_id
    assert visit_id is not None
    go_to_section(qtbot, window, "Interests")
    interests = next(p for p in window.visit.domain_pages if p.domain.key == "interests")
    type_into(qtbot, interests.notes, "Crosswords")
    window.lock()
    assert interests.notes.toPlainText() == ""
    assert window.visit.title.text() == ""
    assert window.session.tasks.wait()
    ws = Workspace.open(window.session.data_dir, PASSPHRASE)
    try:
        draft = ws.drafts.load(visit_draft_key(visit_id))
    finally:
        ws.close()
    assert draft is not None and draft["notes"]["interests"] == "Crosswords"
    assert draft["focus"] == {"field": "notes:interests", "cursor": len("Crosswords")}


def test_ctrl_page_down_moves_through_the_visit(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    from PySide6.QtCore import Qt

    from .helpers import shortcut

    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_in_a_visit(qtbot, window)
    window.visit.what_matters.setFocus()
    start = window.visit.sections.currentRow()
    shortcut(qtbot, window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.visit.sections.currentRow() == start + 1
    shortcut(qtbot, window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.visit.sections.currentRow() == start
