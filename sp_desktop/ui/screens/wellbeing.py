"""Any measure's questions as one form (exact published wording, answers as large buttons or a
count, 'prefers not to say', what each answer means and the change since the first time), and
the one "then and now" of every measure a person has answered.

The form is built from the measure's definition (resources/measures/): a new questionnaire
needs no code here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choices import AssessmentContext
from sp_desktop.domain.measures import (
    AnswerKind,
    Direction,
    Item,
    Measure,
    MeasureThenAndNow,
    Result,
    Sitting,
    measure,
)
from sp_desktop.domain.wellbeing import ONS4, Assessment, Ons4Item, Ons4Scores

from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.rating import DECLINED, RatingButtons, RatingValue
from sp_desktop.ui.style import heading, label, set_role


def _own_result(definition: Measure, item: Item) -> Result | None:
    """The result that is this item's answer alone (ONS4's items), if there is one."""
    for result in definition.results:
        if not result.summed and result.items[0].key == item.key:
            return result
    return None


def answer_words(item: Item, result: Result | None, value: RatingValue) -> str:
    """'Answer: 6 — medium.', 'Answer: Often.', 'Answer: 3.' — never a bare number alone."""
    if value is None:
        return "Not answered yet."
    if value == DECLINED:
        return "They preferred not to say."
    score = int(value)
    if item.kind is AnswerKind.CHOICE:
        return f"Answer: {item.labels[score]}."
    if result is not None and result.bands:
        extra = " (for this question, lower is better)" if result.better == "lower" else ""
        return f"Answer: {score} — {result.band(score)}{extra}."
    return f"Answer: {score}."


def change_words(
    item: Item, result: Result | None, first: Sitting | None, value: RatingValue
) -> str:
    """'First asked on …: 4 (low). Since then: better by 2.' — direction in words, not colour."""
    if first is None:
        return "This is their first time answering: later answers will be compared with it."
    before = first.answers.get(item.key)
    when = f"First asked on {nice_date(first.taken_on)}: "
    if before is None:
        when += "prefers not to say"
    elif item.kind is AnswerKind.CHOICE:
        when += item.labels[before]
    elif result is not None and result.bands:
        when += f"{before} ({result.band(before)})"
    else:
        when += str(before)
    if not isinstance(value, int) or result is None:
        return when + "."
    moved = result.compare(before, value)
    if moved is Direction.NOT_KNOWN:
        return when + ". No change can be given."
    if moved is Direction.SAME:
        return when + ". Since then: the same."
    if item.kind is AnswerKind.CHOICE:
        return f"{when}. Since then: {moved.value}."
    amount = abs(value - (before or 0))
    feeling = result.lower_words if value < (before or 0) else result.higher_words
    return f"{when}. Since then: {moved.value} by {amount}" + (f" ({feeling})." if feeling else ".")


class CountAnswer(QWidget):
    """A count (times in a period) with 'not known'. Signal: changed(value) as RatingButtons."""

    changed = Signal(object)

    def __init__(self, name: str, high: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.spin = QSpinBox()
        self.spin.setRange(-1, high)
        self.spin.setSpecialValueText("—")  # -1: not answered yet
        self.spin.setValue(-1)
        self.spin.setAccessibleName(f"{name}: how many")
        self.not_known = QCheckBox("Not known / prefers not to say")
        self.not_known.setAccessibleName(f"{name}: not known")
        # As RatingButtons has them, for code that walks every answer's buttons.
        self.decline_button: QPushButton | None = None
        self.buttons: list[QPushButton] = []
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.spin)
        row.addSpacing(12)
        row.addWidget(self.not_known)
        row.addStretch(1)
        self.spin.valueChanged.connect(self._spun)
        self.not_known.toggled.connect(self._declined)

    @property
    def value(self) -> RatingValue:
        if self.not_known.isChecked():
            return DECLINED
        return None if self.spin.value() < 0 else self.spin.value()

    def set_value(self, value: RatingValue) -> None:
        self.blockSignals(True)
        self.not_known.setChecked(value == DECLINED)
        self.spin.setValue(value if isinstance(value, int) else -1)
        self.spin.setEnabled(value != DECLINED)
        self.blockSignals(False)

    def set_read_only(self, read_only: bool) -> None:
        self.spin.setReadOnly(read_only)
        self.not_known.setEnabled(not read_only)

    def _spun(self, _value: int) -> None:
        self.changed.emit(self.value)

    def _declined(self, checked: bool) -> None:
        self.spin.setEnabled(not checked)
        self.changed.emit(self.value)


class QuestionBox(QGroupBox):
    """One question with its answers and what the answer means."""

    def __init__(self, definition: Measure, item: Item) -> None:
        super().__init__(item.plain_label)
        self.item = item
        self.result = _own_result(definition, item)
        self.first: Sitting | None = None
        self.question = label(item.question)
        self.question.setAccessibleName(item.question)
        self.rating: RatingButtons | CountAnswer
        if item.kind is AnswerKind.COUNT:
            self.rating = CountAnswer(item.plain_label, item.high)
        else:
            choice = item.kind is AnswerKind.CHOICE
            self.rating = RatingButtons(
                item.plain_label,
                low="" if choice else item.labels.get(item.low, ""),
                high="" if choice else item.labels.get(item.high, ""),
                allow_decline=True,
                values=item.values,
                options=item.labels if choice else None,
            )
        self.meaning = label(answer_words(item, self.result, None))
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
        self.meaning.setText(answer_words(self.item, self.result, value))
        self.change.setText(change_words(self.item, self.result, self.first, value))


class MeasureForm(QWidget):
    """One measure's questions in its order. Signals: changed(), save_requested()."""

    changed = Signal()
    save_requested = Signal()

    def __init__(self, definition: Measure, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.measure = definition
        self.preamble = label(definition.preamble, "notice")
        self.preamble.setAccessibleName("Read this out first")
        self.look_back = label("", "notice")
        self.look_back.setVisible(definition.look_back is not None)
        self.licence = label(definition.licence_note, "quiet")
        self.licence.setAccessibleName("Licence")
        self.licence.setVisible(definition.registration_required)
        self.boxes: dict[str, QuestionBox] = {
            item.key: QuestionBox(definition, item) for item in definition.items
        }
        self.total = label("", "quiet")
        self.total.setAccessibleName("What the answers add up to")
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
        if definition.preamble:
            layout.addWidget(label("Read this out first:", "quiet"))
            layout.addWidget(self.preamble)
        else:
            self.preamble.hide()
        layout.addWidget(self.look_back)
        layout.addWidget(self.licence)
        for box in self.boxes.values():
            layout.addWidget(box)
            box.rating.changed.connect(self._answered)
        layout.addWidget(self.total)
        row = QHBoxLayout()
        row.addWidget(self.saved_note, 1)
        row.addWidget(self.why_disabled, 1)
        row.addWidget(self.again_button)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.save_button.clicked.connect(self.save_requested)
        self.again_button.clicked.connect(self._ask_again)
        self.set_context(AssessmentContext.BASELINE)
        self._update_button()

    def set_context(self, context: AssessmentContext) -> None:
        """Counts cover the six months before the referral at first, the time since later."""
        look_back = self.measure.look_back
        if look_back is not None:
            when = look_back.baseline if context is AssessmentContext.BASELINE else look_back.later
            self.look_back.setText(f"{when}:")

    def set_first_sitting(self, first: Sitting | None) -> None:
        for box in self.boxes.values():
            box.first = first
            box.explain()

    def answers(self) -> dict[str, RatingValue]:
        return {key: box.rating.value for key, box in self.boxes.items()}

    def set_answers(self, answers: Mapping[str, RatingValue]) -> None:
        for key, box in self.boxes.items():
            box.rating.set_value(answers.get(key))
            box.explain()
        self._update_button()

    @property
    def complete(self) -> bool:
        return all(v is not None for v in self.answers().values())

    @property
    def started(self) -> bool:
        return any(v is not None for v in self.answers().values())

    def given(self) -> dict[str, int | None]:
        """'Prefers not to say' is stored as no answer — never as a zero."""
        return {k: (v if isinstance(v, int) else None) for k, v in self.answers().items()}

    def show_saved_sitting(self, sitting: Sitting | None) -> None:
        """After saving (or opening a visit that has answers): shown, not editable."""
        self.is_saved = sitting is not None
        if sitting is None:
            self.saved_note.hide()
            self.again_button.hide()
            self._set_read_only(False)
            self._update_button()
            return
        self.set_answers(
            {
                key: DECLINED if sitting.answers.get(key) is None else sitting.answers.get(key)
                for key in self.boxes
            }
        )
        self.saved_note.setText(f"Saved on {nice_date(sitting.taken_on)}.")
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
        """A second sitting is a new fact; the saved one is kept as it was."""
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
        self._show_total()

    def _show_total(self) -> None:
        """A summed result (SWEMWBS, WHO-5, UCLA-3) in words once every answer is in."""
        parts = []
        given = self.given()
        for result in self.measure.results:
            if not result.summed:
                continue
            if not self.complete:
                continue
            score = result.score(given)
            if score is None:
                parts.append(f"{result.label}: no score ({self.measure.missing})")
            else:
                words = result.words(score)
                parts.append(f"{result.label}: {result.number(score)} — {words}.")
        self.total.setText(" ".join(parts))
        self.total.setVisible(bool(parts))


class WellbeingForm(MeasureForm):
    """ONS4's form, with the typed answers the screens written around it use."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(measure(ONS4), parent)

    def set_first(self, first: Assessment | None) -> None:
        self.set_first_sitting(None if first is None else _sitting_of(first))

    def scores(self) -> Ons4Scores:
        return Ons4Scores.from_answers(self.given())

    def show_saved(self, assessment: Assessment | None) -> None:
        self.show_saved_sitting(None if assessment is None else _sitting_of(assessment))


def _sitting_of(assessment: Assessment) -> Sitting:
    return Sitting(
        assessment.id,
        assessment.person_id,
        ONS4,
        assessment.assessed_on,
        assessment.context,
        {item.value: assessment.scores.score(item) for item in Ons4Item},
    )


def first_of(history: Sequence[Assessment]) -> Assessment | None:
    return history[0] if history else None


class ThenAndNowPanel(QWidget):
    """Every measure the person has answered: then (first) and now (latest), in sentences."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Then and now")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.empty = label("No questionnaires answered yet.", "quiet")
        self._layout.addWidget(self.empty)
        self._shown: list[QWidget] = []

    def show_measures(self, measures: Sequence[MeasureThenAndNow]) -> None:
        for widget in self._shown:
            self._layout.removeWidget(widget)
            widget.deleteLater()
        self._shown = []
        self.empty.setVisible(not measures)
        for found in measures:
            title = heading(found.measure.title, 3)
            first = found.first
            when = (
                f"First answered {nice_date(first.taken_on)}; latest "
                f"{nice_date(found.latest.taken_on)}."
                if first is not None
                else f"Answered {nice_date(found.latest.taken_on)}."
            )
            lines = [when, *(line.sentence for line in found.lines)]
            body = label("\n".join(lines))
            for widget in (title, body):
                self._layout.addWidget(widget)
                self._shown.append(widget)

    def text(self) -> str:
        """What the panel says, for tests and the screen reader's summary."""
        return "\n".join(w.text() for w in self._shown if hasattr(w, "text"))
