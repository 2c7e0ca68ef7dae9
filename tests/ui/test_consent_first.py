"""Consent first, as the adviser meets it: starting a visit for someone not yet asked opens the
consent form; agreeing (Enter) starts the visit; declining starts nothing. The page shows it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from PySide6.QtCore import Qt

from sp_desktop.domain.choices import ConsentDecision, ReferralSource
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import visits

from sp_desktop.ui.dialogs.consent import ConsentDialog
from sp_desktop.ui.dialogs.erasure_request import ErasureRequestDialog
from sp_desktop.ui.main_window import MainWindow

from .conftest import FAST_KDF, PASSPHRASE
from .helpers import WAIT_MS, click, press, settle, unlock, wait_for


def _unasked(data_dir: Path) -> str:
    ws, _key = Workspace.create(data_dir, PASSPHRASE, adviser="Jo Adams", team="North",
                                params=FAST_KDF)
    try:
        person = ws.people.create(given_name="Bea", family_name="Unasked",
                                  date_of_birth=date(1944, 8, 1)).id
        ws.people.record_referral(person, source=ReferralSource.GP, received_on=date.today())
    finally:
        ws.close()
    return person


def _visits(window: MainWindow) -> int:
    with window.session.ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(visits)).scalar_one())


def _open(qtbot: QtBot, window: MainWindow, person: str) -> None:
    unlock(qtbot, window, PASSPHRASE)
    window.show_person(person)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    settle(window, qtbot)


def test_starting_a_visit_asks_for_consent_first_and_enter_agrees(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    person = _unasked(data_dir)
    _open(qtbot, window, person)
    assert "not asked yet" in window.person.consent.text()
    click(qtbot, window.person.visit_button)
    dialog = wait_for(qtbot, window, ConsentDialog)
    assert _visits(window) == 0, "nothing is written before they answer"
    press(qtbot, dialog.notes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.visit, timeout=WAIT_MS)
    settle(window, qtbot)
    record = window.session.ws.consent.current(person)
    assert record is not None and record.allows_recording and record.recorded_by == "Jo Adams"
    window.show_person(person)
    qtbot.waitUntil(lambda: "Agreed in person" in window.person.consent.text(), timeout=WAIT_MS)


def test_declining_starts_no_visit_and_the_page_says_so(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    person = _unasked(data_dir)
    _open(qtbot, window, person)
    click(qtbot, window.person.visit_button)
    dialog = wait_for(qtbot, window, ConsentDialog)
    click(qtbot, dialog.declined)
    assert not dialog.recording.isChecked() and not dialog.recording.isEnabled()
    click(qtbot, dialog.main_button)
    qtbot.waitUntil(lambda: "Declined consent" in window.person.consent.text(), timeout=WAIT_MS)
    settle(window, qtbot)
    assert window.stack.currentWidget() is window.person
    assert dialog.decision is ConsentDecision.DECLINED
    assert _visits(window) == 0


def test_asking_the_office_to_erase_needs_a_reason_and_removes_nothing(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    person = _unasked(data_dir)
    _open(qtbot, window, person)
    click(qtbot, window.person.erase_button)
    dialog = wait_for(qtbot, window, ErasureRequestDialog)
    click(qtbot, dialog.main_button)
    assert "say why" in dialog.errors.fields["reason"].error.text()
    qtbot.keyClicks(dialog.reason, "Moved abroad and asked us to delete everything")
    click(qtbot, dialog.main_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    settle(window, qtbot)
    ws = window.session.ws
    assert ws.people.erasure_requested(person)
    assert ws.people.get(person).family_name == "Unasked", "nothing removed by asking"
