"""The settings an adviser may change: when to lock, and their own work contact details."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.services.settings import (
    IDLE_MINUTES,
    LINK_WORKER_EMAIL,
    LINK_WORKER_ORGANISATION,
    LINK_WORKER_PHONE,
    WORK_CONTACT,
    Setting,
    Settings,
    problem,
)

from sp_desktop.ui.fields import FieldWithError
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

_PLACEHOLDERS = {
    LINK_WORKER_PHONE.key: "like 0115 496 0000",
    LINK_WORKER_EMAIL.key: "optional, like link.workers@example.org",
    LINK_WORKER_ORGANISATION.key: "optional: blank prints your team's name",
}
_SPOKEN_NAMES = {
    LINK_WORKER_PHONE.key: "Your work phone number",
    LINK_WORKER_EMAIL.key: "Your work email address",
    LINK_WORKER_ORGANISATION.key: "Your organisation",
}


class SettingsDialog(QDialog):
    """Lock time and the adviser's work contact details, each checked beside its field.

    The contact details are the adviser's own work phone, email and organisation (what a
    printout tells people to ring), never anything about the people they see: the settings file
    is not encrypted.

    Attributes: `idle` (minutes box), `contact` (setting key -> its field with error line).
    Signal: saved() once everything was written.
    """

    saved = Signal()

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        focus: Setting[Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Settings")
        # Wide enough for an email address and the error lines under the fields, at any font size.
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)
        self.idle = QSpinBox()
        self.idle.setRange(IDLE_MINUTES.minimum or 1, IDLE_MINUTES.maximum or 60)
        self.idle.setValue(settings.get(IDLE_MINUTES))
        self.idle.setSuffix(" minutes")
        self.idle.setAccessibleName("Lock after this many minutes without use")
        lock_box = QGroupBox("Locking")
        lock_form = QFormLayout(lock_box)
        lock_form.addRow(label(IDLE_MINUTES.description, "quiet"))
        lock_form.addRow(IDLE_MINUTES.label, self.idle)

        self.contact: dict[str, FieldWithError] = {}
        contact_box = QGroupBox("Your work contact details")
        contact_form = QFormLayout(contact_box)
        contact_form.addRow(
            label(
                "Printed on journeys and letters so people and referrers can reach you. "
                "Only your work details: never anyone else's.",
                "quiet",
            )
        )
        for setting in WORK_CONTACT:
            edit = QLineEdit(settings.get(setting))
            edit.setAccessibleName(_SPOKEN_NAMES[setting.key])
            edit.setPlaceholderText(_PLACEHOLDERS[setting.key])
            edit.setToolTip(setting.description)
            wrapped = FieldWithError(edit)
            edit.textEdited.connect(lambda _text, w=wrapped: w.clear_error())
            self.contact[setting.key] = wrapped
            contact_form.addRow(setting.label, wrapped)

        save = QPushButton("Save")
        save.setDefault(True)
        set_role(save, "primary")
        cancel = QPushButton("Cancel")
        self.save_button = save
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(save)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Settings", 2))
        layout.addWidget(lock_box)
        layout.addWidget(contact_box)
        layout.addLayout(row)
        save.clicked.connect(self._save)
        cancel.clicked.connect(self.reject)
        if focus is not None and focus.key in self.contact:
            self.contact[focus.key].field.setFocus()
        else:
            self.idle.setFocus()

    def field(self, setting: Setting[str]) -> QLineEdit:
        """The line edit for one of the contact settings."""
        edit = self.contact[setting.key].field
        assert isinstance(edit, QLineEdit)
        return edit

    def _save(self) -> None:
        """Checks every field first, so nothing is saved while one of them is wrong."""
        values: dict[str, str] = {}
        first_wrong: FieldWithError | None = None
        for setting in WORK_CONTACT:
            wrapped = self.contact[setting.key]
            text = self.field(setting).text().strip()
            wrong = problem(setting, text)
            if wrong:
                wrapped.show_error(wrong)
                first_wrong = first_wrong or wrapped
            else:
                wrapped.clear_error()
                values[setting.key] = text
        if first_wrong is not None:
            first_wrong.field.setFocus()
            return
        self.settings.set(IDLE_MINUTES, self.idle.value())
        for setting in WORK_CONTACT:
            self.settings.set(setting, values[setting.key])
        self.saved.emit()
        self.accept()


def open_settings(
    session: Session, parent: QWidget, focus: Setting[Any] | None = None
) -> SettingsDialog:
    """Opens Settings over `parent`; saving announces `session.settings_changed` to everyone."""
    dialog = SettingsDialog(session.settings, parent, focus=focus)
    dialog.saved.connect(session.settings_changed)
    dialog.open()
    return dialog
