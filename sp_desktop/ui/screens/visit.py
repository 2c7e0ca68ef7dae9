"""The home visit: a guided conversation through the life domains, what matters to the person,
their steps and the wellbeing questions; finishing shows a summary and signs it.

Whatever is typed is autosaved as a draft inside the encrypted store within a few seconds, so a
laptop that dies mid-sentence loses nothing: the next unlock offers to carry on exactly there.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choices import VisitPlace
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.people import Concern, Rating, Step
from sp_desktop.domain.rows import VISITS, check_notes
from sp_desktop.domain.wellbeing import Assessment, AssessmentContext, Ons4Item, band
from sp_desktop.services.resources import LifeDomain, conversation_guide, ons4_questionnaire
from sp_desktop.services.visit_summary import VisitSummary, visit_draft_key, visit_summary
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.dialogs.correction import CorrectionDialog
from sp_desktop.ui.dialogs.rate import RateDialog
from sp_desktop.ui.dialogs.step import StepDialog
from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import DateField, FieldWithError, form_row, nice_date, parse_date
from sp_desktop.ui.keys import focus_first_field
from sp_desktop.ui.models.concerns import ConcernsModel
from sp_desktop.ui.models.steps import StepsModel
from sp_desktop.ui.rating import RatingButtons, RatingValue
from sp_desktop.ui.screens.wellbeing import WellbeingForm, change_words
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

AUTOSAVE_MS = 2000  # the first unsaved keystroke reaches the store within this (target: 3 s)
DRAFT_VERSION = 1


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


def summary_html(
    summary: VisitSummary, notes: dict[str, str], what_matters: str, pending: str = ""
) -> str:
    """The visit as it will be signed, in plain words (scores always with their band)."""
    visit = summary.record.visit
    esc = html.escape
    parts = [
        f"<h2>{esc(visit.place.label)} visit with {esc(summary.person.display_name)}</h2>",
        f"<p>{esc(nice_date(visit.visit_date))}. "
        + (
            f"Signed by {esc(visit.signed_by or '')}. This record cannot be changed."
            if summary.signed
            else "Not signed yet."
        )
        + "</p>",
    ]
    if pending:
        parts.append(f"<p><b>Please note:</b> {esc(pending)}</p>")
    parts.append("<h3>What matters to them</h3>")
    parts.append(f"<p>{esc(what_matters) or '<i>Nothing written.</i>'}</p>")
    concerns_here = [c for c in summary.concerns if c.visit_id == visit.id]
    parts.append("<h3>The conversation</h3>")
    talked = False
    for domain in conversation_guide().domains:
        text = notes.get(domain.key, "").strip()
        mine = [c for c in concerns_here if c.domain == domain.key]
        if not text and not mine:
            continue
        talked = True
        parts.append(f"<h4>{esc(domain.title)}</h4>")
        if text:
            parts.append("<p>" + esc(text).replace("\n", "<br>") + "</p>")
        if mine:
            parts.append("<ul>")
            parts.extend(
                f"<li>Concern: “{esc(c.words)}” — worries them {c.severity} out of 10</li>"
                for c in mine
            )
            parts.append("</ul>")
    if not talked:
        parts.append("<p><i>No notes or concerns yet.</i></p>")
    parts.append("<h3>Their steps so far</h3>")
    if summary.steps:
        parts.append("<ul>")
        for step in summary.steps:
            by_when = f", by {esc(nice_date(step.target_date))}" if step.target_date else ""
            progress = f"progress {step.progress} out of 10"
            parts.append(f"<li>{esc(step.words)}{by_when} — {progress}</li>")
        parts.append("</ul>")
    else:
        parts.append("<p><i>No steps yet.</i></p>")
    parts.append("<h3>Wellbeing</h3>")
    parts.append(_wellbeing_html(summary.assessment_of_visit, summary.first_assessment))
    if summary.record.addenda:
        # Under the signed record, never in place of it: who corrected what, and when.
        parts.append("<h3>Corrections added since it was signed</h3>")
        for addendum in summary.record.addenda:
            parts.append(
                f"<p><b>Correction by {esc(addendum.written_by)}, "
                f"{esc(nice_date(addendum.written_on))}:</b><br>"
                + esc(addendum.words).replace("\n", "<br>") + "</p>"
            )
    return "\n".join(parts)


def _wellbeing_html(assessment: Assessment | None, first: Assessment | None) -> str:
    if assessment is None:
        return "<p><i>The wellbeing questions were not answered at this visit.</i></p>"
    rows = ["<ul>"]
    compare = first if first is not None and first.id != assessment.id else None
    for question in ons4_questionnaire().questions:
        score = assessment.scores.score(question.item)
        answer = scores_line(question.item, score)
        change = change_words(question.item, compare, score) if compare else ""
        rows.append(
            f"<li>{html.escape(question.plain_label)}: {answer}. {html.escape(change)}</li>"
        )
    rows.append("</ul>")
    return "".join(rows)


class VisitScreen(QWidget):
    """Signals: closed(person_id) — back to the person; signed(person_id)."""

    closed = Signal(str)
    signed = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.summary: VisitSummary | None = None
        self._loading = False
        self._last_draft: dict[str, Any] | None = None
        self._persisted: tuple[dict[str, str], str] | None = None
        self.guide = conversation_guide()
        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self.save_draft)

        self.title = heading("", 1)
        self.when = label("", "quiet")
        self.saved_state = label("", "quiet", wrap=False)
        self.saved_state.setAccessibleName("Autosave")
        self.close_button = QPushButton("Close for now")
        self.close_button.setToolTip("Keeps everything; you can carry on later")

        self.sections = QListWidget()
        self.sections.setObjectName("sections")
        self.sections.setAccessibleName("Parts of the visit")
        self.pages = QStackedWidget()
        self.opening = self._opening_page()
        self.domain_pages = [DomainPage(d) for d in self.guide.domains]
        self.what_matters = _notes_box("What matters to them", lines=8)
        self.what_matters.setPlaceholderText("In their words: what matters most to them now?")
        self.what_matters_field = FieldWithError(self.what_matters)
        self.steps = StepsPage()
        self.wellbeing = WellbeingForm()
        self.finish_view = QTextBrowser()
        self.finish_view.setAccessibleName("Summary of the visit")
        self.sign_button = QPushButton("Sign this visit")
        set_role(self.sign_button, "primary")
        self.correct_button = QPushButton("Add a correction…")
        self.correct_button.setToolTip("Adds a correction under the signed visit, which stays")
        self.correct_button.hide()
        self.correction_dialog: CorrectionDialog | None = None
        self.sign_note = label(
            "Signing makes this record final: it cannot be changed afterwards. If something is "
            "wrong later, add a correction — the original stays as it was.",
            "quiet",
        )

        self._add_page("Opening", self.opening)
        for page in self.domain_pages:
            self._add_page(page.domain.title, page)
        self._add_page("What matters to them", self._what_matters_page())
        self._add_page("Steps", self.steps)
        self._add_page("Wellbeing questions", self._wellbeing_page())
        self._add_page("Finish and sign", self._finish_page())
        self.finish_index = self.pages.count() - 1
        self.wellbeing_index = self.finish_index - 1
        self.steps_index = self.finish_index - 2
        self.what_matters_index = self.finish_index - 3

        self.previous_button = QPushButton("← Previous")
        self.previous_button.setToolTip("Previous part (Ctrl+Page Up)")
        self.next_button = QPushButton("Next →")
        self.next_button.setToolTip("Next part (Ctrl+Page Down)")
        for keys, step in (("Ctrl+PgDown", 1), ("Ctrl+PgUp", -1)):
            move = QAction(self)
            move.setShortcut(QKeySequence(keys))
            move.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            move.triggered.connect(lambda _c=False, s=step: self._go(s))
            self.addAction(move)
        nav = QHBoxLayout()
        nav.addWidget(self.previous_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        right = QVBoxLayout()
        right.addWidget(self.pages, 1)
        right.addLayout(nav)
        body = QHBoxLayout()
        body.addWidget(self.sections, 0)
        body.addLayout(right, 1)
        self.sections.setFixedWidth(self.fontMetrics().averageCharWidth() * 30)
        top = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.when)
        top.addLayout(titles, 1)
        top.addWidget(self.saved_state, 0, Qt.AlignmentFlag.AlignBottom)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        self.sections.currentRowChanged.connect(self._section_changed)
        self.previous_button.clicked.connect(lambda: self._go(-1))
        self.next_button.clicked.connect(lambda: self._go(1))
        self.close_button.clicked.connect(self.close_visit)
        self.sign_button.clicked.connect(self.sign)
        self.correct_button.clicked.connect(self._correct)
        for page in self.domain_pages:
            page.changed.connect(self._typed)
            page.add_concern.connect(self._add_concern)
            page.rate_concern.connect(self._rate_concern)
        self.what_matters.textChanged.connect(self._typed)
        self.steps.changed.connect(self._typed)
        self.steps.add_step.connect(self._add_step)
        self.steps.prescribe.connect(self.open_prescribe)
        self.steps.edit_step.connect(self._edit_step)
        self.steps.rate_step.connect(self._rate_step)
        self.wellbeing.changed.connect(self._typed)
        self.wellbeing.save_requested.connect(self._save_wellbeing)
        self.session.about_to_lock.connect(self._before_lock)

    # --- building ------------------------------------------------------------------------------

    def _add_page(self, title: str, page: QWidget) -> None:
        scroll = QScrollArea()
        scroll.setWidget(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.pages.addWidget(scroll)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, title)
        item.setSizeHint(QSize(0, int(self.fontMetrics().height() * 1.9)))
        self.sections.addItem(item)

    def _mark_sections(self) -> None:
        """A tick beside each part that has something in it, so gaps are easy to see."""
        filled: dict[int, bool] = {}
        visit_id = self.visit_id
        for index, page in enumerate(self.domain_pages, start=1):
            has_concern = any(
                page.concerns.concern(r).visit_id == visit_id
                for r in range(page.concerns.rowCount())
            )
            filled[index] = bool(page.notes.toPlainText().strip()) or has_concern
        filled[self.what_matters_index] = bool(self.what_matters.toPlainText().strip())
        filled[self.steps_index] = any(
            self.steps.model.step(r).visit_id == visit_id
            for r in range(self.steps.model.rowCount())
        )
        filled[self.wellbeing_index] = self.wellbeing.is_saved
        for row in range(self.sections.count()):
            item = self.sections.item(row)
            title = str(item.data(Qt.ItemDataRole.UserRole))
            done = filled.get(row, False)
            item.setText(f"✓ {title}" if done else f"    {title}")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{title}, done" if done else title)

    def _opening_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(heading(self.guide.title, 2))
        opening = label(self.guide.opening, "notice")
        opening.setAccessibleName(self.guide.opening)
        layout.addWidget(opening)
        layout.addWidget(
            label(
                "Go through the topics on the left in any order, and skip any that do not "
                "matter to them. Everything you type is saved as you go.",
                "quiet",
            )
        )
        layout.addStretch(1)
        return page

    def _what_matters_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(heading("What matters to them", 2))
        layout.addWidget(
            label("A short summary, in their own words where you can: “What matters to me is…”")
        )
        layout.addWidget(self.what_matters_field)
        layout.addStretch(1)
        return page

    def _wellbeing_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Wellbeing questions", 2))
        layout.addWidget(self.wellbeing)
        layout.addStretch(1)
        return page

    def _finish_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Finish and sign", 2))
        layout.addWidget(self.finish_view, 1)
        layout.addWidget(self.sign_note)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.correct_button)
        row.addWidget(self.sign_button)
        layout.addLayout(row)
        self.finish_view.setMinimumHeight(self.fontMetrics().height() * 18)
        return page

    # --- opening -------------------------------------------------------------------------------

    @property
    def visit_id(self) -> str | None:
        return self.summary.record.visit.id if self.summary else None

    @property
    def person_id(self) -> str | None:
        return self.summary.person.id if self.summary else None

    def start(self, person_id: str, place: VisitPlace = VisitPlace.HOME) -> None:
        """A new visit today at `place`."""
        self.clear()

        def begin(ws: Workspace) -> Changes:
            return ws.visits.start(person_id, date.today(), place)

        self.session.write(begin, lambda changes: self.open(changes.id))

    def open(self, visit_id: str) -> None:
        """Opens a visit, with its autosaved draft applied if there is one."""
        self.clear()
        self.session.write(lambda ws: visit_summary(ws, visit_id), self._show)

    def _show(self, summary: VisitSummary) -> None:
        self._loading = True
        self.summary = summary
        visit = summary.record.visit
        self.title.setText(f"{visit.place.label} visit with {summary.person.display_name}")
        self.when.setText(
            nice_date(visit.visit_date)
            + (" · a correction of an earlier visit" if visit.corrects_visit_id else "")
        )
        for page in self.domain_pages:
            page.notes.setPlainText(visit.notes.get(page.domain.key, ""))
        self.what_matters.setPlainText(visit.what_matters)
        self._persisted = (dict(visit.notes), visit.what_matters)
        self._show_concerns(summary.concerns)
        self.steps.model.set_steps(summary.steps)
        self.wellbeing.set_first(summary.first_assessment)
        self.wellbeing.show_saved(summary.assessment_of_visit)
        if not summary.assessment_of_visit:
            self.wellbeing.set_answers({})
        signed = summary.signed
        for page in self.domain_pages:
            page.set_read_only(signed)
        self.what_matters.setReadOnly(signed)
        self.steps.set_read_only(signed)
        self.wellbeing.set_read_only(signed)
        self.sections.setVisible(not signed)
        self.previous_button.setVisible(not signed)
        self.next_button.setVisible(not signed)
        self.sign_button.setVisible(not signed)
        self.sign_note.setVisible(not signed)
        self.correct_button.setVisible(signed)
        self.close_button.setText("Back" if signed else "Close for now")
        self.saved_state.setText("Signed — read only" if signed else "")
        section = 0
        if summary.draft and not signed:
            section = self.apply_draft(summary.draft)
            self.saved_state.setText("Carried on from your autosaved draft")
        self._loading = False
        self._mark_sections()
        self.sections.setCurrentRow(self.finish_index if signed else section)
        self._section_changed(self.sections.currentRow())
        if summary.draft and not signed:
            self._restore_focus(summary.draft.get("focus") or {})

    def _show_concerns(self, concerns: tuple[Concern, ...] | list[Concern]) -> None:
        visit_id = self.visit_id or ""
        for page in self.domain_pages:
            page.concerns.set_concerns(concerns, visit_id)
        if self.summary is not None:
            self._mark_sections()

    def clear(self) -> None:
        """Locking or leaving: nothing of the person stays in the widgets."""
        self.autosave.stop()
        self._loading = True
        self.summary = None
        self._last_draft = None
        self._persisted = None
        self.title.clear()
        self.when.clear()
        self.saved_state.clear()
        for page in self.domain_pages:
            page.notes.clear()
            page.concern_words.clear()
            page.severity.set_value(None)
            page.concerns.clear()
            page.words_field.clear_error()
            page.notes_field.clear_error()
        self.what_matters.clear()
        self.what_matters_field.clear_error()
        self.steps.model.clear()
        self.steps.words.clear()
        self.steps.by_when.clear()
        self.wellbeing.set_first(None)
        self.wellbeing.show_saved(None)
        self.wellbeing.set_answers({})
        self.finish_view.clear()
        for row in range(self.sections.count()):
            item = self.sections.item(row)
            item.setText(str(item.data(Qt.ItemDataRole.UserRole)))
        self._loading = False

    # --- drafts --------------------------------------------------------------------------------

    def notes(self) -> dict[str, str]:
        return {p.domain.key: p.notes.toPlainText() for p in self.domain_pages}

    def draft_content(self) -> dict[str, Any]:
        """Everything typed but not yet part of the record, plus where the adviser was."""
        return {
            "version": DRAFT_VERSION,
            "visit_id": self.visit_id,
            "section": self.sections.currentRow(),
            "notes": self.notes(),
            "what_matters": self.what_matters.toPlainText(),
            "new_concerns": {
                p.domain.key: {"words": p.concern_words.text(), "severity": p.severity.value}
                for p in self.domain_pages
                if p.concern_words.text() or p.severity.value is not None
            },
            "new_step": {"words": self.steps.words.text(), "by_when": self.steps.by_when.text()},
            "wellbeing": {} if self.wellbeing.is_saved else self.wellbeing.answers(),
            "focus": self._focus_state(),
        }

    def apply_draft(self, draft: dict[str, Any]) -> int:
        """Puts back exactly what was typed; returns the section the adviser was in."""
        notes = draft.get("notes") or {}
        for page in self.domain_pages:
            if page.domain.key in notes:
                page.notes.setPlainText(str(notes[page.domain.key]))
        if "what_matters" in draft:
            self.what_matters.setPlainText(str(draft["what_matters"]))
        for page in self.domain_pages:
            pending = (draft.get("new_concerns") or {}).get(page.domain.key)
            if pending:
                page.concern_words.setText(str(pending.get("words", "")))
                page.severity.set_value(pending.get("severity"))
        new_step = draft.get("new_step") or {}
        self.steps.words.setText(str(new_step.get("words", "")))
        self.steps.by_when.setText(str(new_step.get("by_when", "")))
        answers: dict[str, RatingValue] = draft.get("wellbeing") or {}
        if answers and not self.wellbeing.is_saved:
            self.wellbeing.set_answers(answers)
        self._last_draft = draft
        section = int(draft.get("section", 0))
        return section if 0 <= section < self.pages.count() else 0

    def _focus_targets(self) -> dict[str, QWidget]:
        targets: dict[str, QWidget] = {
            "what_matters": self.what_matters,
            "step_words": self.steps.words,
            "step_by_when": self.steps.by_when,
        }
        for page in self.domain_pages:
            targets[f"notes:{page.domain.key}"] = page.notes
            targets[f"concern:{page.domain.key}"] = page.concern_words
        return targets

    def _focus_state(self) -> dict[str, Any]:
        focused = self.focusWidget()
        for name, widget in self._focus_targets().items():
            if widget is focused:
                if isinstance(widget, QPlainTextEdit):
                    return {"field": name, "cursor": widget.textCursor().position()}
                if isinstance(widget, QLineEdit):
                    return {"field": name, "cursor": widget.cursorPosition()}
        return {}

    def _restore_focus(self, focus: dict[str, Any]) -> None:
        widget = self._focus_targets().get(str(focus.get("field", "")))
        if widget is None:
            return
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        position = int(focus.get("cursor", 0))
        if isinstance(widget, QPlainTextEdit):
            cursor = widget.textCursor()
            cursor.setPosition(min(position, len(widget.toPlainText())))
            widget.setTextCursor(cursor)
        elif isinstance(widget, QLineEdit):
            widget.setCursorPosition(position)

    def _typed(self) -> None:
        if self._loading or self.summary is None or self.summary.signed:
            return
        self._mark_sections()
        self.saved_state.setText("Not saved yet…")
        if not self.autosave.isActive():
            # Not restarted on each keystroke: steady typing still saves every AUTOSAVE_MS.
            self.autosave.start()

    def save_draft(self) -> None:
        """Queues the draft on the writer thread (skipped when nothing changed)."""
        self.autosave.stop()
        if self.summary is None or self.summary.signed or not self.session.is_unlocked:
            return
        content = self.draft_content()
        if content == self._last_draft:
            self.saved_state.setText("All saved")
            return
        self._last_draft = content
        key = visit_draft_key(self.summary.record.visit.id)

        def write(ws: Workspace) -> None:
            ws.drafts.save(key, content)

        self.session.write(write, lambda _r: self._draft_saved())

    def _draft_saved(self) -> None:
        self.saved_state.setText(f"Saved at {datetime.now():%H:%M}")

    def _before_lock(self) -> None:
        if self.summary is not None and not self.summary.signed:
            self._last_draft = None  # force: the lock must leave an exact draft behind
            self.save_draft()
        self.clear()

    # --- moving around -------------------------------------------------------------------------

    def _go(self, step: int) -> None:
        row = self.sections.currentRow() + step
        if 0 <= row < self.sections.count():
            self.sections.setCurrentRow(row)
            # Ctrl+PgDown / Next: typing carries on in the new page's first field.
            focus_first_field(self.pages.currentWidget())

    def go_to_section(self, row: int) -> None:
        self.sections.setCurrentRow(row)

    def _section_changed(self, row: int) -> None:
        if row < 0:
            return
        self.pages.setCurrentIndex(row)
        self.previous_button.setEnabled(row > 0)
        last = row >= self.pages.count() - 1
        self.next_button.setEnabled(not last)
        self.next_button.setVisible(not last and not (self.summary and self.summary.signed))
        if not last:
            title = self.sections.item(row + 1).data(Qt.ItemDataRole.UserRole)
            self.next_button.setText(f"Next: {title} →")
        if self._loading or self.summary is None:
            return
        if self.summary.signed:
            self._render_summary(self.summary)
            return
        self._persist_notes(self._refresh_summary if row == self.finish_index else None)

    def _notes_problem(self) -> bool:
        """Shows beside its box any note the record would refuse (too long, a character that
        cannot be stored) and brings that part into view; True when there is one. The same
        rules as the record's own (`domain.rows`), so nothing is sent to be refused later."""
        today = date.today()
        for row, page in enumerate(self.domain_pages, start=1):  # parts after the opening
            try:
                check_notes("notes", {page.domain.key: page.notes.toPlainText()})
            except ValidationError as error:
                return self._refuse_notes(page.notes_field, row, error)
            page.notes_field.clear_error()
        try:
            VISITS.check_value("what_matters", self.what_matters.toPlainText(), today)
        except ValidationError as error:
            return self._refuse_notes(self.what_matters_field, self.what_matters_index, error)
        self.what_matters_field.clear_error()
        return False

    def _refuse_notes(self, field: FieldWithError, row: int, error: ValidationError) -> bool:
        field.show_error(error.message)
        self.saved_state.setText("Not saved: please look at the message under the notes")
        if self.sections.currentRow() != row:
            self.sections.setCurrentRow(row)
        return True

    def _notes_failed(self, error: BaseException) -> None:
        """The record refused the notes after all: say so beside them, never a bug dialog."""
        self._persisted = None
        if not (isinstance(error, ValidationError) and self._notes_problem()):
            show_error(self, error)

    def _persist_notes(self, then: Any = None) -> None:
        """Notes reach the visit record when moving between parts (drafts cover the typing)."""
        if self.summary is None or self._notes_problem():
            return
        notes, what_matters = self.notes(), self.what_matters.toPlainText()
        if self._persisted == (notes, what_matters):
            if then is not None:
                then()
            return
        visit_id = self.summary.record.visit.id
        self._persisted = (notes, what_matters)

        def write(ws: Workspace) -> Changes:
            return ws.visits.save_notes(visit_id, notes=notes, what_matters=what_matters)

        def saved(_changes: Changes) -> None:
            if not self.autosave.isActive():
                self.saved_state.setText("All saved")
            if then is not None:
                then()

        self.session.write(write, saved, self._notes_failed)

    def _refresh_summary(self) -> None:
        if self.visit_id is None:
            return
        visit_id = self.visit_id
        self.session.read(
            lambda ws: visit_summary(ws, visit_id, audited=False), self._render_summary
        )

    def _render_summary(self, summary: VisitSummary) -> None:
        if self.visit_id != summary.record.visit.id:
            return
        if summary.signed:
            self.summary = summary  # read only: the fresh read (with any new correction) is it
        pending = ""
        if self.wellbeing.started and summary.assessment_of_visit is None:
            pending = (
                "the wellbeing answers are not saved yet; signing saves them if all four are "
                "answered."
                if self.wellbeing.complete
                else "some wellbeing questions are not answered, so they will not be saved."
            )
        visit = summary.record.visit
        notes = visit.notes if summary.signed else self.notes()
        what_matters = visit.what_matters if summary.signed else self.what_matters.toPlainText()
        self.finish_view.setHtml(summary_html(summary, notes, what_matters, pending))

    # --- writing -------------------------------------------------------------------------------

    def _add_concern(self, domain: str, words: str, severity: int) -> None:
        if self.visit_id is None:
            return
        visit_id = self.visit_id
        page = next(p for p in self.domain_pages if p.domain.key == domain)

        def write(ws: Workspace) -> Changes:
            return ws.visits.add_concern(visit_id, domain, words, severity)

        def failed(error: BaseException) -> None:
            if isinstance(error, ValidationError):
                page.words_field.show_error(error.message)
            else:
                show_error(self, error)

        def added(_changes: Changes) -> None:
            page.concern_added()
            self._reload_concerns()
            self._typed()

        self.session.write(write, added, failed)

    def _reload_concerns(self) -> None:
        person_id = self.person_id
        if person_id is not None:
            self.session.read(lambda ws: ws.visits.concerns_of(person_id), self._show_concerns)

    def _rate_concern(self, concern_id: str) -> None:
        if self.summary is None:
            return
        concern = next((c for c in self.summary.concerns if c.id == concern_id), None)
        words = concern.words if concern else "this concern"

        def ask(history: list[Rating]) -> None:
            dialog = RateDialog(
                "Rate a concern again",
                f"How much does “{words}” worry them now?",
                history,
                current=history[-1].value if history else None,
                low="not at all",
                high="very much",
                parent=self,
            )
            dialog.accepted.connect(lambda: self._save_concern_rating(concern_id, dialog.value))
            dialog.open()

        self.session.read(lambda ws: ws.visits.concern_history(concern_id), ask)

    def _save_concern_rating(self, concern_id: str, value: int) -> None:
        day = self._visit_date()
        self.session.write(
            lambda ws: ws.visits.rate_concern(concern_id, value, day),
            lambda _c: self._reload_concerns(),
        )

    def _visit_date(self) -> date:
        return self.summary.record.visit.visit_date if self.summary else date.today()

    def _add_step(self, words: str, target: date | None) -> None:
        if self.summary is None:
            return
        person_id, visit_id = self.summary.person.id, self.summary.record.visit.id
        day = self._visit_date()

        def write(ws: Workspace) -> Changes:
            return ws.visits.add_step(
                person_id, words, target_date=target, visit_id=visit_id, on=day
            )

        def failed(error: BaseException) -> None:
            if isinstance(error, ValidationError):
                self.steps.words_field.show_error(error.message)
            else:
                show_error(self, error)

        def added(_changes: Changes) -> None:
            self.steps.step_added()
            self._reload_steps()
            self._typed()

        self.session.write(write, added, failed)

    def _reload_steps(self) -> None:
        person_id = self.person_id
        if person_id is not None:
            self.session.read(lambda ws: ws.visits.steps_of(person_id), self._show_steps)

    def _show_steps(self, steps: list[Step]) -> None:
        self.steps.model.set_steps(steps)
        if self.summary is not None:
            self.summary = replace(self.summary, steps=tuple(steps))
            self._mark_sections()

    def _edit_step(self, step_id: str) -> None:
        row = self.steps.model.row_of(step_id)
        if row is None:
            return
        dialog = StepDialog(self.steps.model.step(row), self)

        def save() -> None:
            words, target = dialog.words, dialog.target_date
            self.session.write(
                lambda ws: ws.visits.edit_step(step_id, words=words, target_date=target),
                lambda _c: self._reload_steps(),
            )

        dialog.accepted.connect(save)
        dialog.open()

    def _rate_step(self, step_id: str) -> None:
        row = self.steps.model.row_of(step_id)
        if row is None:
            return
        step = self.steps.model.step(row)

        def ask(history: list[Rating]) -> None:
            dialog = RateDialog(
                "Rate progress",
                f"How far along is “{step.words}”?",
                history,
                current=step.progress,
                low="not started",
                high="done",
                parent=self,
            )
            dialog.accepted.connect(lambda: self._save_step_rating(step_id, dialog.value))
            dialog.open()

        self.session.read(lambda ws: ws.visits.step_history(step_id), ask)

    def _save_step_rating(self, step_id: str, value: int) -> None:
        day = self._visit_date()
        self.session.write(
            lambda ws: ws.visits.rate_step(step_id, value, day), lambda _c: self._reload_steps()
        )

    def _save_wellbeing(self) -> None:
        if self.summary is None or not self.wellbeing.complete:
            return
        person_id, day = self.summary.person.id, self._visit_date()
        scores = self.wellbeing.scores()
        context = (
            AssessmentContext.REVIEW if self.summary.assessments else AssessmentContext.BASELINE
        )
        self.wellbeing.save_button.setEnabled(False)

        def write(ws: Workspace) -> list[Assessment]:
            ws.wellbeing.record(person_id, scores, on=day, context=context)
            return ws.wellbeing.history(person_id)

        self.session.write(write, self._wellbeing_saved)

    def _wellbeing_saved(self, history: list[Assessment]) -> None:
        if self.summary is None:
            return
        from dataclasses import replace

        self.summary = replace(self.summary, assessments=tuple(history))
        self.wellbeing.set_first(self.summary.first_assessment)
        self.wellbeing.show_saved(self.summary.assessment_of_visit)
        if self.person_id is not None:
            self.session.changed.emit(
                Changes(frozenset({self.person_id}), frozenset({"assessments"}))
            )
        self._typed()

    # --- finishing -----------------------------------------------------------------------------

    def sign(self) -> None:
        """Saves the notes, any complete wellbeing answers, signs, and drops the draft."""
        if self.summary is None or self.summary.signed or self._notes_problem():
            return
        summary = self.summary
        visit_id, person_id = summary.record.visit.id, summary.person.id
        notes, what_matters = self.notes(), self.what_matters.toPlainText()
        scores = None
        if self.wellbeing.complete and summary.assessment_of_visit is None:
            scores = self.wellbeing.scores()
        context = AssessmentContext.REVIEW if summary.assessments else AssessmentContext.BASELINE
        day = self._visit_date()
        self.autosave.stop()
        self.sign_button.setEnabled(False)

        def write(ws: Workspace) -> Changes:
            changes = ws.visits.save_notes(visit_id, notes=notes, what_matters=what_matters)
            if scores is not None:
                changes |= ws.wellbeing.record(person_id, scores, on=day, context=context)
            changes |= ws.visits.finish(visit_id)
            ws.drafts.discard(visit_draft_key(visit_id))
            return changes

        def failed(error: BaseException) -> None:
            self.sign_button.setEnabled(True)
            self._notes_failed(error)

        def done(_changes: Changes) -> None:
            self.sign_button.setEnabled(True)
            self.clear()
            self.signed.emit(person_id)

        self.session.write(write, done, failed)

    def open_prescribe(self) -> QWidget | None:
        """The directory for this person, over the visit: closing it returns to the visit."""
        if self.summary is None:
            return None
        from sp_desktop.ui.screens.prescription import PrescribeDialog

        dialog = PrescribeDialog(
            self.session, self.summary.person.id, self.summary.person.display_name, self
        )
        dialog.saved.connect(
            lambda _c: self.saved_state.setText("Activities prescribed, with their reviews")
        )
        dialog.open()
        dialog.start()
        return dialog

    def close_visit(self) -> None:
        """Back to the person; notes are saved and the draft dropped unless inputs are pending."""
        if self.summary is None:
            return
        summary = self.summary
        person_id = summary.person.id
        if summary.signed:
            self.clear()
            self.closed.emit(person_id)
            return
        if self._notes_problem():
            return  # stays open: the adviser sees what is wrong while they can still fix it
        content = self.draft_content()
        pending = bool(
            content["new_concerns"] or content["new_step"]["words"] or self.wellbeing.started
        )
        visit_id = summary.record.visit.id
        notes, what_matters = self.notes(), self.what_matters.toPlainText()
        self.autosave.stop()

        def write(ws: Workspace) -> Changes:
            changes = ws.visits.save_notes(visit_id, notes=notes, what_matters=what_matters)
            if pending:
                ws.drafts.save(visit_draft_key(visit_id), content)
            else:
                ws.drafts.discard(visit_draft_key(visit_id))
            return changes

        self.session.write(write)
        self.clear()
        self.closed.emit(person_id)

    def _correct(self) -> None:
        """A correction of the signed visit: an addendum under it (the record stays)."""
        if self.summary is None or not self.summary.signed:
            return
        visit = self.summary.record.visit
        about = (f"{visit.place.label} visit with {self.summary.person.display_name}, "
                 f"{nice_date(visit.visit_date)}, signed by {visit.signed_by or 'an adviser'}.")
        self.correction_dialog = CorrectionDialog(self.session, visit.id, about, self)
        self.correction_dialog.added.connect(lambda _c: self._refresh_summary())
        self.correction_dialog.open()


def scores_line(item: Ons4Item, score: int | None) -> str:
    return "prefers not to say" if score is None else f"{score} ({band(item, score)})"
