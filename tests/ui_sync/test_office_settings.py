"""Office connection settings: sync by itself or not, how often to look, the office certificate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import certifi
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.server.testing import RunningServer
from sp_desktop.services.settings import OFFICE_CERTIFICATE, SYNC_AUTOMATIC, SYNC_CHECK_MINUTES

from sp_desktop.ui.dialogs.settings import SettingsDialog, open_settings
from sp_desktop.ui.main_window import MainWindow

from .conftest import Adviser
from .drive import WAIT_MS, click, overview, register, settle, type_into, unlock


def _settings(window: MainWindow) -> SettingsDialog:
    dialog = open_settings(window.session, window)
    assert dialog.isVisible()
    return dialog


def _set_certificate(qtbot: QtBot, dialog: SettingsDialog, text: str) -> None:
    edit = dialog.certificate_field
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    type_into(qtbot, edit, text)


def test_automatic_sync_off_is_honoured_and_on_again_syncs_at_the_next_check(
    qtbot: QtBot, window: MainWindow, server: RunningServer,
    make_adviser: Callable[..., Adviser], person_id: str,
) -> None:
    unlock(qtbot, window)
    register(qtbot, window, server.url, make_adviser())
    controller = window.office_sync.controller
    assert overview(window).status.waiting == 1  # Edith, not yet sent
    started: list[bool] = []
    controller.started.connect(started.append)

    dialog = _settings(window)
    assert not dialog.sync_automatic.isChecked()  # the test window turned it off
    dialog.sync_every.setValue(5)
    for control in (dialog.sync_automatic, dialog.sync_every, dialog.certificate_field,
                    dialog.choose_certificate):  # a spin box's inner edit is named by its box
        assert control.accessibleName(), type(control).__name__
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, control.accessibleName()
    click(qtbot, dialog.save_button)
    assert window.session.settings.get(SYNC_AUTOMATIC) is False
    assert window.session.settings.get(SYNC_CHECK_MINUTES) == 5
    assert controller.probe_timer.interval() == 5 * 60_000

    controller.reachable = None  # as on unlock: the office "just became reachable"
    controller.auto.was_reachable = None
    controller.check()
    qtbot.waitUntil(lambda: controller.reachable is True, timeout=WAIT_MS)
    settle(window, qtbot)
    qtbot.wait(200)
    assert started == [] and not controller.running
    assert overview(window).status.waiting == 1

    dialog = _settings(window)
    dialog.sync_automatic.setFocus()
    qtbot.keyClick(dialog.sync_automatic, Qt.Key.Key_Space)
    assert dialog.sync_automatic.isChecked()
    click(qtbot, dialog.save_button)
    assert controller.automatic
    controller.auto.was_reachable = None
    with qtbot.waitSignal(controller.finished, timeout=WAIT_MS) as finished:
        controller.check()
    assert started == [True] and finished.args[0].pushed == 1
    controller.automatic = False
    settle(window, qtbot)


def test_an_office_certificate_that_is_missing_or_not_pem_is_refused_beside_the_field(
    qtbot: QtBot, window: MainWindow, person_id: str, tmp_path: Path,
) -> None:
    unlock(qtbot, window)
    controller = window.office_sync.controller
    dialog = _settings(window)

    _set_certificate(qtbot, dialog, str(tmp_path / "office.pem"))  # not there
    click(qtbot, dialog.save_button)
    assert dialog.isVisible()
    assert dialog.certificate.error.isVisible()
    assert "no file at that place" in dialog.certificate.error.text()
    assert dialog.focusWidget() is dialog.certificate_field
    assert dialog.certificate_field.accessibleDescription() == dialog.certificate.error.text()
    assert window.session.settings.get(OFFICE_CERTIFICATE) == ""

    not_pem = tmp_path / "notes.pem"
    not_pem.write_text("this is not a certificate\n", encoding="utf-8")
    _set_certificate(qtbot, dialog, str(not_pem))
    assert not dialog.certificate.error.isVisible()  # typing clears the old message
    click(qtbot, dialog.save_button)
    assert "should be a PEM file" in dialog.certificate.error.text()
    assert window.session.settings.get(OFFICE_CERTIFICATE) == ""
    assert "verify" not in controller.options()

    bundle = certifi.where()  # a real PEM bundle, as an office's CA file would be
    _set_certificate(qtbot, dialog, bundle)
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert window.session.settings.get(OFFICE_CERTIFICATE) == bundle
    assert controller.options()["verify"] == bundle  # what the sync client is given
