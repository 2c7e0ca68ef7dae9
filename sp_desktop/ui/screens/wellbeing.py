"""The ONS4 wellbeing questions: exact ONS wording, 0-10 as large buttons, 'prefers not to say',
the band in words and the change since the first assessment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from sp_desktop.domain.wellbeing import (
    Assessment,
    Direction,
    ItemChange,
    Ons4Item,
    Ons4Scores,
    band,
)
from sp_desktop.services.resources import Ons4Question, ons4_questionnaire

from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.rating import DECLINED, RatingButtons, RatingValue
from sp_desktop.ui.style import label, set_role


def answer_words(item: Ons4Item, value: RatingValue) -> str:
    if value is None:
        return "Not answered yet."
    if value == DECLINED:
        return "They preferred not to say."
    score = int(value)
    extra = " (for this question, lower is better)" if item.lower_is_better else ""
    return f"Answer: {score} — {band(item, score)}{extra}."


def change_words(item: Ons4Item, first: Assessment | None, value: RatingValue) -> str:
    """'First asked on …: 4 (low). Since then: better by 2.' — direction in words, not colour."""
    if first is None:
        return "This is their first time answering: later answers will be compared with it."
    before = first.scores.score(item)
    when = f"First asked on {nice_date(first.assessed_on)}: "
    when += "prefers not to say" if before is None else f"{before} ({band(item, before)})"
    if not isinstance(value, int):
        return when + "."
    after = int(value)
    moved = ItemChange(item, before, after)
    if moved.direction is None:
        return when + ". No change can be given."
    if moved.direction is Direction.SAME:
        return when + ". Since then: the same."
    amount = abs(moved.difference or 0)
    feeling = ""
    if item.lower_is_better:
        feeling = " (less anxious)" if moved.direction is Direction.BETTER else " (more anxious)"
    return f"{when}. Since then: {moved.direction.value} by {amount}{feeling}."


class QuestionBox(QGroupBox):
    """One ONS question with its buttons and what the answer means."""

    def __init__(self, question: Ons4Question) -> None:
        super().__init__(question.plain_label)
        self.item = question.item
        self.first: Assessment | None = None
        self.question = label(question.question)
        self.question.setAccessibleName(question.question)
        self.rating = RatingButtons(
            question.plain_label,
            low=question.low_anchor,
            high=question.high_anchor,
            allow_decline=True,
        )
        self.meaning = label(answer_words(self.item, None))
        self.change = label("", "quiet")
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.rating)
        layout.addWidget(self.meaning)
        layout.addWidget(self.change)
        self.rating.changed.connect(lambda _v: self.explain())
        self.explain()

    def explain(self) -> None:
        value = self.rating.value
        self.meaning.setText(answer_words(self.item, value))
        self.change.setText(change_words(self.item, self.first, value))


class WellbeingForm(QWidget):
    """The four questions in ONS order. Signals: changed(), save_requested()."""

    changed = Signal()
    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        questionnaire = ons4_questionnaire()
        self.preamble = label(questionnaire.preamble, "notice")
        self.preamble.setAccessibleName("Read this out first")
        self.boxes = {q.item: QuestionBox(q) for q in questionnaire.questions}
        self.saved_note = label("", "notice")
        self.saved_note.hide()
        self.save_button = QPushButton("Save these answers")
        set_role(self.save_button, "primary")
        self.save_button.setEnabled(False)
        self.again_button = QPushButton("Ask them again")
        self.again_button.hide()
        # Says why "Save these answers" cannot be pressed yet (a greyed button alone does not).
        self.why_disabled = label("", "quiet")
        self.why_disabled.setAccessibleName("Why the answers cannot be saved yet")
        self.is_saved = False
        layout = QVBoxLayout(self)
        layout.addWidget(label("Read this out first:", "quiet"))
        layout.addWidget(self.preamble)
        for box in self.boxes.values():
            layout.addWidget(box)
            box.rating.changed.connect(self._answered)
        row = QHBoxLayout()
        row.addWidget(self.saved_note, 1)
        row.addWidget(self.why_disabled, 1)
        row.addWidget(self.again_button)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.save_button.clicked.connect(self.save_requested)
        self.again_button.clicked.connect(self._ask_again)
        self._update_button()

    def set_first(self, first: Assessment | None) -> None:
        for box in self.boxes.values():
            box.first = first
            box.explain()

    def answers(self) -> dict[str, RatingValue]:
        return {item.value: box.rating.value for item, box in self.boxes.items()}

    def set_answers(self, answers: Mapping[str, RatingValue]) -> None:
        for item, box in self.boxes.items():
            box.rating.set_value(answers.get(item.value))
            box.explain()
        self._update_button()

    @property
    def complete(self) -> bool:
        return all(v is not None for v in self.answers().values())

    @property
    def started(self) -> bool:
        return any(v is not None for v in self.answers().values())

    def scores(self) -> Ons4Scores:
        """'Prefers not to say' is stored as no answer — never as a zero."""
        values = {k: (v if isinstance(v, int) else None) for k, v in self.answers().items()}
        return Ons4Scores(**values)

    def show_saved(self, assessment: Assessment | None) -> None:
        """After saving (or opening a visit that has answers): shown, not editable."""
        self.is_saved = assessment is not None
        if assessment is None:
            self.saved_note.hide()
            self.again_button.hide()
            self._set_read_only(False)
            self._update_button()
            return
        self.set_answers(
            {
                item.value: (
                    DECLINED
                    if assessment.scores.score(item) is None
                    else assessment.scores.score(item)
                )
                for item in Ons4Item
            }
        )
        self.saved_note.setText(f"Saved on {nice_date(assessment.assessed_on)}.")
        self.saved_note.show()
        self.again_button.show()
        self._update_button()
        self._set_read_only(True)

    def set_read_only(self, read_only: bool) -> None:
        self._set_read_only(read_only)
        self.save_button.setVisible(not read_only)
        self.again_button.setVisible(False)
        self._update_button()

    def _set_read_only(self, read_only: bool) -> None:
        for box in self.boxes.values():
            box.rating.set_read_only(read_only)

    def _ask_again(self) -> None:
        """A second assessment is a new fact; the saved one is kept as it was."""
        self.is_saved = False
        self.saved_note.hide()
        self.again_button.hide()
        self._set_read_only(False)
        self.set_answers({})
        self.changed.emit()

    def _answered(self, _value: RatingValue) -> None:
        self._update_button()
        self.changed.emit()

    def _update_button(self) -> None:
        ready = self.complete and not self.is_saved
        self.save_button.setEnabled(ready)
        why = ""
        if not ready and not self.is_saved:
            left = sum(1 for v in self.answers().values() if v is None)
            why = (
                f"{left} question{'s' if left != 1 else ''} still to answer before saving "
                "(each can be 'prefers not to say')."
            )
        self.why_disabled.setText(why)
        self.why_disabled.setVisible(bool(why) and self.save_button.isVisibleTo(self))
        self.save_button.setToolTip(why)
        self.save_button.setAccessibleDescription(why)


def first_of(history: Sequence[Assessment]) -> Assessment | None:
    return history[0] if history else None
