"""A new key for the store (from Settings): everything encrypted again, a new recovery key shown.

For when a recovery key may have been seen by someone it should not have been, or a laptop
changes hands within the team. The passphrase stays; it is asked for to prove the adviser is
here. The work runs on the writer thread, so no save can happen half-way through it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.errors import ValidationError
from sp_desktop.services.workspace import Workspace, WrongPassphrase

from sp_desktop.ui.errors import is_known, show_error
from sp_desktop.ui.fields import FieldWithError
from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.recovery_key import KeyToShow, RecoveryKeyPanel
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

WHAT_HAPPENS = (
    "SP Desktop will encrypt everything on this laptop again with a new key and give you a new "
    "recovery key. The old recovery key will stop working: ask your office to shred it once "
    "they have the new one. The backups on this laptop are made again with the new key. "
    "It takes a moment; please keep the laptop switched on."
)


class RekeyDialog(QDialog):
    """Asks for the passphrase, makes the new key, then shows the new recovery key once.

    Attributes: `passphrase` (its field with error line: `field`), `go`, `problem`, `pages`
    (asking, then the key), `panel` (the new key), `done_button`. Signal: rekeyed().
    """

    rekeyed = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.working = False
        self.setWindowTitle("A new key for this laptop")
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)

        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Your passphrase")
        self.field = FieldWithError(self.passphrase)
        self.problem = label("", "error")
        self.problem.hide()
        self.go = QPushButton("Make the new key")
        set_role(self.go, "primary")
        self.go.setDefault(True)
        cancel = QPushButton("Cancel")
        asking = QWidget()
        ask = QVBoxLayout(asking)
        ask.setContentsMargins(0, 0, 0, 0)
        ask.addWidget(label(WHAT_HAPPENS))
        ask.addWidget(label("Type your passphrase to go ahead."))
        ask.addWidget(self.field)
        ask.addWidget(self.problem)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(self.go)
        ask.addLayout(row)

        self.panel = RecoveryKeyPanel(session.tasks)
        self.done_button = QPushButton("Done")
        set_role(self.done_button, "primary")
        self.done_button.setEnabled(False)
        showing = QWidget()
        show = QVBoxLayout(showing)
        show.setContentsMargins(0, 0, 0, 0)
        show.addWidget(label("Done: everything is encrypted with the new key.", "notice"))
        show.addWidget(self.panel)
        end = QHBoxLayout()
        end.addStretch(1)
        end.addWidget(self.done_button)
        show.addLayout(end)

        self.pages = QStackedWidget()
        self.pages.addWidget(asking)
        self.pages.addWidget(showing)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("A new key for this laptop", 2))
        layout.addWidget(self.pages)

        self.go.clicked.connect(self.make_new_key)
        cancel.clicked.connect(self.reject)
        self.passphrase.textEdited.connect(lambda _t: self.field.clear_error())
        self.panel.kept_changed.connect(self.done_button.setEnabled)
        self.done_button.clicked.connect(self.accept)
        fit_to_screen(self)

    def make_new_key(self) -> None:
        if self.working:
            return
        passphrase = self.passphrase.text()
        if not passphrase:
            self.field.show_error("Please type your passphrase.")
            return
        self.problem.hide()
        self.working = True
        self.go.setEnabled(False)
        self.go.setText("Encrypting again…")
        params = self.session.argon2_params

        def rekey(ws: Workspace) -> KeyToShow:
            key = ws.rekey(passphrase, params=params)
            return KeyToShow(key, ws.adviser, ws.store_id)

        self.session.write(rekey, self._made, self._failed)

    def _made(self, shown: KeyToShow) -> None:
        self.working = False
        self.passphrase.clear()
        self.panel.show_key(shown)
        self.pages.setCurrentIndex(1)
        self.rekeyed.emit()

    def _failed(self, error: BaseException) -> None:
        self.working = False
        self.go.setEnabled(True)
        self.go.setText("Make the new key")
        if isinstance(error, WrongPassphrase):
            self.field.show_error(str(error))
        elif isinstance(error, ValidationError):
            self.problem.setText(
                f"{error} Please change your passphrase first, then make the new key."
            )
            self.problem.show()
        elif is_known(error):
            self.problem.setText(str(error))
            self.problem.show()
        else:
            show_error(self, error)

    def accept(self) -> None:
        self.panel.forget()
        super().accept()

    def reject(self) -> None:
        if self.working or self.pages.currentIndex() == 1:
            return  # mid-way, or the new key not yet kept: closing now would lose it for ever
        super().reject()
