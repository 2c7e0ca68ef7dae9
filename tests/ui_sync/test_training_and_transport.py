"""In the app: a training store says so on every screen, and the register form refuses an
address that would send the password unencrypted."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from sp_desktop.services.demo import TRAINING_BANNER, create_demo_store

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.sync.register import RegisterDialog

from .conftest import FAST, PASSPHRASE
from .drive import WAIT_MS, click, overview, type_into, unlock, wait_for


def test_a_training_store_says_so_on_every_screen(
    qtbot: QtBot, data_dir: Path, window: MainWindow
) -> None:
    create_demo_store(data_dir, PASSPHRASE, 3, params=FAST).close()
    assert window.training_banner.isHidden()
    unlock(qtbot, window)
    qtbot.waitUntil(window.training_banner.isVisible, timeout=WAIT_MS)
    assert window.training_banner.text() == TRAINING_BANNER
    assert "training copy" in window.windowTitle()
    for show in (window.show_directory, window.show_caseload):
        show()
        assert window.training_banner.isVisible(), window.stack.currentWidget()
    window.lock()
    qtbot.waitUntil(lambda: not window.session.is_unlocked, timeout=WAIT_MS)
    assert window.training_banner.isHidden() and window.windowTitle() == "SP Desktop"


def test_a_real_store_shows_no_training_banner(
    qtbot: QtBot, window: MainWindow, person_id: str
) -> None:
    unlock(qtbot, window)
    assert window.session.tasks.wait(5_000)  # the read that would show it has finished
    qtbot.wait(10)  # and its answer has been delivered
    assert window.training_banner.isHidden()
    assert window.windowTitle() == "SP Desktop"


def test_the_register_form_refuses_plain_http_to_another_machine(
    qtbot: QtBot, window: MainWindow, person_id: str
) -> None:
    unlock(qtbot, window)
    window.office_sync.register_action.trigger()
    dialog = wait_for(qtbot, window, RegisterDialog)
    type_into(qtbot, dialog.server, "http://192.0.2.10:8443")
    type_into(qtbot, dialog.password, "her long office password")
    click(qtbot, dialog.register_button)
    assert "https://" in dialog.problem.text() and dialog.problem.isVisible()
    assert dialog.busy.isHidden()  # nothing was sent
    assert dialog.password.text() == "her long office password"  # still hers to correct
    assert not overview(window).registered
    dialog.reject()
