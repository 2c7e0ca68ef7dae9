"""Changing a step's words or its target date (its progress history is kept separately)."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QFormLayout, QLineEdit, QVBoxLayout, QWidget

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.people import Step

from sp_desktop.ui.fields import DateField, parse_date
from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.form import FormDialog
from sp_desktop.ui.style import heading


class StepDialog(FormDialog):
    """`words` and `target_date` hold the edit once accepted. Enter saves the change; closing
    with a change typed asks first."""

    def __init__(self, step: Step, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change a step")
        self.words = step.words
        self.target_date: date | None = step.target_date
        self.words_edit = QLineEdit(step.words)
        self.date_edit = DateField(step.target_date, name="By when (optional)", optional=True)
        form = QFormLayout()
        self.add_field(form, "The step, in their words", "words", self.words_edit)
        self.add_field(form, "By when (optional)", "target_date", self.date_edit)
        row = self.button_row("Save the change")
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Change a step", 2))
        layout.addWidget(self.top_error)
        layout.addLayout(form)
        layout.addLayout(row)
        self.setMinimumWidth(480)
        self.mark_clean()
        fit_to_screen(self)

    def problems(self) -> list[ValidationError]:
        found: list[ValidationError] = []
        if not self.words_edit.text().strip():
            found.append(ValidationError("words", "Please write the step in their words."))
        try:
            parse_date(self.date_edit.text(), "target_date", required=False)
        except ValidationError as error:
            found.append(error)
        return found

    def save(self) -> None:
        self.words = self.words_edit.text().strip()
        self.target_date = parse_date(self.date_edit.text(), "target_date", required=False)
        self.saved_ok()
