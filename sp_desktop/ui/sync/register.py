"""Registering this laptop with the office server: address, the adviser's name and password."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.errors import SpDesktopError, ValidationError
from sp_desktop.services.sync_status import server_address
from sp_desktop.sync.client import Registration

from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.style import heading, label, plain, set_role
from sp_desktop.ui.sync.controller import SyncController

NEVER_KEPT = (
    "Your password is sent once to the office server to prove it is you, and is never kept "
    "on this laptop. The office gives this laptop its own key instead, which it can switch "
    "off if the laptop is ever lost."
)


class RegisterDialog(QDialog):
    """Attributes: `server`, `adviser`, `password` (the fields), `problem` (what went wrong,
    in words beside the form), `register_button`, `cancel_button`, `busy`."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Register this laptop with the office")
        self.server = QLineEdit()
        self.server.setAccessibleName("Office server address")
        self.server.setPlaceholderText("for example https://sync.example.org:8443")
        self.adviser = QLineEdit(controller.session.adviser)
        self.adviser.setAccessibleName("Your name, as the office set it up")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Your office password")
        self.problem = label("", "error")
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setFormat("Registering…")
        self.busy.setAccessibleName("Registering")
        self.busy.hide()
        self.register_button = QPushButton("&Register")
        self.register_button.setAccessibleName("Register")
        set_role(self.register_button, "primary")
        self.register_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel")

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Register this laptop with the office", 2))
        layout.addWidget(label(
            "Once registered, this laptop sends your changes to the office and gets your "
            "team's changes and the directory of services whenever the office server can be "
            "reached."))
        form = QFormLayout()
        for text, field in (("&Server address", self.server), ("Your &name", self.adviser),
                            ("&Password", self.password)):
            caption = plain(QLabel(text))
            caption.setBuddy(field)
            form.addRow(caption, field)
        layout.addLayout(form)
        layout.addWidget(label(NEVER_KEPT, "quiet"))
        layout.addWidget(self.problem)
        layout.addWidget(self.busy)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.register_button)
        layout.addLayout(row)
        self.setMinimumWidth(520)
        fit_to_screen(self)
        self.register_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)
        self.server.setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        """Checks the form, then registers in the background; the form waits meanwhile."""
        try:
            address = server_address(self.server.text())
        except ValidationError as problem:
            self._say(problem.message, self.server)
            return
        adviser = self.adviser.text().strip()
        if not adviser:
            self._say("Please type your name as the office set it up.", self.adviser)
            return
        if not self.password.text():
            self._say("Please type your office password.", self.password)
            return
        self.server.setText(address)
        self.problem.hide()
        self._set_busy(True)
        task = self.controller.register(address, adviser, self.password.text())
        self.password.clear()  # the widget was its only holder on this side
        task.succeeded.connect(self._done)
        task.failed.connect(self._failed)

    def _done(self, _registration: Registration) -> None:
        self._set_busy(False)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        known = isinstance(error, SpDesktopError)
        self._say(str(error) if known else "Registration did not work. Please try again.",
                  self.password)

    def _say(self, text: str, field: QWidget) -> None:
        self.problem.setText(text)
        self.problem.show()
        field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for widget in (self.server, self.adviser, self.password, self.register_button):
            widget.setEnabled(not busy)
