"""First run on a new laptop: the adviser's name, a passphrase, and the recovery key shown once."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.errors import is_known, show_error
from sp_desktop.ui.passphrase import NewPassphrase
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import label, set_role

KEEP_IT_SAFE = (
    "This key is the only way back in if you ever forget your passphrase. It will not be shown "
    "again. Print it or write it down now, and give it to your office (or keep it somewhere "
    "locked) — never in the laptop bag or stuck to the laptop. Anyone with the key and the "
    "laptop could open it."
)


class AboutYouPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Welcome to SP Desktop")
        self.setSubTitle("Let's set up this laptop for your visits. It takes about a minute.")
        self.name = QLineEdit()
        self.name.setAccessibleName("Your name")
        self.name.setPlaceholderText("for example Jo Adams")
        self.team = QLineEdit()
        self.team.setAccessibleName("Your team (optional)")
        layout = QVBoxLayout(self)
        layout.addWidget(
            label(
                "Everything you record is kept encrypted on this laptop, so you can work in "
                "people's homes without a signal. It goes to the office when you are back online."
            )
        )
        form = QFormLayout()
        form.addRow("Your name", self.name)
        form.addRow("Your team (optional)", self.team)
        layout.addLayout(form)
        self.registerField("adviser*", self.name)
        self.registerField("team", self.team)


class PassphrasePage(QWizardPage):
    """Choosing the passphrase; leaving this page creates the store (in the background)."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Choose a passphrase")
        self.setSubTitle("You will type it each time you open SP Desktop.")
        self.choice = NewPassphrase(
            lambda: [str(self.field("adviser")), str(self.field("team")), "sp desktop"]
        )
        self.status = label("", "notice")
        self.status.hide()
        self.error = label("", "error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(
            label(
                "A passphrase is a password made of a few words. Choose words that mean nothing "
                "together and that nobody could guess — not names of family or pets."
            )
        )
        layout.addWidget(self.choice)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.choice.changed.connect(self.completeChanged)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Create my secure store")

    def isComplete(self) -> bool:
        return self.choice.problem() == "" and not self._wizard.creating

    def validatePage(self) -> bool:
        if self._wizard.workspace is not None:
            return True
        self._wizard.create_store(self.choice.passphrase())
        return False

    def show_busy(self, busy: bool) -> None:
        self.status.setText("Setting up your secure store…")
        self.status.setVisible(busy)
        self.choice.setEnabled(not busy)
        self.completeChanged.emit()


class RecoveryKeyPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Your recovery key")
        self.setSubTitle("Please keep this safe. You will not see it again.")
        self.key = QLabel("")
        set_role(self.key, "key")
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font = QFont(fixed)
        font.setPointSizeF(max(self.font().pointSizeF(), 9.0) * 1.4)
        font.setBold(True)
        self.key.setFont(font)
        self.key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key.setAccessibleName("Recovery key")
        self.key.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.print_button = QPushButton("Print the key…")
        self.save_button = QPushButton("Save it as a text file…")
        self.kept = QCheckBox("I have printed or written down the key, and I will keep it safe")
        self.kept.setAccessibleName("I have kept the recovery key safe")
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(label(KEEP_IT_SAFE))
        layout.addWidget(self.key)
        layout.addLayout(buttons)
        layout.addWidget(self.kept)
        layout.addStretch(1)
        self.registerField("kept*", self.kept)
        self.print_button.clicked.connect(self._print)
        self.save_button.clicked.connect(self._save)

    def initializePage(self) -> None:
        self.key.setText(self._wizard.recovery_key)

    def key_text(self) -> str:
        return (
            "SP Desktop recovery key\n\n"
            f"Adviser: {self.field('adviser')}\n"
            f"Key: {self._wizard.recovery_key}\n\n"
            f"{KEEP_IT_SAFE}\n"
        )

    def _print(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return
        document = QTextDocument()
        document.setPlainText(self.key_text())
        document.print_(printer)

    def _save(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Save the recovery key", "sp-desktop-recovery-key.txt", "Text files (*.txt)"
        )
        if path:
            Path(path).write_text(self.key_text(), encoding="utf-8")


class FirstRunWizard(QWizard):
    """Creates the store. Signal: created(Workspace) once the adviser has kept the key."""

    created = Signal(object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.workspace: Workspace | None = None
        self.recovery_key = ""
        self.creating = False
        self.setWindowTitle("Set up SP Desktop")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.about = AboutYouPage()
        self.passphrase = PassphrasePage(self)
        self.recovery = RecoveryKeyPage(self)
        for page in (self.about, self.passphrase, self.recovery):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Start using SP Desktop")
        self.resize(640, 560)

    def create_store(self, passphrase: str) -> None:
        """Argon2id and the first write happen off the UI thread."""
        self.creating = True
        self.passphrase.error.hide()
        self.passphrase.show_busy(True)
        folder = self.session.data_dir
        adviser = str(self.field("adviser")).strip()
        team = str(self.field("team")).strip()
        params = self.session.argon2_params
        self.session.tasks.run(
            lambda: Workspace.create(folder, passphrase, adviser=adviser, team=team, params=params),
            self._created,
            self._failed,
            write=True,
            name="create store",
        )

    def _created(self, result: tuple[Workspace, str]) -> None:
        self.workspace, self.recovery_key = result
        self.creating = False
        self.passphrase.show_busy(False)
        # From here on there is no going back: the key must be kept before anything else.
        self.setOption(QWizard.WizardOption.NoCancelButton, True)
        self.next()

    def _failed(self, error: BaseException) -> None:
        self.creating = False
        self.passphrase.show_busy(False)
        if is_known(error):
            self.passphrase.error.setText(str(error))
            self.passphrase.error.show()
        else:
            show_error(self, error)

    def accept(self) -> None:
        if self.workspace is None:
            return
        super().accept()
        self.created.emit(self.workspace)

    def reject(self) -> None:
        if self.workspace is not None or self.creating:
            return  # the key has not been kept yet: closing now would lose it for ever
        super().reject()
