"""A new referral: who referred, why, and consent — declining is recorded and stops there."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choices import Consent, ReferralSource, ReferralStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.people import Referral
from sp_desktop.services.timeline import SNOMED_DECLINED
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.dialogs.person_details import choice_box
from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import FormErrors, parse_date, typed_date
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

DECLINED_NOTE = (
    "Declining closes this referral. It is recorded for their GP as "
    f"{SNOMED_DECLINED}, and nothing more is asked of them."
)


class ReferralDialog(QDialog):
    """Signal: saved(Changes). `declined` tells the caller the journey stops here."""

    saved = Signal(object)

    def __init__(
        self, session: Session, person_id: str, person_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id = person_id
        self.declined = False
        self.setWindowTitle(f"New referral for {person_name}")
        self.errors = FormErrors()
        self.top_error = label("", "error")
        self.top_error.hide()
        self.errors.fallback = self.top_error
        self.source = choice_box(ReferralSource, "Referred by", optional=False)
        self.referrer_name = QLineEdit()
        self.referrer_name.setAccessibleName("Referrer's name")
        self.referrer_organisation = QLineEdit()
        self.referrer_organisation.setAccessibleName("Referrer's organisation")
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for referral")
        self.reason.setTabChangesFocus(True)
        self.reason.setMaximumHeight(110)
        self.received_on = QLineEdit(typed_date(date.today()))
        self.received_on.setAccessibleName("Referral received on")
        self.consent_given = QRadioButton("Yes, they agreed to take part")
        self.consent_declined = QRadioButton("No, they declined")
        self.consent_pending = QRadioButton("Not asked yet")
        self.consent_pending.setChecked(True)
        self.consent = QButtonGroup(self)
        for button in (self.consent_given, self.consent_declined, self.consent_pending):
            self.consent.addButton(button)
        consent_box = QVBoxLayout()
        for button in (self.consent_given, self.consent_declined, self.consent_pending):
            consent_box.addWidget(button)
        self.declined_note = label(DECLINED_NOTE, "notice")
        self.declined_note.hide()
        consent_box.addWidget(self.declined_note)

        form = QFormLayout()
        form.addRow("Referred by", self.source)
        form.addRow("Referrer's name", self.errors.add("referrer_name", self.referrer_name))
        form.addRow(
            "Organisation", self.errors.add("referrer_organisation", self.referrer_organisation)
        )
        form.addRow("Reason", self.errors.add("reason", self.reason))
        form.addRow("Received on", self.errors.add("received_on", self.received_on))
        form.addRow("Consent", consent_box)

        self.save_button = QPushButton("Save referral")
        set_role(self.save_button, "primary")
        cancel = QPushButton("Cancel")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.windowTitle(), 2))
        layout.addWidget(self.top_error)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.consent.buttonToggled.connect(self._consent_changed)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        self.setMinimumWidth(560)

    def chosen_consent(self) -> Consent:
        if self.consent_given.isChecked():
            return Consent.GIVEN
        if self.consent_declined.isChecked():
            return Consent.DECLINED
        return Consent.PENDING

    def _consent_changed(self) -> None:
        declined = self.consent_declined.isChecked()
        self.declined_note.setVisible(declined)
        self.adjustSize()
        self.save_button.setText("Record that they declined" if declined else "Save referral")

    def save(self) -> None:
        self.errors.clear()
        consent = self.chosen_consent()
        try:
            received = parse_date(self.received_on.text(), "received_on")
            assert received is not None
            fields: dict[str, Any] = {
                "source": ReferralSource(self.source.currentData()),
                "referrer_name": self.referrer_name.text().strip(),
                "referrer_organisation": self.referrer_organisation.text().strip(),
                "reason": self.reason.toPlainText().strip(),
                "received_on": received,
                "consent": consent,
                "consent_on": None if consent is Consent.PENDING else date.today(),
            }
            status = ReferralStatus.DECLINED if consent is Consent.DECLINED else ReferralStatus.NEW
            Referral(id="checking", person_id=self.person_id, status=status, **fields)
        except ValidationError as error:
            self.errors.show(error)
            return
        self.save_button.setEnabled(False)
        person_id = self.person_id

        def write(ws: Workspace) -> Changes:
            return ws.people.record_referral(person_id, **fields)

        self.session.write(write, self._saved, self._failed)

    def _saved(self, changes: Changes) -> None:
        self.declined = self.chosen_consent() is Consent.DECLINED
        self.accept()
        self.saved.emit(changes)

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.errors.show(error)
        else:
            show_error(self, error)
