"""A new referral: who referred, why, and consent — declining is recorded and stops there."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choices import Consent, ReferralSource, ReferralStatus
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.people import Referral
from sp_desktop.domain.rows import REFERRALS
from sp_desktop.services.timeline import SNOMED_DECLINED
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.dialogs.person_details import choice_box
from sp_desktop.ui.fields import DateField, parse_date
from sp_desktop.ui.fit import fit_to_screen, scrolling, text_size
from sp_desktop.ui.form import FormDialog
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label

DECLINED_NOTE = (
    "Declining closes this referral. It is recorded for their GP as "
    f"{SNOMED_DECLINED}, and nothing more is asked of them."
)


class ReferralDialog(FormDialog):
    """Signal: saved(Changes). `declined` tells the caller the journey stops here.

    Enter saves; every problem shows at once beside its field; closing with something typed
    asks first.
    """

    saved = Signal(object)

    def __init__(
        self, session: Session, person_id: str, person_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id = person_id
        self.declined = False
        self.setWindowTitle(f"New referral for {person_name}")
        self.source = choice_box(ReferralSource, "Referred by", optional=False)
        self.referrer_name = QLineEdit()
        self.referrer_organisation = QLineEdit()
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setMaximumHeight(110)
        self.received_on = DateField(date.today(), name="Referral received on")
        self.consent_given = QRadioButton("Yes, they agreed to take part")
        self.consent_declined = QRadioButton("No, they declined")
        self.consent_pending = QRadioButton("Not asked yet")
        self.consent_pending.setChecked(True)
        self.consent = QButtonGroup(self)
        consent_box = QGroupBox("Did they agree to take part?")
        consent_layout = QVBoxLayout(consent_box)
        for button in (self.consent_given, self.consent_declined, self.consent_pending):
            self.consent.addButton(button)
            consent_layout.addWidget(button)
        self.declined_note = label(DECLINED_NOTE, "notice")
        self.declined_note.hide()
        consent_layout.addWidget(self.declined_note)

        form = QFormLayout()
        self.add_field(form, "Referred by", "source", self.source)
        self.add_field(form, "Referrer's name", "referrer_name", self.referrer_name)
        self.add_field(
            form, "Referrer's organisation", "referrer_organisation", self.referrer_organisation
        )
        self.add_field(form, "Reason for referral", "reason", self.reason)
        self.add_field(form, "Received on", "received_on", self.received_on)
        self.received_on.setAccessibleName("Referral received on")
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(form)
        body_layout.addWidget(consent_box)
        body_layout.addStretch(1)

        buttons = self.button_row("Save referral")
        self.save_button = self.main_button
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.windowTitle(), 2))
        layout.addWidget(self.top_error)
        layout.addWidget(scrolling(body), 1)
        layout.addLayout(buttons)
        self.consent.buttonToggled.connect(self._consent_changed)
        self.setMinimumWidth(560)
        self.mark_clean()
        fit_to_screen(self, text_size(self, 80, 30))

    def chosen_consent(self) -> Consent:
        if self.consent_given.isChecked():
            return Consent.GIVEN
        if self.consent_declined.isChecked():
            return Consent.DECLINED
        return Consent.PENDING

    def _consent_changed(self) -> None:
        declined = self.consent_declined.isChecked()
        self.declined_note.setVisible(declined)
        self.save_button.setText("Record that they declined" if declined else "Save referral")

    def _fields(self) -> dict[str, Any]:
        consent = self.chosen_consent()
        return {
            "source": ReferralSource(self.source.currentData()),
            "referrer_name": self.referrer_name.text().strip(),
            "referrer_organisation": self.referrer_organisation.text().strip(),
            "reason": self.reason.toPlainText().strip(),
            "consent": consent,
            "consent_on": None if consent is Consent.PENDING else date.today(),
        }

    def problems(self) -> list[ValidationError]:
        today = date.today()
        found: list[ValidationError] = []
        fields = self._fields()
        for name in ("referrer_name", "referrer_organisation", "reason"):
            try:
                REFERRALS.check_value(name, fields[name], today)
            except ValidationError as error:
                found.append(error)
        try:
            received = parse_date(self.received_on.text(), "received_on")
            REFERRALS.check_value("received_on", received, today)
        except ValidationError as error:
            found.append(error)
        if found:
            return found
        assert received is not None  # parse_date raises when a required date is missing
        consent = fields["consent"]
        status = ReferralStatus.DECLINED if consent is Consent.DECLINED else ReferralStatus.NEW
        try:
            Referral(
                id="checking", person_id=self.person_id, status=status,
                received_on=received, **fields,
            )
        except ValidationError as error:
            return [error]
        return []

    def save(self) -> None:
        fields = self._fields()
        fields["received_on"] = parse_date(self.received_on.text(), "received_on")
        person_id = self.person_id

        def write(ws: Workspace) -> Changes:
            return ws.people.record_referral(person_id, **fields)

        self.session.write(write, self._saved, self.save_failed)

    def _saved(self, changes: Changes) -> None:
        self.declined = self.chosen_consent() is Consent.DECLINED
        self.saved_ok()
        self.saved.emit(changes)
