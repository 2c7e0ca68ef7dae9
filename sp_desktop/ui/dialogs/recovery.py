"""Forgotten passphrase: the recovery key from set-up unlocks, then a new passphrase is chosen."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from sp_desktop.services.workspace import Workspace, WrongRecoveryKey

from sp_desktop.ui.errors import is_known, show_error
from sp_desktop.ui.fields import FieldWithError
from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.passphrase import NewPassphrase
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role


class RecoveryDialog(QDialog):
    """Signal: unlocked(Workspace). Nothing is lost: the data key is only rewrapped."""

    unlocked = Signal(object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Use your recovery key")
        self.key = QLineEdit()
        self.key.setAccessibleName("Recovery key")
        self.key.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.key_field = FieldWithError(self.key)
        self.choice = NewPassphrase()
        self.problem = label("", "error")
        self.problem.hide()
        self.go = QPushButton("Unlock and keep the new passphrase")
        set_role(self.go, "primary")
        self.go.setDefault(True)  # Enter in any box tries the key
        cancel = QPushButton("Cancel")
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Use your recovery key", 2))
        layout.addWidget(
            label(
                "Type the recovery key you printed or wrote down when SP Desktop was set up "
                "(your office may hold a copy), then choose a new passphrase. Nothing you "
                "recorded is lost."
            )
        )
        layout.addWidget(self.key_field)
        layout.addWidget(self.choice)
        layout.addWidget(self.problem)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(self.go)
        layout.addLayout(row)
        self.go.clicked.connect(self.try_recover)
        cancel.clicked.connect(self.reject)
        self.key.textEdited.connect(lambda _t: self.key_field.clear_error())
        self.setMinimumWidth(520)
        fit_to_screen(self)

    def try_recover(self) -> None:
        self.problem.hide()
        if not self.key.text().strip():
            self.key_field.show_error("Please type the recovery key.")
            return
        problem = self.choice.problem()
        if problem:
            self.problem.setText(problem)
            self.problem.show()
            return
        folder, key, new = self.session.data_dir, self.key.text(), self.choice.passphrase()
        params = self.session.argon2_params
        self.go.setEnabled(False)
        self.go.setText("Unlocking…")
        self.session.tasks.run(
            lambda: Workspace.recover(folder, key, new, params=params),
            self._opened,
            self._failed,
            write=True,
            name="recover",
        )

    def _opened(self, ws: Workspace) -> None:
        self.accept()
        self.unlocked.emit(ws)

    def _failed(self, error: BaseException) -> None:
        self.go.setEnabled(True)
        self.go.setText("Unlock and keep the new passphrase")
        if isinstance(error, WrongRecoveryKey):
            self.key_field.show_error(str(error))
        elif is_known(error):
            self.problem.setText(str(error))
            self.problem.show()
        else:
            show_error(self, error)
