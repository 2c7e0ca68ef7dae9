"""Unlocking: the passphrase, calm feedback when it is wrong, and the way to the recovery key.

Also where a damaged store meets its newest good backup (offered with what would be lost), and
where a laptop whose offline lease has run out syncs before it opens. All of it runs in the
background; the dialog only asks and tells.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.services.settings import OFFICE_CERTIFICATE

from sp_desktop.ui.errors import is_known, show_error
from sp_desktop.ui.fields import FieldWithError
from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

if TYPE_CHECKING:  # the store's libraries load while the adviser types, not before this window
    from sp_desktop.services.workspace import Backup, DamagedStore, Workspace


def _unlock(folder: Path, passphrase: str) -> tuple[Workspace, str | None]:
    """Background: the workspace and any lease warning (read off the UI thread)."""
    from sp_desktop.services.workspace import Workspace

    # The every-page check runs after unlock, in the background (Session.begin).
    ws = Workspace.open(folder, passphrase, check_pages_later=True)
    return ws, ws.lease_warning()


class UnlockDialog(QDialog):
    """Signal: unlocked(Workspace). Unlocking (Argon2id) runs in the background.

    Attributes: `sync_button` (shown when the offline lease has run out), `restore_box` (the
    offer of a backup, while it is open) and `lease_box` (the warning before the lease ends).
    """

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
        self.sync_button = QPushButton("Sync now and unlock")
        self.sync_button.setVisible(False)
        self.restore_box: QMessageBox | None = None
        self.lease_box: QMessageBox | None = None
        self.notice = label("", "notice")  # why the store was locked, when not by the adviser
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(heading("SP Desktop is locked", 2))
        layout.addWidget(self.notice)
        layout.addWidget(label("Type your passphrase to carry on."))
        layout.addWidget(self.field)
        layout.addWidget(self.show_typing)
        row = QHBoxLayout()
        row.addWidget(self.forgot)
        row.addStretch(1)
        row.addWidget(self.sync_button)
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
        self.sync_button.clicked.connect(self._sync_and_unlock)
        self.setMinimumWidth(460)
        fit_to_screen(self)

    def show_notice(self, text: str) -> None:
        """Why the store was locked (damage found after unlock), until the next unlock."""
        self.notice.setText(text)
        self.notice.setAccessibleName(text)
        self.notice.show()

    def try_unlock(self) -> None:
        typed = self.passphrase.text()
        if not typed:
            self.field.show_error("Please type your passphrase.")
            return
        if not self.unlock_button.isEnabled():
            return
        self._busy(True)
        self.sync_button.setVisible(False)
        folder = self.session.data_dir
        self.session.tasks.run(
            lambda: _unlock(folder, typed), self._unlocked, self._failed, name="unlock"
        )

    def _busy(self, busy: bool, doing: str = "Unlocking…") -> None:
        self.unlock_button.setEnabled(not busy)
        self.unlock_button.setText(doing if busy else "Unlock")
        self.passphrase.setEnabled(not busy)
        self.forgot.setEnabled(not busy)
        self.sync_button.setEnabled(not busy)

    def _unlocked(self, result: tuple[Workspace, str | None]) -> None:
        ws, warning = result
        self._opened(ws)
        if warning:
            # Parented to the window behind: this dialog has closed by now.
            box = QMessageBox(self.parentWidget())
            box.setIcon(QMessageBox.Icon.Information)
            box.setWindowTitle("Please sync soon")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setText(warning)
            box.setAccessibleName("Please sync soon")
            box.open()
            self.lease_box = box

    def _opened(self, ws: Workspace) -> None:
        self._busy(False)
        self.notice.hide()
        self.passphrase.clear()
        self.accept()
        self.unlocked.emit(ws)

    def _failed(self, error: BaseException) -> None:
        from sp_desktop.services.workspace import Backup, DamagedStore, LeaseExpired

        self._busy(False)
        if isinstance(error, DamagedStore) and isinstance(error.backup, Backup):
            self._offer_backup(error, error.backup)
            return
        if isinstance(error, LeaseExpired):
            self.sync_button.setVisible(True)
            self.field.show_error(str(error))
            self.sync_button.setFocus()
            return
        if is_known(error):
            self.field.show_error(str(error))
            self.passphrase.selectAll()
            self.passphrase.setFocus()
        else:
            show_error(self, error)

    # --- a damaged store ---------------------------------------------------------------------

    def _offer_backup(self, error: DamagedStore, backup: Backup) -> None:
        """Says what was found and what restoring would lose; restores only if asked."""
        from sp_desktop.services.workspace import restore_warning

        found = "\n".join(f"• {finding}" for finding in error.findings[:6])
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("The store is damaged")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            "This laptop's store is damaged, so it was not opened. It has been left exactly as "
            "it was."
        )
        box.setInformativeText((found + "\n\n" if found else "") + restore_warning(backup))
        restore = box.addButton("Restore the backup", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.setAccessibleName("The store is damaged")
        box.buttonClicked.connect(
            lambda clicked: self._restore(backup) if clicked is restore else None
        )
        box.open()
        self.restore_box = box

    def _restore(self, backup: Backup) -> None:
        from sp_desktop.services.workspace import Workspace

        typed = self.passphrase.text()
        folder = self.session.data_dir
        self._busy(True, "Restoring…")
        self.session.tasks.run(
            lambda: Workspace.restore_backup(folder, typed, backup),
            self._opened,
            self._failed,
            write=True,
            name="restore backup",
        )

    # --- the offline lease ---------------------------------------------------------------------

    def _sync_and_unlock(self) -> None:
        """The office's policy: records stay closed until the laptop syncs, so sync first."""
        typed = self.passphrase.text()
        if not typed:
            self.field.show_error("Please type your passphrase.")
            return
        folder = self.session.data_dir
        # A few tries, not the background sync's patience: the adviser is waiting at the door.
        options: dict[str, Any] = {"max_attempts": 3, "timeout": 30.0}
        certificate = self.session.settings.get(OFFICE_CERTIFICATE).strip()
        if certificate:
            options["verify"] = str(Path(certificate).expanduser())
        self._busy(True, "Syncing…")
        from sp_desktop.services.workspace import Workspace

        self.session.tasks.run(
            lambda: Workspace.open_and_sync(folder, typed, **options),
            self._opened,
            self._failed,
            name="sync and unlock",
        )

    def _recover(self) -> None:
        from sp_desktop.ui.dialogs.recovery import RecoveryDialog

        dialog = RecoveryDialog(self.session, self)
        dialog.unlocked.connect(self._opened)
        dialog.open()
