"""Unlocking: the passphrase, calm feedback when it is wrong, and the way to the recovery key."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.errors import is_known, show_error
from sp_desktop.ui.fields import FieldWithError
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role


class UnlockDialog(QDialog):
    """Signal: unlocked(Workspace). Unlocking (Argon2id) runs in the background."""

    unlocked = Signal(object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Unlock SP Desktop")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.field = FieldWithError(self.passphrase)
        self.show_typing = QCheckBox("Show what I type")
        self.unlock_button = QPushButton("Unlock")
        set_role(self.unlock_button, "primary")
        self.unlock_button.setDefault(True)
        self.forgot = QPushButton("Forgotten your passphrase? Use your recovery key")
        set_role(self.forgot, "link")
        layout = QVBoxLayout(self)
        layout.addWidget(heading("SP Desktop is locked", 2))
        layout.addWidget(label("Type your passphrase to carry on."))
        layout.addWidget(self.field)
        layout.addWidget(self.show_typing)
        row = QHBoxLayout()
        row.addWidget(self.forgot)
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        layout.addLayout(row)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.passphrase.returnPressed.connect(self.try_unlock)
        self.passphrase.textEdited.connect(lambda _t: self.field.clear_error())
        self.show_typing.toggled.connect(
            lambda shown: self.passphrase.setEchoMode(
                QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
            )
        )
        self.forgot.clicked.connect(self._recover)
        self.setMinimumWidth(460)

    def try_unlock(self) -> None:
        typed = self.passphrase.text()
        if not typed:
            self.field.show_error("Please type your passphrase.")
            return
        if not self.unlock_button.isEnabled():
            return
        self._busy(True)
        folder = self.session.data_dir
        self.session.tasks.run(
            lambda: Workspace.open(folder, typed), self._opened, self._failed, name="unlock"
        )

    def _busy(self, busy: bool) -> None:
        self.unlock_button.setEnabled(not busy)
        self.unlock_button.setText("Unlocking…" if busy else "Unlock")
        self.passphrase.setEnabled(not busy)
        self.forgot.setEnabled(not busy)

    def _opened(self, ws: Workspace) -> None:
        self._busy(False)
        self.passphrase.clear()
        self.accept()
        self.unlocked.emit(ws)

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        if is_known(error):
            self.field.show_error(str(error))
            self.passphrase.selectAll()
            self.passphrase.setFocus()
        else:
            show_error(self, error)

    def _recover(self) -> None:
        from sp_desktop.ui.dialogs.recovery import RecoveryDialog

        dialog = RecoveryDialog(self.session, self)
        dialog.unlocked.connect(self._opened)
        dialog.open()
