"""The link worker's work contact: Settings fields checked beside each field, one settings file
shared with the printouts, and the print preview sending the adviser to Settings when needed."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from sp_desktop.services import documents
from sp_desktop.services.settings import (
    CASELOAD_SORT_COLUMN,
    IDLE_MINUTES,
    LINK_WORKER_EMAIL,
    LINK_WORKER_ORGANISATION,
    LINK_WORKER_PHONE,
    Settings,
)

from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog
from sp_desktop.ui.dialogs.settings import SettingsDialog
from sp_desktop.ui.main_window import MainWindow

from .conftest import WAIT_MS, People
from .helpers import click, keyboard_reachable, open_person, settle, unlock, wait_for


def _retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_missing_phone_number_leads_to_settings_and_the_printout_follows(
    qtbot: QtBot, window: MainWindow, people: People, data_dir: Path
) -> None:
    Settings.in_folder(data_dir).set(CASELOAD_SORT_COLUMN, 2)  # must survive saving Settings
    unlock(qtbot, window)
    open_person(qtbot, window, people["Zoë"])
    click(qtbot, window.person.print_button)
    preview = wait_for(qtbot, window, PrintPreviewDialog)

    # The adviser is told what is missing, and offered the way to fix it.
    qtbot.waitUntil(lambda: preview.settings_button.isVisible(), timeout=WAIT_MS)
    assert "Please add your work phone number in Settings" in preview.status.text()
    assert "work phone number" in preview.page_view.text()
    assert not preview.print_button.isEnabled() and not preview.save_button.isEnabled()
    assert preview.settings_button.text() == "Add your work phone number…"
    assert keyboard_reachable(preview.settings_button)
    assert QApplication.focusWidget() is preview.settings_button or not preview.isActiveWindow()
    qtbot.keyClick(preview.settings_button, Qt.Key.Key_Space)
    dialog = wait_for(qtbot, preview, SettingsDialog)
    phone = dialog.field(LINK_WORKER_PHONE)
    email = dialog.field(LINK_WORKER_EMAIL)
    organisation = dialog.field(LINK_WORKER_ORGANISATION)
    for field in (phone, email, organisation, dialog.idle):
        assert keyboard_reachable(field)
    assert phone.accessibleName() == "Your work phone number"
    assert dialog.focusWidget() is phone  # straight to what is missing

    # Mistakes are explained beside their fields, and nothing is saved.
    _retype(qtbot, phone, "0115 496")
    _retype(qtbot, email, "link.workers at example.org")
    click(qtbot, dialog.save_button)
    phone_error = dialog.contact[LINK_WORKER_PHONE.key].error
    email_error = dialog.contact[LINK_WORKER_EMAIL.key].error
    assert phone_error.isVisible() and "too short" in phone_error.text()
    assert email_error.isVisible() and "email address" in email_error.text()
    assert phone.accessibleDescription() == phone_error.text()  # a screen reader says it too
    assert not dialog.contact[LINK_WORKER_ORGANISATION.key].error.isVisible()
    assert dialog.isVisible() and dialog.focusWidget() is phone
    assert documents.read_contact(data_dir) == documents.ContactDetails()

    # Typing again clears the message; good details are saved and the printout is made.
    _retype(qtbot, phone, "0115 496 0000")
    assert not phone_error.isVisible()
    _retype(qtbot, email, "link.workers@example.org")
    _retype(qtbot, organisation, "Northfield Link")
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: preview.document is not None, timeout=WAIT_MS)
    settle(window, qtbot)
    assert not preview.settings_button.isVisible()
    assert preview.print_button.isEnabled() and "Page 1 of" in preview.page_label.text()

    # What the service reads is what was typed, in the one settings file; nothing else lost.
    assert documents.read_contact(data_dir) == documents.ContactDetails(
        "0115 496 0000", "link.workers@example.org", "Northfield Link"
    )
    assert Settings.in_folder(data_dir).get(CASELOAD_SORT_COLUMN) == 2
    assert preview.document is not None
    pages = pypdf.PdfReader(io.BytesIO(preview.document.pdf)).pages
    text = "".join(page.extract_text() for page in pages)
    assert "0115 496 0000" in text and "Northfield Link" in text


def test_settings_from_the_main_window_show_the_saved_details_and_set_the_lock_time(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    saved = Settings.in_folder(data_dir)
    saved.set(LINK_WORKER_PHONE, "0113 496 0777")
    saved.set(LINK_WORKER_ORGANISATION, "Northfield Link")
    unlock(qtbot, window)
    window.settings_action.trigger()
    dialog = wait_for(qtbot, window, SettingsDialog)
    assert dialog.field(LINK_WORKER_PHONE).text() == "0113 496 0777"
    assert dialog.field(LINK_WORKER_EMAIL).text() == ""
    assert dialog.field(LINK_WORKER_ORGANISATION).text() == "Northfield Link"
    assert "work" in dialog.field(LINK_WORKER_PHONE).toolTip().lower()
    dialog.idle.setFocus()
    dialog.idle.selectAll()
    qtbot.keyClicks(dialog.idle, "5")
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert Settings.in_folder(data_dir).get(IDLE_MINUTES) == 5
    assert window.idle is not None and window.idle._timer.interval() == 5 * 60_000
    assert documents.read_contact(data_dir).phone == "0113 496 0777"  # kept, not dropped
