"""Changing a step's words or its target date (its progress history is kept separately)."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.people import Step

from sp_desktop.ui.fields import FormErrors, parse_date, typed_date
from sp_desktop.ui.style import heading, set_role


class StepDialog(QDialog):
    """`words` and `target_date` hold the edit once accepted."""

    def __init__(self, step: Step, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change a step")
        self.words = step.words
        self.target_date: date | None = step.target_date
        self.errors = FormErrors()
        self.words_edit = QLineEdit(step.words)
        self.words_edit.setAccessibleName("The step, in their words")
        self.date_edit = QLineEdit(typed_date(step.target_date))
        self.date_edit.setAccessibleName("By when (optional)")
        self.date_edit.setPlaceholderText("day/month/year")
        form = QFormLayout()
        form.addRow("In their words", self.errors.add("words", self.words_edit))
        form.addRow("By when", self.errors.add("target_date", self.date_edit))
        save = QPushButton("Save the change")
        set_role(save, "primary")
        save.setDefault(True)
        cancel = QPushButton("Cancel")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(save)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Change a step", 2))
        layout.addLayout(form)
        layout.addLayout(row)
        save.clicked.connect(self._save)
        cancel.clicked.connect(self.reject)
        self.setMinimumWidth(480)

    def _save(self) -> None:
        self.errors.clear()
        try:
            words = self.words_edit.text().strip()
            if not words:
                raise ValidationError("words", "Please write the step in their words.")
            self.target_date = parse_date(self.date_edit.text(), "target_date", required=False)
        except ValidationError as error:
            self.errors.show(error)
            return
        self.words = words
        self.accept()
