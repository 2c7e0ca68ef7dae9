"""Asking for consent: what the person agreed to (notes kept, sharing with their GP, sharing
with the services they are referred to), how they were asked, and when. Consent first: the app
opens this before a visit or anything personal is recorded for someone not yet asked."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choices import ConsentDecision, ConsentMethod
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.rows import CONSENTS, check_consent_decision
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.dialogs.person_details import choice_box
from sp_desktop.ui.fields import DateField, parse_date
from sp_desktop.ui.fit import fit_to_screen, scrolling
from sp_desktop.ui.form import FormDialog
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import label

QUESTION = (
    "Before anything is written down, ask them: may we keep notes of what we talk about? May we "
    "tell their GP how it goes? May we pass their details to the services we refer them to?"
)


class ConsentDialog(FormDialog):
    """Signal: saved(Changes). `decision` is the answer recorded (None until saved).

    Enter records the answer; closing with something chosen asks first.
    """

    saved = Signal(object)

    def __init__(
        self,
        session: Session,
        person_id: str,
        person_name: str,
        parent: QWidget | None = None,
        *,
        why: str = "",
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id = person_id
        self.decision: ConsentDecision | None = None
        self.setWindowTitle(f"Consent for {person_name}")
        self.agreed = QRadioButton("They agreed")
        self.declined = QRadioButton("They did not agree")
        self.withdrawn = QRadioButton("They withdrew consent they had given")
        self.agreed.setChecked(True)
        self.answer = QButtonGroup(self)
        answer_box = QGroupBox("Their answer")
        answer_layout = QVBoxLayout(answer_box)
        for button in (self.agreed, self.declined, self.withdrawn):
            self.answer.addButton(button)
            answer_layout.addWidget(button)
        self.recording = QCheckBox("Notes of our conversations may be kept")
        self.share_gp = QCheckBox("Their GP may be told how it goes")
        self.share_services = QCheckBox(
            "Their details may go to the services they are referred to")
        for box in (self.recording, self.share_gp, self.share_services):
            box.setChecked(True)
        agreed_box = QGroupBox("What they agreed to")
        agreed_layout = QVBoxLayout(agreed_box)
        for box in (self.recording, self.share_gp, self.share_services):
            agreed_layout.addWidget(box)
            self.watch(box)
        self.method = choice_box(ConsentMethod, "How you asked", optional=False)
        self.given_on = DateField(date.today(), name="Date of their answer")
        self.notes = QLineEdit()
        form = QFormLayout()
        self.add_field(form, "&How you asked:", "method", self.method)
        self.add_field(form, "&Date of their answer:", "given_on", self.given_on)
        self.add_field(form, "&Notes (optional):", "notes", self.notes)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        if why:
            body_layout.addWidget(label(why, "notice"))
        body_layout.addWidget(label(QUESTION))
        body_layout.addWidget(self.top_error)
        body_layout.addWidget(answer_box)
        body_layout.addWidget(agreed_box)
        body_layout.addLayout(form)
        layout = QVBoxLayout(self)
        layout.addWidget(scrolling(body), 1)
        layout.addLayout(self.button_row("Record their answer"))
        self.answer.buttonToggled.connect(self._answer_changed)
        for button in (self.agreed, self.declined, self.withdrawn):
            self.watch(button)
        self.mark_clean()
        fit_to_screen(self)

    def chosen(self) -> ConsentDecision:
        if self.declined.isChecked():
            return ConsentDecision.DECLINED
        if self.withdrawn.isChecked():
            return ConsentDecision.WITHDRAWN
        return ConsentDecision.GIVEN

    def _answer_changed(self) -> None:
        """Declining or withdrawing agrees to nothing: the choices of what was agreed go."""
        agreed = self.chosen() is ConsentDecision.GIVEN
        for box in (self.recording, self.share_gp, self.share_services):
            box.setEnabled(agreed)
            if not agreed:
                box.setChecked(False)

    def problems(self) -> list[ValidationError]:
        found: list[ValidationError] = []
        today = date.today()
        try:
            CONSENTS.check_value("given_on", parse_date(self.given_on.text(), "given_on"), today)
        except ValidationError as error:
            found.append(error)
        try:
            CONSENTS.check_value("notes", self.notes.text().strip(), today)
        except ValidationError as error:
            found.append(error)
        try:
            check_consent_decision(self.chosen(), self.recording.isChecked(),
                                   self.share_gp.isChecked(), self.share_services.isChecked())
        except ValidationError as error:
            found.append(error)
        return found

    def save(self) -> None:
        person_id, decision = self.person_id, self.chosen()
        method = ConsentMethod(self.method.currentData())
        given_on = parse_date(self.given_on.text(), "given_on")
        recording, share_gp = self.recording.isChecked(), self.share_gp.isChecked()
        share_services, notes = self.share_services.isChecked(), self.notes.text().strip()

        def write(ws: Workspace) -> Changes:
            return ws.consent.record(
                person_id, decision, method=method, recording=recording, share_gp=share_gp,
                share_services=share_services, given_on=given_on, notes=notes)

        self.session.write(write, self._saved, self.save_failed)

    def _saved(self, changes: Changes) -> None:
        self.decision = self.chosen()
        self.saved_ok()
        self.saved.emit(changes)
