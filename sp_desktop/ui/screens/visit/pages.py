"""The visit's pages of conversation: one per life domain (notes and concerns) and the steps."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.errors import ValidationError
from sp_desktop.services.resources import LifeDomain

from sp_desktop.ui.fields import DateField, FieldWithError, form_row, parse_date
from sp_desktop.ui.models.concerns import ConcernsModel
from sp_desktop.ui.models.steps import StepsModel
from sp_desktop.ui.rating import RatingButtons
from sp_desktop.ui.style import heading, label


def _notes_box(name: str, lines: int = 6) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(name)
    box.setTabChangesFocus(True)
    # Tall enough to see what was said, short enough to keep the concern form in view.
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 16)
    return box


class DomainPage(QWidget):
    """One life domain: prompts to guide the talk, notes, and concerns in their own words.

    Signals: add_concern(domain, words, severity), rate_concern(concern_id), changed().
    """

    add_concern = Signal(str, str, int)
    rate_concern = Signal(str)
    changed = Signal()

    def __init__(self, domain: LifeDomain) -> None:
        super().__init__()
        self.domain = domain
        self.notes = _notes_box(f"Notes: {domain.title}")
        self.notes.setPlaceholderText("What they said, in their words where you can.")
        self.notes_field = FieldWithError(self.notes)
        self.concerns = ConcernsModel(domain.key)
        self.concern_list = QListView()
        self.concern_list.setModel(self.concerns)
        self.concern_list.setAccessibleName(f"Concerns: {domain.title}")
        self.concern_list.setWordWrap(True)
        self.concern_list.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.rate_button = QPushButton("Rate a concern again…")
        self.concern_words = QLineEdit()
        self.concern_words.setAccessibleName(f"New concern, in their words: {domain.title}")
        self.concern_words.setPlaceholderText("What worries them, in their own words")
        self.words_field = FieldWithError(self.concern_words)
        self.severity = RatingButtons(
            "How much does this worry them", low="not at all", high="very much"
        )
        self.add_button = QPushButton("Add this concern")
        prompts = label("\n".join(f"•  {p}" for p in domain.prompts), "quiet")
        prompts.setAccessibleName(f"Prompts: {' '.join(domain.prompts)}")
        concern_box = QGroupBox("Concerns, in their words")
        concern_layout = QVBoxLayout(concern_box)
        concern_layout.addWidget(self.concern_list)
        concern_layout.addWidget(self.rate_button, 0, Qt.AlignmentFlag.AlignLeft)
        concern_layout.addWidget(label("Add a concern:", "quiet"))
        concern_layout.addWidget(self.words_field)
        concern_layout.addWidget(label("How much does it worry them? (they choose)", "quiet"))
        rate_row = QHBoxLayout()
        rate_row.addWidget(self.severity, 1)
        rate_row.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)
        concern_layout.addLayout(rate_row)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(domain.title, 2))
        layout.addWidget(label("You might ask:", "quiet"))
        layout.addWidget(prompts)
        layout.addWidget(label("Notes", "quiet"))
        layout.addWidget(self.notes_field)
        layout.addWidget(concern_box)
        layout.addStretch(1)
        self.notes.textChanged.connect(self.changed)
        self.concern_words.textChanged.connect(self.changed)
        self.concern_words.textEdited.connect(lambda _t: self.words_field.clear_error())
        self.severity.changed.connect(lambda _v: self.changed.emit())
        self.severity.changed.connect(lambda _v: self.words_field.clear_error())
        self.add_button.clicked.connect(self._add)
        self.concern_words.returnPressed.connect(self._add)
        self.rate_button.clicked.connect(self._rate)

    def _add(self) -> None:
        words = self.concern_words.text().strip()
        severity = self.severity.value
        if not words:
            self.words_field.show_error("Please write the concern in their words.")
            self.concern_words.setFocus()
            return
        if not isinstance(severity, int):
            self.words_field.show_error("Please ask how much it worries them, from 0 to 10.")
            self.severity.buttons[0].setFocus()
            return
        self.add_concern.emit(self.domain.key, words, severity)

    def concern_added(self) -> None:
        self.concern_words.clear()
        self.severity.set_value(None)
        self.words_field.clear_error()  # mended: the concern is in

    def _rate(self) -> None:
        index = self.concern_list.currentIndex()
        if not index.isValid() and self.concerns.rowCount():
            index = self.concerns.index(0, 0)
        if index.isValid():
            self.rate_concern.emit(self.concerns.concern(index.row()).id)

    def set_read_only(self, read_only: bool) -> None:
        self.notes.setReadOnly(read_only)
        for widget in (self.concern_words, self.add_button, self.rate_button, self.severity):
            widget.setEnabled(not read_only)


class StepsPage(QWidget):
    """Steps agreed with the person (carried across visits), with progress and its history.

    Signals: add_step(words, target_date or None), edit_step(step_id), rate_step(step_id),
    changed().
    """

    add_step = Signal(str, object)
    edit_step = Signal(str)
    rate_step = Signal(str)
    prescribe = Signal()
    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.model = StepsModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Their steps")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(self.fontMetrics().height() * 8)
        self.edit_button = QPushButton("Change the step…")
        self.rate_button = QPushButton("Rate progress…")
        self.words = QLineEdit()
        self.words.setAccessibleName("New step, in their words")
        self.words.setPlaceholderText("for example: “Go to the Tuesday lunch club with Mary”")
        self.words_field = FieldWithError(self.words)
        self.by_when = DateField(name="By when (optional)", optional=True)  # typed or picked
        self.date_field = FieldWithError(self.by_when)
        self.add_button = QPushButton("Add this step")
        # Prescribing belongs to the conversation: the directory, with this person in mind.
        self.prescribe_button = QPushButton("Prescribe activities…")
        self.prescribe_button.setToolTip("Choose activities from the directory for them")
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.rate_button)
        buttons.addStretch(1)
        buttons.addWidget(self.prescribe_button)
        form = QFormLayout()
        form_row(form, "The step, in their words", self.words_field)  # label names the box
        form_row(form, "By when", self.date_field)
        new_box = QGroupBox("Add a step")
        new_layout = QVBoxLayout(new_box)
        new_layout.addLayout(form)
        new_layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Steps", 2))
        layout.addWidget(
            label(
                "Small steps they choose themselves, in their own words. Progress is rated "
                "from 0 (not started) to 10 (done); every rating is kept.",
                "quiet",
            )
        )
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(new_box)
        layout.addStretch(1)
        self.words.textChanged.connect(self.changed)
        self.by_when.textChanged.connect(self.changed)
        self.words.textEdited.connect(lambda _t: self.words_field.clear_error())
        self.by_when.textEdited.connect(lambda _t: self.date_field.clear_error())
        self.add_button.clicked.connect(self._add)
        self.prescribe_button.clicked.connect(self.prescribe)
        self.words.returnPressed.connect(self._add)
        self.by_when.returnPressed.connect(self._add)
        self.edit_button.clicked.connect(lambda: self._selected(self.edit_step))
        self.rate_button.clicked.connect(lambda: self._selected(self.rate_step))
        self.table.doubleClicked.connect(lambda _i: self._selected(self.rate_step))

    def _add(self) -> None:
        words = self.words.text().strip()
        if not words:
            self.words_field.show_error("Please write the step in their words.")
            self.words.setFocus()
            return
        try:
            target = parse_date(self.by_when.text(), "target_date", required=False)
        except ValidationError as error:
            self.date_field.show_error(error.message)
            self.by_when.setFocus()
            return
        self.add_step.emit(words, target)

    def step_added(self) -> None:
        self.words.clear()
        self.by_when.clear()
        self.words.setFocus()

    def _selected(self, signal: Any) -> None:
        index = self.table.currentIndex()
        if not index.isValid() and self.model.rowCount():
            index = self.model.index(self.model.rowCount() - 1, 0)
        if index.isValid():
            signal.emit(self.model.step(index.row()).id)

    def set_read_only(self, read_only: bool) -> None:
        for widget in (self.words, self.by_when, self.add_button, self.edit_button):
            widget.setEnabled(not read_only)
        self.rate_button.setEnabled(not read_only)
