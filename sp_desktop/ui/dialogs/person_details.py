"""Adding a person or editing their details, with each problem shown beside its field."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choice_lists import conditions
from sp_desktop.domain.choices import Choice, Ethnicity, Gender, PreferredContact
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.nhs_number import NhsNumber
from sp_desktop.domain.people import AccessNeeds, Person
from sp_desktop.domain.rows import PEOPLE
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.fields import DateField, parse_date, typed_date
from sp_desktop.ui.fit import fit_to_screen, scrolling, text_size
from sp_desktop.ui.form import FormDialog
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label

NOT_RECORDED = "Not recorded"
EXAMPLE_BIRTH = date(1941, 3, 12)  # "like 12/03/1941": a birth date's example is a birth date


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


class PersonDetailsDialog(FormDialog):
    """New person when `person` is None, else editing them. Signal: saved(Changes).

    Every problem is shown at once beside its field, top to bottom; Enter adds or saves;
    closing with something typed asks first.
    """

    saved = Signal(object)

    def __init__(
        self, session: Session, person: Person | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person = person
        self.setWindowTitle("Edit details" if person else "Add a person")

        self.given_name = self._line()
        self.family_name = self._line()
        self.preferred_name = self._line()
        self.date_of_birth = DateField(name="Date of birth")
        self.date_of_birth.setPlaceholderText("day/month/year, like 12/03/1941")
        self.nhs_number = self._line("like 943 476 5919")
        self.gender = choice_box(Gender, "Gender", optional=True)
        self.ethnicity = choice_box(Ethnicity, "Ethnicity", optional=True)
        self.gp_practice = self._line()
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setMaximumHeight(90)
        self.postcode = self._line()
        self.phone = self._line()
        self.email = self._line()
        self.preferred_contact = choice_box(PreferredContact, "Best way to contact", optional=False)
        self.large_print = QCheckBox("Large print letters and plans")
        self.interpreter = self._line()
        self.hearing = self._line()
        self.sight = self._line()
        # Long-term conditions: a compact list of tick boxes, scrolling within its own box.
        self.conditions: dict[str, QCheckBox] = {}
        for condition in conditions():
            tick = QCheckBox(condition.words)
            self.conditions[condition.key] = tick
            self.watch(tick)

        who = QFormLayout()
        self.add_field(who, "First name", "given_name", self.given_name)
        self.add_field(who, "Family name", "family_name", self.family_name)
        self.add_field(who, "Likes to be called (optional)", "preferred_name", self.preferred_name)
        self.add_field(who, "Date of birth", "date_of_birth", self.date_of_birth)
        self.add_field(who, "Gender", "gender", self.gender)
        self.add_field(who, "Ethnicity", "ethnicity", self.ethnicity)
        health = QFormLayout()
        self.add_field(health, "NHS number (optional)", "nhs_number", self.nhs_number)
        self.add_field(health, "GP practice", "gp_practice", self.gp_practice)
        contact = QFormLayout()
        self.add_field(contact, "Address", "address", self.address)
        self.add_field(contact, "Postcode", "postcode", self.postcode)
        self.add_field(contact, "Phone", "phone", self.phone)
        self.add_field(contact, "Email (optional)", "email", self.email)
        self.add_field(contact, "Best way to contact", "preferred_contact", self.preferred_contact)
        access = QFormLayout()
        access.addRow("", self.large_print)
        self.watch(self.large_print)
        self.add_field(
            access, "Interpreter needed — which language? (optional)", "interpreter_language",
            self.interpreter,
        )
        self.add_field(access, "Hearing (optional)", "hearing_needs", self.hearing)
        self.add_field(access, "Sight (optional)", "sight_needs", self.sight)

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
        body_layout.addWidget(self._conditions_box(person is None))
        scroll = scrolling(body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        buttons = self.button_row("Save details" if person else "Add this person")
        self.save_button = self.main_button
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.windowTitle(), 2))
        layout.addWidget(self.top_error)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.nhs_number.textEdited.connect(self._check_nhs_number_while_typing)
        self.nhs_number.editingFinished.connect(self._check_nhs_number)
        if person is not None:
            self._fill(person)
        self.mark_clean()
        fit_to_screen(self, text_size(self, 90, 40))

    def _conditions_box(self, new: bool) -> QGroupBox:
        """The tick boxes, two columns, about six rows in view. Health details need consent,
        asked once the person is added: for a new person the boxes wait until then."""
        box = QGroupBox("Long-term conditions (optional)")
        layout = QVBoxLayout(box)
        ticks = QWidget()
        ticks.setAccessibleName("Long-term conditions")
        grid = QGridLayout(ticks)
        grid.setContentsMargins(0, 0, 0, 0)
        half = (len(self.conditions) + 1) // 2
        for n, tick in enumerate(self.conditions.values()):
            grid.addWidget(tick, n % half, n // half)
        area = self.conditions_area = QScrollArea()
        area.setWidget(ticks)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if self.conditions:
            row = next(iter(self.conditions.values())).sizeHint().height() + 6
            area.setMaximumHeight(min(half, 6) * row + 8)
        layout.addWidget(area)
        self.conditions_note = label(
            "Add the person and record their consent first: conditions are health details."
            if new else "Only those they have told you about.", "quiet")
        layout.addWidget(self.conditions_note)
        area.setEnabled(not new)
        return box

    def _line(self, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
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
        for key, tick in self.conditions.items():
            tick.setChecked(key in person.conditions)

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
        born = parse_date(self.date_of_birth.text(), "date_of_birth", example=EXAMPLE_BIRTH)
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
            **self._ticked(),
        }

    def _ticked(self) -> dict[str, Any]:
        """The conditions ticked; left out for a new person (asked once they consented), and
        for someone whose recorded conditions were not changed here (a key the scheme no longer
        lists stays as it was)."""
        if self.person is None:
            return {}
        ticked = {key for key, tick in self.conditions.items() if tick.isChecked()}
        kept = {key for key in self.person.conditions if key not in self.conditions}
        return {"conditions": tuple(sorted(ticked | kept))}

    def problems(self) -> list[ValidationError]:
        """Each field checked on its own by the person's rules (so every problem shows at once),
        then the whole person as the service will check it."""
        today = date.today()
        found: list[ValidationError] = []

        def check(name: str, value: Any) -> None:
            try:
                PEOPLE.check_value(name, value, today)
            except ValidationError as error:
                found.append(error)

        check("given_name", self.given_name.text().strip() or None)
        check("family_name", self.family_name.text().strip() or None)
        check("preferred_name", self.preferred_name.text().strip() or None)
        try:
            check("date_of_birth", parse_date(
                self.date_of_birth.text(), "date_of_birth", example=EXAMPLE_BIRTH))
        except ValidationError as error:
            found.append(error)
        typed = self.nhs_number.text().strip()
        if typed:
            try:
                NhsNumber.parse(typed)
            except ValidationError as error:
                found.append(error)
        check("gp_practice", self.gp_practice.text().strip())
        check("address", self.address.toPlainText().strip())
        check("postcode", self.postcode.text().strip())
        check("phone", self.phone.text().strip())
        check("email", self.email.text().strip())
        check("interpreter_language", self.interpreter.text().strip() or None)
        check("hearing_needs", self.hearing.text().strip() or None)
        check("sight_needs", self.sight.text().strip() or None)
        if found:
            return found
        try:
            # The domain checks everything on construction: the same rules the service applies.
            Person(id="checking", **self.fields())
        except ValidationError as error:
            return [error]
        return []

    def save(self) -> None:
        fields = self.fields()
        person = self.person

        def write(ws: Workspace) -> Changes:
            if person is None:
                return ws.people.create(**fields)
            return ws.people.update(person.id, **fields)

        self.session.write(write, self._saved, self.save_failed)

    def _saved(self, changes: Changes) -> None:
        self.saved_ok()
        self.saved.emit(changes)
