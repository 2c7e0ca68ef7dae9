"""First run on a new laptop: the adviser's name, a passphrase, and the recovery key shown once.

The recovery key is shown to write down or printed on a one-page sheet; it is never offered as a
file, because a file on the laptop would sit beside the very data it opens.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.errors import is_known, show_error
from sp_desktop.ui.fit import fit_to_screen, text_size
from sp_desktop.ui.passphrase import NewPassphrase
from sp_desktop.ui.recovery_key import KeyToShow, RecoveryKeyPanel
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import label


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
    """The key shown once. Attributes: `panel`, with its `key` label and `kept` box aliased."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Your recovery key")
        self.setSubTitle("Please keep this safe. You will not see it again.")
        self.panel = RecoveryKeyPanel(wizard.session.tasks)
        self.key = self.panel.key
        self.kept = self.panel.kept
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        layout.addStretch(1)
        self.registerField("kept*", self.kept)

    def initializePage(self) -> None:
        ws = self._wizard.workspace
        self.panel.show_key(
            KeyToShow(
                self._wizard.recovery_key,
                str(self.field("adviser")).strip(),
                ws.store_id if ws is not None else "",
            )
        )


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
        fit_to_screen(self, text_size(self, 80, 30))

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
        # The passphrase is set: the boxes need not hold it any longer.
        self.passphrase.choice.first.clear()
        self.passphrase.choice.second.clear()
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
        self.recovery_key = ""  # kept by the adviser now; the app holds no copy
        self.recovery.panel.forget()
        super().accept()
        self.created.emit(self.workspace)

    def reject(self) -> None:
        if self.workspace is not None or self.creating:
            return  # the key has not been kept yet: closing now would lose it for ever
        super().reject()
