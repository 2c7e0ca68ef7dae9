"""The closing review: exit wellbeing, last ratings of steps and concerns, how it ended, and
whether the person carries on with their activities."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choices import AssessmentContext, ClosingOutcome
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.measures import catalogue
from sp_desktop.domain.wellbeing import ONS4, Ons4Scores
from sp_desktop.services.closing import ClosingFacts
from sp_desktop.services.settings import MEASURES_AT_EXIT, measure_keys
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import DateField, parse_date
from sp_desktop.ui.fit import fit_to_screen, scrolling, text_size
from sp_desktop.ui.form import FormDialog
from sp_desktop.ui.rating import RatingButtons
from sp_desktop.ui.screens.wellbeing import MeasureForm, WellbeingForm
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label


class ClosingReviewDialog(FormDialog):
    """Call `load()` after creating it. Signal: saved(Changes). Enter closes the case (once
    loaded); every problem shows at once; closing with changes made asks first."""

    saved = Signal(object)

    def __init__(
        self, session: Session, person_id: str, person_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id = person_id
        self.setWindowTitle(f"Closing review for {person_name}")

        self.closed_on = DateField(date.today(), name="Closed on")
        self.outcome = QComboBox()
        self.outcome.setAccessibleName("How the journey ended")
        for outcome in ClosingOutcome:
            self.outcome.addItem(outcome.label, outcome.value)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for closing")
        self.reason.setPlaceholderText("In a few words; for re-referral, say where to")
        outcome_form = QFormLayout()
        self.add_field(outcome_form, "Closed on", "closed_on", self.closed_on)
        self.add_field(outcome_form, "How it ended", "outcome", self.outcome)
        self.add_field(outcome_form, "Reason", "reason", self.reason)

        self.wellbeing = WellbeingForm()
        self.wellbeing.save_button.hide()
        self.wellbeing.why_disabled.hide()  # this dialog's own button says why
        self.no_wellbeing = QCheckBox("They did not want to answer the wellbeing questions")
        wellbeing_box = QGroupBox("Wellbeing now (the same four questions as at the start)")
        wellbeing_layout = QVBoxLayout(wellbeing_box)
        wellbeing_layout.addWidget(self.no_wellbeing)
        wellbeing_layout.addWidget(self.errors.add("exit_scores", self.wellbeing))
        self.watch(self.no_wellbeing)
        self.wellbeing.changed.connect(lambda *_a: self.recheck())
        # Any other questionnaire the scheme asks at the end (Settings), one form each.
        self.exit_forms: dict[str, MeasureForm] = {}
        for key in measure_keys(session.settings.get(MEASURES_AT_EXIT)):
            definition = catalogue().get(key)
            if definition is None or key == ONS4:
                continue
            form = MeasureForm(definition)
            form.set_context(AssessmentContext.EXIT)
            form.save_button.hide()
            form.why_disabled.hide()
            form.changed.connect(lambda *_a: self.recheck())
            self.exit_forms[key] = form
            wellbeing_layout.addWidget(heading(definition.title, 3))
            wellbeing_layout.addWidget(self.errors.add(f"exit_{key}", form))

        self.steps_box = QGroupBox("Their steps: how far they got")
        self.steps_layout = QVBoxLayout(self.steps_box)
        self.concerns_box = QGroupBox("What worried them: how much now")
        self.concerns_layout = QVBoxLayout(self.concerns_box)
        self.activities_box = QGroupBox("Their activities: will they carry on?")
        self.activities_layout = QVBoxLayout(self.activities_box)
        self.step_ratings: dict[str, RatingButtons] = {}
        self.concern_ratings: dict[str, RatingButtons] = {}
        self.carries_on: dict[str, QCheckBox] = {}

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addLayout(outcome_form)
        body_layout.addWidget(self.activities_box)
        body_layout.addWidget(wellbeing_box)
        body_layout.addWidget(self.steps_box)
        body_layout.addWidget(self.concerns_box)
        scroll = scrolling(body)

        buttons = self.button_row("Close the case")
        self.save_button = self.main_button
        self.set_main_enabled(False, "Reading their steps, concerns and activities…")
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.windowTitle(), 2))
        layout.addWidget(
            label(
                "Closing ends their activities and any follow-ups still open. "
                "Their record stays, and a new referral starts a new journey.",
                "quiet",
            )
        )
        layout.addWidget(self.top_error)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.no_wellbeing.toggled.connect(self.wellbeing.setDisabled)
        fit_to_screen(self, text_size(self, 110, 44))

    def load(self) -> None:
        person_id = self.person_id

        def read(ws: Workspace) -> ClosingFacts:
            return ws.closing.facts(person_id)

        self.session.read(read, self._loaded, lambda e: show_error(self, e))

    def _loaded(self, facts: ClosingFacts) -> None:
        self.wellbeing.set_first(facts.first_assessment)
        for step in facts.steps:
            rating = RatingButtons(f"Progress: {step.words}", low="not started", high="done it")
            rating.set_value(step.progress)
            self.step_ratings[step.id] = rating
            self.steps_layout.addWidget(label(step.words))
            self.steps_layout.addWidget(rating)
        if not facts.steps:
            self.steps_layout.addWidget(label("No steps were agreed.", "quiet"))
        for concern in facts.concerns:
            rating = RatingButtons(
                f"How much it worries them now: {concern.words}",
                low="not at all",
                high="extremely",
            )
            rating.set_value(concern.severity)
            self.concern_ratings[concern.id] = rating
            self.concerns_layout.addWidget(label(concern.words))
            self.concerns_layout.addWidget(rating)
        if not facts.concerns:
            self.concerns_layout.addWidget(label("No concerns were recorded.", "quiet"))
        for details in facts.activities:
            box = QCheckBox(f"Carries on with {details.service.name} after the prescription")
            box.setChecked(bool(details.prescription.carries_on))
            self.carries_on[details.prescription.id] = box
            self.activities_layout.addWidget(box)
        if not facts.activities:
            self.activities_layout.addWidget(label("No activities were prescribed.", "quiet"))
        self.set_main_enabled(True)
        self.mark_clean()
        self.outcome.setFocus()

    def _ratings(self, ratings: dict[str, RatingButtons]) -> dict[str, int]:
        return {key: r.value for key, r in ratings.items() if isinstance(r.value, int)}

    def problems(self) -> list[ValidationError]:
        found: list[ValidationError] = []
        try:
            parse_date(self.closed_on.text(), "closed_on")
        except ValidationError as error:
            found.append(error)
        if not self.no_wellbeing.isChecked() and not self.wellbeing.complete:
            found.append(
                ValidationError(
                    "exit_scores",
                    "Please finish the wellbeing questions (each can be 'prefers not to say'), "
                    "or tick that they did not want to answer them.",
                )
            )
        for key, form in self.exit_forms.items():
            if form.started and not form.complete:
                found.append(
                    ValidationError(
                        f"exit_{key}",
                        f"Please finish the {form.measure.short_title} questions (each can be "
                        "'prefers not to say'), or leave them all blank.",
                    )
                )
        return found

    def save(self) -> None:
        closed_on = parse_date(self.closed_on.text(), "closed_on")
        assert closed_on is not None
        person_id = self.person_id
        outcome = ClosingOutcome(self.outcome.currentData())
        reason = self.reason.text()
        scores: Ons4Scores | None = (
            None if self.no_wellbeing.isChecked() else self.wellbeing.scores()
        )
        steps = self._ratings(self.step_ratings)
        concerns = self._ratings(self.concern_ratings)
        carrying = [pid for pid, box in self.carries_on.items() if box.isChecked()]
        others = {key: form.given() for key, form in self.exit_forms.items() if form.complete}

        def write(ws: Workspace) -> Changes:
            return ws.closing.close_case(
                person_id,
                closed_on,
                outcome,
                reason=reason,
                exit_scores=scores,
                exit_answers=others,
                step_progress=steps,
                concern_severity=concerns,
                carries_on=carrying,
            )

        self.session.write(write, self._saved, self.save_failed)

    def _saved(self, changes: Changes) -> None:
        self.saved_ok()
        self.saved.emit(changes)
