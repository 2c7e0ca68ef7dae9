"""The settings an adviser may change: when to lock, their work contact details, the office link,
which questionnaires are asked when, and (while unlocked) a new key for the store."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.services.resources import measures
from sp_desktop.services.settings import (
    IDLE_MINUTES,
    LINK_WORKER_EMAIL,
    LINK_WORKER_ORGANISATION,
    LINK_WORKER_PHONE,
    MEASURES,
    OFFICE_CERTIFICATE,
    SYNC_AUTOMATIC,
    SYNC_CHECK_MINUTES,
    WORK_CONTACT,
    Setting,
    Settings,
    measure_keys,
    problem,
)

from sp_desktop.ui.fields import FieldWithError
from sp_desktop.ui.fit import fit_to_screen, scrolling, text_size
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


def _explained(box: QGroupBox, words: str) -> QFormLayout:
    """A box that says what it is for, above its form. (A wrapped label spanning a form row is
    given one line too few by QFormLayout, cutting its last line off.)"""
    layout = QVBoxLayout(box)
    layout.addWidget(label(words, "quiet"))
    form = QFormLayout()
    layout.addLayout(form)
    return form


class SettingsDialog(QDialog):
    """Lock time and the adviser's work contact details, each checked beside its field.

    The contact details are the adviser's own work phone, email and organisation (what a
    printout tells people to ring), never anything about the people they see: the settings file
    is not encrypted.

    Attributes: `idle` (minutes box), `contact` (setting key -> its field with error line),
    `sync_automatic` (check box), `sync_every` (minutes box), `certificate` (the office
    certificate file's field with its error line), `choose_certificate` (opens a file picker),
    `rekey_button` (a new key and recovery key; only with an unlocked session), `rekey_dialog`.
    Signal: saved() once everything was written.
    """

    saved = Signal()

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        focus: Setting[Any] | None = None,
        session: Session | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.session = session
        self.setWindowTitle("Settings")
        # Wide enough for an email address and the error lines under the fields, at any font size.
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)
        self.idle = QSpinBox()
        self.idle.setRange(IDLE_MINUTES.minimum or 1, IDLE_MINUTES.maximum or 60)
        self.idle.setValue(settings.get(IDLE_MINUTES))
        self.idle.setSuffix(" minutes")
        self.idle.setAccessibleName("Lock after this many minutes without use")
        lock_box = QGroupBox("Locking")
        lock_form = _explained(lock_box, IDLE_MINUTES.description)
        lock_form.addRow(IDLE_MINUTES.label, self.idle)

        self.contact: dict[str, FieldWithError] = {}
        contact_box = QGroupBox("Your work contact details")
        contact_form = _explained(
            contact_box,
            "Printed on journeys and letters so people and referrers can reach you. "
            "Only your work details: never anyone else's.",
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

        office_box = self._office_box(settings)
        measures_box = self._measures_box(settings)

        save = QPushButton("Save")
        save.setDefault(True)
        set_role(save, "primary")
        cancel = QPushButton("Cancel")
        self.save_button = save
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(save)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        for box in (lock_box, contact_box, measures_box, office_box, self._security_box()):
            body_layout.addWidget(box)
        body_layout.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Settings", 2))
        layout.addWidget(scrolling(body), 1)  # scrolls on a short screen; Save stays in view
        layout.addLayout(row)
        save.clicked.connect(self._save)
        cancel.clicked.connect(self.reject)
        fit_to_screen(self, text_size(self, 72, 44))
        if focus is not None and focus.key in self.contact:
            self.contact[focus.key].field.setFocus()
        else:
            self.idle.setFocus()

    def _measures_box(self, settings: Settings) -> QGroupBox:
        """Which questionnaires the visit asks at the first visit, later and at the end.

        `self.measure_boxes[(setting key, measure key)]` is each check box. A measure whose
        licence asks users to register says so beside its name.
        """
        box = QGroupBox("Questionnaires")
        layout = QVBoxLayout(box)
        layout.addWidget(
            label(
                "Which questionnaires the visit asks, and when. Ask your scheme before changing "
                "these: everyone in a team should ask the same ones.",
                "quiet",
            )
        )
        grid = QGridLayout()
        for column, setting in enumerate(MEASURES, start=1):
            grid.addWidget(label(setting.label, "quiet"), 0, column)
        self.measure_boxes: dict[tuple[str, str], QCheckBox] = {}
        chosen = {s.key: set(measure_keys(settings.get(s))) for s in MEASURES}
        for row, definition in enumerate(measures(), start=1):
            name = definition.short_title
            if definition.registration_required:
                name += " (your scheme must register to use it)"
            title = label(name)
            title.setToolTip(f"{definition.title}. {definition.licence_note}")
            grid.addWidget(title, row, 0)
            for column, setting in enumerate(MEASURES, start=1):
                check = QCheckBox()
                check.setAccessibleName(f"{definition.title}: {setting.label.lower()}")
                check.setChecked(definition.key in chosen[setting.key])
                grid.addWidget(check, row, column)
                self.measure_boxes[(setting.key, definition.key)] = check
        layout.addLayout(grid)
        return box

    def _office_box(self, settings: Settings) -> QGroupBox:
        """How this laptop reaches the office: sync by itself, how often, whose certificate."""
        self.sync_automatic = QCheckBox(SYNC_AUTOMATIC.label)
        self.sync_automatic.setChecked(settings.get(SYNC_AUTOMATIC))
        self.sync_automatic.setAccessibleName("Sync with the office by itself")
        self.sync_automatic.setToolTip(SYNC_AUTOMATIC.description)
        self.sync_every = QSpinBox()
        self.sync_every.setRange(SYNC_CHECK_MINUTES.minimum or 1, SYNC_CHECK_MINUTES.maximum or 60)
        self.sync_every.setValue(settings.get(SYNC_CHECK_MINUTES))
        self.sync_every.setSuffix(" minutes")
        self.sync_every.setAccessibleName("Look for the office every this many minutes")
        self.sync_every.setToolTip(SYNC_CHECK_MINUTES.description)
        edit = QLineEdit(settings.get(OFFICE_CERTIFICATE))
        edit.setAccessibleName("Office certificate file")
        edit.setPlaceholderText("optional: only if your office gave you one")
        edit.setToolTip(OFFICE_CERTIFICATE.description)
        self.certificate = FieldWithError(edit)
        edit.textEdited.connect(lambda _text: self.certificate.clear_error())
        self.choose_certificate = QPushButton("Choose…")
        self.choose_certificate.setAccessibleName("Choose the office certificate file")
        self.choose_certificate.clicked.connect(self._choose_certificate)
        certificate_row = QHBoxLayout()
        certificate_row.addWidget(self.certificate, 1)
        certificate_row.addWidget(self.choose_certificate, 0, Qt.AlignmentFlag.AlignTop)

        box = QGroupBox("Office connection")
        form = QFormLayout()
        form.addRow(self.sync_automatic)
        form.addRow(SYNC_CHECK_MINUTES.label, self.sync_every)
        certificate = QFormLayout()
        certificate.addRow(OFFICE_CERTIFICATE.label, certificate_row)
        layout = QVBoxLayout(box)
        layout.addLayout(form)
        layout.addWidget(label(OFFICE_CERTIFICATE.description, "quiet"))
        layout.addLayout(certificate)
        return box

    def _security_box(self) -> QGroupBox:
        """A new data key and recovery key, for when the old recovery key may have been seen."""
        self.rekey_dialog: QDialog | None = None
        self.rekey_button = QPushButton("Make a new key and recovery key…")
        self.rekey_button.setAccessibleName("Make a new key and recovery key")
        unlocked = self.session is not None and self.session.is_unlocked
        self.rekey_button.setEnabled(unlocked)
        self.rekey_button.clicked.connect(self.open_rekey)
        box = QGroupBox("Keys")
        form = _explained(
            box,
            "If your recovery key may have been seen by someone else, make a new one: "
            "everything is encrypted again and the old recovery key stops working."
            if unlocked
            else "Unlock SP Desktop to make a new key and recovery key.",
        )
        form.addRow(self.rekey_button)
        return box

    def open_rekey(self) -> None:
        if self.session is None or not self.session.is_unlocked:
            return
        # Imported here: the rekey dialog prints through print_preview, which imports Settings.
        from sp_desktop.ui.dialogs.rekey import RekeyDialog

        self.rekey_dialog = RekeyDialog(self.session, self)
        self.rekey_dialog.open()

    def _choose_certificate(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            "Choose the office certificate",
            "",
            "Certificates (*.pem *.crt *.cer);;All files (*)",
        )
        if path:
            self.certificate_field.setText(path)
            self.certificate.clear_error()

    @property
    def certificate_field(self) -> QLineEdit:
        edit = self.certificate.field
        assert isinstance(edit, QLineEdit)
        return edit

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
        certificate = self.certificate_field.text().strip()
        wrong = problem(OFFICE_CERTIFICATE, certificate)
        if wrong:
            self.certificate.show_error(wrong)
            first_wrong = first_wrong or self.certificate
        else:
            self.certificate.clear_error()
        if first_wrong is not None:
            first_wrong.field.setFocus()
            return
        self.settings.set(IDLE_MINUTES, self.idle.value())
        self.settings.set(SYNC_AUTOMATIC, self.sync_automatic.isChecked())
        self.settings.set(SYNC_CHECK_MINUTES, self.sync_every.value())
        self.settings.set(OFFICE_CERTIFICATE, certificate)
        for setting in WORK_CONTACT:
            self.settings.set(setting, values[setting.key])
        for setting in MEASURES:
            keys = [
                m.key for m in measures() if self.measure_boxes[(setting.key, m.key)].isChecked()
            ]
            self.settings.set(setting, ", ".join(keys))
        self.saved.emit()
        self.accept()


def open_settings(
    session: Session, parent: QWidget, focus: Setting[Any] | None = None
) -> SettingsDialog:
    """Opens Settings over `parent`; saving announces `session.settings_changed` to everyone."""
    dialog = SettingsDialog(session.settings, parent, focus=focus, session=session)
    dialog.saved.connect(session.settings_changed)
    dialog.open()
    return dialog
