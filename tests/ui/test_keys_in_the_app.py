"""Keys in the app: one passphrase rule, the recovery key printed (never saved), a new key from
Settings with the new recovery key shown once."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QPushButton, QWizard

from sp_desktop.domain.passphrase import TOO_WEAK
from sp_desktop.store.database import Store
from sp_desktop.store.errors import WrongRecoveryKey
from sp_desktop.store.keyfile import Argon2Params
from tests.ui.conftest import PASSPHRASE
from tests.ui.helpers import WAIT_MS, click, settle, type_into, unlock, wait_for

from sp_desktop.ui.dialogs.rekey import RekeyDialog
from sp_desktop.ui.dialogs.settings import SettingsDialog
from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.passphrase import NewPassphrase
from sp_desktop.ui.recovery_key import RecoveryKeyPanel

KEY_SHAPE = re.compile(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}")
FAST = Argon2Params(memory_kib=8192, iterations=1, lanes=1)


@pytest.fixture
def printer_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system print dialog replaced by a printer writing PDF outside the data folder."""
    target = tmp_path / "printer" / "out.pdf"
    target.parent.mkdir()

    def printer(_self: RecoveryKeyPanel) -> QPrinter:
        made = QPrinter(QPrinter.PrinterMode.HighResolution)
        made.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        made.setOutputFileName(str(target))
        made.setFullPage(True)
        made.setResolution(72)  # keeps the test quick
        return made

    monkeypatch.setattr(RecoveryKeyPanel, "ask_printer", printer)
    return target


def _files_holding(folder: Path, text: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_the_passphrase_boxes_follow_the_one_rule(qtbot: QtBot) -> None:
    choice = NewPassphrase()
    qtbot.addWidget(choice)
    type_into(qtbot, choice.first, "a")
    type_into(qtbot, choice.second, "a")
    assert choice.problem() == TOO_WEAK
    choice.first.clear()
    choice.second.clear()
    cafe = "Café au lait, kettle, violet"
    choice.first.setText(unicodedata.normalize("NFC", cafe))
    choice.second.setText(unicodedata.normalize("NFD", cafe))
    assert choice.problem() == "", "the same passphrase, whichever way the é was typed"
    assert choice.match.text() == "Both match."


def test_first_run_prints_the_recovery_key_and_never_offers_a_file(
    qtbot: QtBot, window: MainWindow, data_dir: Path, printer_output: Path
) -> None:
    window.start()
    qtbot.waitUntil(lambda: window.first_run is not None and window.first_run.isVisible())
    wizard = window.first_run
    assert wizard is not None
    type_into(qtbot, wizard.about.name, "Jo Adams")
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    type_into(qtbot, wizard.passphrase.choice.first, PASSPHRASE)
    type_into(qtbot, wizard.passphrase.choice.second, PASSPHRASE)
    click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.recovery, timeout=WAIT_MS)
    key = wizard.recovery.key.text()
    assert KEY_SHAPE.fullmatch(key)
    buttons = [b.text() for b in wizard.recovery.findChildren(QPushButton) if b.isVisible()]
    assert not [b for b in buttons if "save" in b.lower() or "file" in b.lower()], buttons

    panel = wizard.recovery.panel
    with qtbot.waitSignal(panel.printed, timeout=WAIT_MS) as printed:
        click(qtbot, panel.print_button)
    assert printed.args == [1], "one page"
    assert len(pypdf.PdfReader(io.BytesIO(printer_output.read_bytes())).pages) == 1
    assert "Sent to the printer" in panel.status.text()

    click(qtbot, wizard.recovery.kept)
    click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: window.session.is_unlocked, timeout=WAIT_MS)
    settle(window, qtbot)
    assert wizard.recovery_key == "" and wizard.recovery.key.text() == ""
    assert _files_holding(data_dir, key) == [], "the key is nowhere in the data folder"


def test_settings_make_a_new_key_and_show_the_new_recovery_key_once(
    qtbot: QtBot, window: MainWindow, data_dir: Path, make_store: Callable[..., Path],
    printer_output: Path,
) -> None:
    make_store(people=3)
    old_recovery = _old_recovery_key(data_dir)
    unlock(qtbot, window, PASSPHRASE)
    window.open_settings()
    settings = wait_for(qtbot, window, SettingsDialog)
    click(qtbot, settings.rekey_button)
    dialog = wait_for(qtbot, settings, RekeyDialog)

    type_into(qtbot, dialog.passphrase, "not my passphrase")
    click(qtbot, dialog.go)
    qtbot.waitUntil(dialog.field.error.isVisible, timeout=WAIT_MS)
    assert "did not unlock" in dialog.field.error.text()

    dialog.passphrase.clear()
    type_into(qtbot, dialog.passphrase, PASSPHRASE)
    click(qtbot, dialog.go)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=WAIT_MS)
    new_recovery = dialog.panel.key.text()
    assert KEY_SHAPE.fullmatch(new_recovery) and new_recovery != old_recovery
    assert not dialog.done_button.isEnabled(), "the new key must be kept before closing"
    dialog.reject()
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.panel.printed, timeout=WAIT_MS):
        click(qtbot, dialog.panel.print_button)
    click(qtbot, dialog.panel.kept)
    click(qtbot, dialog.done_button)
    assert not dialog.isVisible() and dialog.panel.key.text() == ""

    # The adviser carries on with the store under its new key.
    assert len(window.session.ws.caseload.rows()) == 3
    settings.reject()
    window.session.lock()
    assert window.session.tasks.wait()
    with pytest.raises(WrongRecoveryKey):
        Store.recover(data_dir, old_recovery, "orchid lantern pebble mosaic", params=FAST)
    Store.recover(data_dir, new_recovery, "orchid lantern pebble mosaic", params=FAST).close()
    assert _files_holding(data_dir, new_recovery) == []


def _old_recovery_key(data_dir: Path) -> str:
    """make_store drops the recovery key: a rekey before the app opens gives one we know."""
    store = Store.open(data_dir, PASSPHRASE)
    try:
        key = store.rekey(PASSPHRASE, params=FAST)
    finally:
        store.close()
    return key
