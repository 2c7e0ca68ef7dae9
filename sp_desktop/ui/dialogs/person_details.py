"""Adding a person or editing their details, with each problem shown beside its field."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choices import Choice, Ethnicity, Gender, PreferredContact
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.nhs_number import NhsNumber
from sp_desktop.domain.people import AccessNeeds, Person
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import FormErrors, parse_date, typed_date
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

NOT_RECORDED = "Not recorded"


def choice_box(kind: type[Choice], name: str, *, optional: bool) -> QComboBox:
    box = QComboBox()
    box.setAccessibleName(name)
    # Long labels (the ONS ethnicity groups) must not push the form wider than the window.
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(24)
    if optional:
        box.addItem(NOT_RECORDED, None)
    for choice in kind:
        box.addItem(choice.label, choice.value)
    return box


def select(box: QComboBox, value: str | None) -> None:
    index = box.findData(value)
    box.setCurrentIndex(max(index, 0))


class PersonDetailsDialog(QDialog):
    """New person when `person` is None, else editing them. Signal: saved(Changes)."""

    saved = Signal(object)

    def __init__(
        self, session: Session, person: Person | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person = person
        self.setWindowTitle("Edit details" if person else "Add a person")
        self.errors = FormErrors()
        self.top_error = label("", "error")
        self.top_error.hide()
        self.errors.fallback = self.top_error

        self.given_name = self._line("First name")
        self.family_name = self._line("Family name")
        self.preferred_name = self._line("Likes to be called (optional)")
        self.date_of_birth = self._line("Date of birth", "day/month/year, like 12/03/1941")
        self.nhs_number = self._line("NHS number (optional)", "like 943 476 5919")
        self.gender = choice_box(Gender, "Gender", optional=True)
        self.ethnicity = choice_box(Ethnicity, "Ethnicity", optional=True)
        self.gp_practice = self._line("GP practice")
        self.address = QPlainTextEdit()
        self.address.setAccessibleName("Address")
        self.address.setTabChangesFocus(True)
        self.address.setMaximumHeight(90)
        self.postcode = self._line("Postcode")
        self.phone = self._line("Phone")
        self.email = self._line("Email (optional)")
        self.preferred_contact = choice_box(PreferredContact, "Best way to contact", optional=False)
        self.large_print = QCheckBox("Large print letters and plans")
        self.interpreter = self._line("Interpreter needed — which language? (optional)")
        self.hearing = self._line("Hearing (optional)")
        self.sight = self._line("Sight (optional)")

        who = QFormLayout()
        who.addRow("First name", self.errors.add("given_name", self.given_name))
        who.addRow("Family name", self.errors.add("family_name", self.family_name))
        who.addRow("Likes to be called", self.errors.add("preferred_name", self.preferred_name))
        who.addRow("Date of birth", self.errors.add("date_of_birth", self.date_of_birth))
        who.addRow("Gender", self.errors.add("gender", self.gender))
        who.addRow("Ethnicity", self.errors.add("ethnicity", self.ethnicity))
        health = QFormLayout()
        health.addRow("NHS number", self.errors.add("nhs_number", self.nhs_number))
        health.addRow("GP practice", self.errors.add("gp_practice", self.gp_practice))
        contact = QFormLayout()
        contact.addRow("Address", self.errors.add("address", self.address))
        contact.addRow("Postcode", self.errors.add("postcode", self.postcode))
        contact.addRow("Phone", self.errors.add("phone", self.phone))
        contact.addRow("Email", self.errors.add("email", self.email))
        contact.addRow("Best way to contact", self.preferred_contact)
        access = QFormLayout()
        access.addRow("", self.large_print)
        access.addRow("Interpreter", self.interpreter)
        access.addRow("Hearing", self.hearing)
        access.addRow("Sight", self.sight)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        for title, form in (
            ("About them", who),
            ("NHS and GP", health),
            ("Contact", contact),
            ("What helps them take part", access),
        ):
            box = QGroupBox(title)
            box.setLayout(form)
            body_layout.addWidget(box)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.save_button = QPushButton("Save details" if person else "Add this person")
        set_role(self.save_button, "primary")
        self.save_button.setDefault(True)
        cancel = QPushButton("Cancel")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.windowTitle(), 2))
        layout.addWidget(self.top_error)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        self.nhs_number.textEdited.connect(self._check_nhs_number_while_typing)
        self.nhs_number.editingFinished.connect(self._check_nhs_number)
        if person is not None:
            self._fill(person)
        self.resize(720, 760)

    def _line(self, name: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setAccessibleName(name)
        if placeholder:
            edit.setPlaceholderText(placeholder)
        return edit

    def _fill(self, person: Person) -> None:
        self.given_name.setText(person.given_name)
        self.family_name.setText(person.family_name)
        self.preferred_name.setText(person.preferred_name or "")
        self.date_of_birth.setText(typed_date(person.date_of_birth))
        self.nhs_number.setText(str(person.nhs_number) if person.nhs_number else "")
        select(self.gender, person.gender.value if person.gender else None)
        select(self.ethnicity, person.ethnicity.value if person.ethnicity else None)
        self.gp_practice.setText(person.gp_practice)
        self.address.setPlainText(person.address)
        self.postcode.setText(person.postcode)
        self.phone.setText(person.phone)
        self.email.setText(person.email)
        select(self.preferred_contact, person.preferred_contact.value)
        self.large_print.setChecked(person.access.large_print)
        self.interpreter.setText(person.access.interpreter_language or "")
        self.hearing.setText(person.access.hearing or "")
        self.sight.setText(person.access.sight or "")

    # --- checking ------------------------------------------------------------------------------

    def _check_nhs_number_while_typing(self, text: str) -> None:
        """Says so as soon as ten digits fail the check; stays quiet while still typing."""
        digits = [c for c in text if c.isdigit()]
        wrapped = self.errors.fields["nhs_number"]
        if len(digits) == 10:
            self._check_nhs_number()
        elif len(digits) < 10:
            wrapped.clear_error()

    def _check_nhs_number(self) -> None:
        wrapped = self.errors.fields["nhs_number"]
        typed = self.nhs_number.text().strip()
        if not typed:
            wrapped.clear_error()
            return
        try:
            NhsNumber.parse(typed)
        except ValidationError as error:
            wrapped.show_error(error.message)
        else:
            wrapped.clear_error()

    def fields(self) -> dict[str, Any]:
        """What was typed, as the domain expects it; raises ValidationError naming the field."""
        born = parse_date(self.date_of_birth.text(), "date_of_birth")
        assert born is not None
        return {
            "given_name": self.given_name.text().strip(),
            "family_name": self.family_name.text().strip(),
            "preferred_name": self.preferred_name.text().strip() or None,
            "date_of_birth": born,
            "nhs_number": self.nhs_number.text().strip() or None,
            "gender": self.gender.currentData(),
            "ethnicity": self.ethnicity.currentData(),
            "gp_practice": self.gp_practice.text().strip(),
            "address": self.address.toPlainText().strip(),
            "postcode": self.postcode.text().strip(),
            "phone": self.phone.text().strip(),
            "email": self.email.text().strip(),
            "preferred_contact": self.preferred_contact.currentData(),
            "access": AccessNeeds(
                large_print=self.large_print.isChecked(),
                interpreter_language=self.interpreter.text().strip() or None,
                hearing=self.hearing.text().strip() or None,
                sight=self.sight.text().strip() or None,
            ),
        }

    def save(self) -> None:
        self.errors.clear()
        try:
            fields = self.fields()
            # The domain checks everything on construction: the same rules the service applies.
            Person(id="checking", **fields)
        except ValidationError as error:
            self.errors.show(error)
            return
        self.save_button.setEnabled(False)
        person = self.person

        def write(ws: Workspace) -> Changes:
            if person is None:
                return ws.people.create(**fields)
            return ws.people.update(person.id, **fields)

        self.session.write(write, self._saved, self._failed)

    def _saved(self, changes: Changes) -> None:
        self.accept()
        self.saved.emit(changes)

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.errors.show(error)
        else:
            show_error(self, error)
