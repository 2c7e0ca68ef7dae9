"""The home visit: a guided conversation through the life domains, what matters to the person,
their steps and the wellbeing questions; finishing shows a summary and signs it.

Whatever is typed is autosaved as a draft inside the encrypted store within a few seconds, so a
laptop that dies mid-sentence loses nothing: the next unlock offers to carry on exactly there.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choices import VisitPlace
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.people import Concern, Rating, Step
from sp_desktop.domain.rows import VISITS, check_notes
from sp_desktop.domain.wellbeing import ONS4
from sp_desktop.services.resources import conversation_guide
from sp_desktop.services.visit_summary import VisitSummary, visit_draft_key, visit_summary
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.dialogs.correction import CorrectionDialog
from sp_desktop.ui.dialogs.rate import RateDialog
from sp_desktop.ui.dialogs.step import StepDialog
from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import FieldWithError, nice_date
from sp_desktop.ui.keys import focus_first_field
from sp_desktop.ui.rating import RatingValue
from sp_desktop.ui.screens.visit.pages import DomainPage, StepsPage, _notes_box
from sp_desktop.ui.screens.visit.summary import summary_html
from sp_desktop.ui.screens.wellbeing import MeasureForm, WellbeingForm
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

AUTOSAVE_MS = 2000  # the first unsaved keystroke reaches the store within this (target: 3 s)
DRAFT_VERSION = 1


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
        # The conversation's pages are built one per turn of the event loop once the screen
        # exists (each a few milliseconds), or one at once when the adviser goes to it first:
        # building all ten in one go stalled the first visit's opening (issue 15). Until a
        # page is built, what the visit holds for it waits here and is put on it when built.
        self._domain_pages: dict[int, DomainPage] = {}  # by place in the guide
        self._domain_scrolls: list[QScrollArea] = []
        self._waiting_notes: dict[str, str] = {}  # by domain key
        self._waiting_concerns: dict[str, dict[str, Any]] = {}  # a draft's unadded concern
        self._concerns: tuple[Concern, ...] = ()  # the person's, as last read
        self.what_matters = _notes_box("What matters to them", lines=8)
        self.what_matters.setPlaceholderText("In their words: what matters most to them now?")
        self.what_matters_field = FieldWithError(self.what_matters)
        self.steps = StepsPage()
        self.wellbeing = WellbeingForm()
        # Every measure's form by key; ONS4's is always there, the others are built the first
        # time a visit offers them (settings), so a scheme asking ONS4 alone pays for nothing.
        self.measure_forms: dict[str, MeasureForm] = {ONS4: self.wellbeing}
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
        for domain in self.guide.domains:
            self._domain_scrolls.append(self._add_page(domain.title, None))
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
        QTimer.singleShot(0, self, self._build_next_page)
        self.what_matters.textChanged.connect(self._typed)
        self.steps.changed.connect(self._typed)
        self.steps.add_step.connect(self._add_step)
        self.steps.prescribe.connect(self.open_prescribe)
        self.steps.edit_step.connect(self._edit_step)
        self.steps.rate_step.connect(self._rate_step)
        self._connect_form(self.wellbeing)
        self.session.about_to_lock.connect(self._before_lock)

    # --- building ------------------------------------------------------------------------------

    @property
    def domain_pages(self) -> list[DomainPage]:
        """Every conversation page, building any not built yet (tests and tools; the screen
        itself works with the pages built so far and what waits for the others)."""
        return [self._page_at(index) for index in range(len(self.guide.domains))]

    def _built_pages(self) -> list[DomainPage]:
        return [self._domain_pages[index] for index in sorted(self._domain_pages)]

    def _build_next_page(self) -> None:
        for index in range(len(self.guide.domains)):
            if index not in self._domain_pages:
                self._page_at(index)
                QTimer.singleShot(0, self, self._build_next_page)
                return

    def _page_at(self, index: int) -> DomainPage:
        """The page of the guide's `index`th domain, built now if it is not yet, with what
        the open visit holds for it."""
        built = self._domain_pages.get(index)
        if built is not None:
            return built
        domain = self.guide.domains[index]
        page = DomainPage(domain)
        # Given before its signals are connected: putting the visit's words there is not typing.
        page.notes.setPlainText(self._waiting_notes.pop(domain.key, ""))
        page.concerns.set_concerns(self._concerns, self.visit_id or "")
        pending = self._waiting_concerns.pop(domain.key, None)
        if pending:
            page.concern_words.setText(str(pending.get("words", "")))
            page.severity.set_value(pending.get("severity"))
        if self.summary is not None and self.summary.signed:
            page.set_read_only(True)
        page.changed.connect(self._typed)
        page.add_concern.connect(self._add_concern)
        page.rate_concern.connect(self._rate_concern)
        self._domain_scrolls[index].setWidget(page)
        self._domain_pages[index] = page
        return page

    def _domain_index(self, key: str) -> int | None:
        return next((i for i, d in enumerate(self.guide.domains) if d.key == key), None)

    def _note_of(self, index: int) -> str:
        page = self._domain_pages.get(index)
        if page is not None:
            return page.notes.toPlainText()
        return self._waiting_notes.get(self.guide.domains[index].key, "")

    def _set_note(self, index: int, text: str) -> None:
        page = self._domain_pages.get(index)
        if page is not None:
            page.notes.setPlainText(text)
        else:
            self._waiting_notes[self.guide.domains[index].key] = text

    def _add_page(self, title: str, page: QWidget | None) -> QScrollArea:
        scroll = QScrollArea()
        if page is not None:
            scroll.setWidget(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.pages.addWidget(scroll)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, title)
        item.setSizeHint(QSize(0, int(self.fontMetrics().height() * 1.9)))
        self.sections.addItem(item)
        return scroll

    def _mark_sections(self) -> None:
        """A tick beside each part that has something in it, so gaps are easy to see."""
        filled: dict[int, bool] = {}
        visit_id = self.visit_id
        with_concern = {c.domain for c in self._concerns if c.visit_id == visit_id}
        for index, domain in enumerate(self.guide.domains):
            has_note = bool(self._note_of(index).strip())
            filled[index + 1] = has_note or domain.key in with_concern
        filled[self.what_matters_index] = bool(self.what_matters.toPlainText().strip())
        filled[self.steps_index] = any(
            self.steps.model.step(r).visit_id == visit_id
            for r in range(self.steps.model.rowCount())
        )
        filled[self.wellbeing_index] = any(
            form.is_saved for form in self.measure_forms.values() if not form.isHidden()
        )
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
        self.no_measures = label(
            "Your scheme asks no questionnaires at this point of the journey (see Settings).",
            "quiet",
        )
        self.no_measures.hide()
        layout.addWidget(self.no_measures)
        layout.addWidget(self.wellbeing)
        self.measures_layout = layout
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
        for index, domain in enumerate(self.guide.domains):
            self._set_note(index, visit.notes.get(domain.key, ""))
        self.what_matters.setPlainText(visit.what_matters)
        self._persisted = (dict(visit.notes), visit.what_matters)
        self._show_concerns(summary.concerns)
        self.steps.model.set_steps(summary.steps)
        self._show_measures(summary)
        signed = summary.signed
        for page in self._built_pages():
            page.set_read_only(signed)
        self.what_matters.setReadOnly(signed)
        self.steps.set_read_only(signed)
        for form in self.measure_forms.values():
            form.set_read_only(signed)
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
        self._concerns = tuple(concerns)
        for page in self._built_pages():
            page.concerns.set_concerns(self._concerns, visit_id)
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
        self._waiting_notes.clear()
        self._waiting_concerns.clear()
        self._concerns = ()
        for page in self._built_pages():
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
        for form in self.measure_forms.values():
            form.set_first_sitting(None)
            form.show_saved_sitting(None)
            form.set_answers({})
        self.finish_view.clear()
        for row in range(self.sections.count()):
            item = self.sections.item(row)
            item.setText(str(item.data(Qt.ItemDataRole.UserRole)))
        self._loading = False

    # --- drafts --------------------------------------------------------------------------------

    def notes(self) -> dict[str, str]:
        return {d.key: self._note_of(i) for i, d in enumerate(self.guide.domains)}

    def _new_concerns(self) -> dict[str, dict[str, Any]]:
        """Concerns typed but not added yet, by domain (a draft keeps them)."""
        found: dict[str, dict[str, Any]] = {}
        for index, domain in enumerate(self.guide.domains):
            page = self._domain_pages.get(index)
            if page is None:
                if domain.key in self._waiting_concerns:
                    found[domain.key] = dict(self._waiting_concerns[domain.key])
            elif page.concern_words.text() or page.severity.value is not None:
                found[domain.key] = {
                    "words": page.concern_words.text(), "severity": page.severity.value
                }
        return found

    def draft_content(self) -> dict[str, Any]:
        """Everything typed but not yet part of the record, plus where the adviser was."""
        return {
            "version": DRAFT_VERSION,
            "visit_id": self.visit_id,
            "section": self.sections.currentRow(),
            "notes": self.notes(),
            "what_matters": self.what_matters.toPlainText(),
            "new_concerns": self._new_concerns(),
            "new_step": {"words": self.steps.words.text(), "by_when": self.steps.by_when.text()},
            "wellbeing": {} if self.wellbeing.is_saved else self.wellbeing.answers(),
            "measures": {
                key: form.answers()
                for key, form in self.measure_forms.items()
                if key != ONS4 and not form.is_saved and form.started
            },
            "focus": self._focus_state(),
        }

    def apply_draft(self, draft: dict[str, Any]) -> int:
        """Puts back exactly what was typed; returns the section the adviser was in."""
        notes = draft.get("notes") or {}
        new_concerns = draft.get("new_concerns") or {}
        for index, domain in enumerate(self.guide.domains):
            if domain.key in notes:
                self._set_note(index, str(notes[domain.key]))
            pending = new_concerns.get(domain.key)
            if not pending:
                continue
            page = self._domain_pages.get(index)
            if page is None:
                self._waiting_concerns[domain.key] = dict(pending)
            else:
                page.concern_words.setText(str(pending.get("words", "")))
                page.severity.set_value(pending.get("severity"))
        if "what_matters" in draft:
            self.what_matters.setPlainText(str(draft["what_matters"]))
        new_step = draft.get("new_step") or {}
        self.steps.words.setText(str(new_step.get("words", "")))
        self.steps.by_when.setText(str(new_step.get("by_when", "")))
        answers: dict[str, RatingValue] = draft.get("wellbeing") or {}
        if answers and not self.wellbeing.is_saved:
            self.wellbeing.set_answers(answers)
        for key, given in (draft.get("measures") or {}).items():
            form = self.measure_forms.get(key)
            if form is not None and given and not form.is_saved:
                form.set_answers(given)
        self._last_draft = draft
        section = int(draft.get("section", 0))
        return section if 0 <= section < self.pages.count() else 0

    def _focus_targets(self) -> dict[str, QWidget]:
        targets: dict[str, QWidget] = {
            "what_matters": self.what_matters,
            "step_words": self.steps.words,
            "step_by_when": self.steps.by_when,
        }
        for page in self._built_pages():
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
        name = str(focus.get("field", ""))
        kind, _, key = name.partition(":")
        index = self._domain_index(key) if kind in ("notes", "concern") else None
        if index is not None:
            self._page_at(index)  # the cursor goes back into it: built now if not yet
        widget = self._focus_targets().get(name)
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
        if 1 <= row <= len(self.guide.domains):
            self._page_at(row - 1)  # the adviser went there before it was built
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
        for index, domain in enumerate(self.guide.domains):
            page = self._domain_pages.get(index)
            try:
                check_notes("notes", {domain.key: self._note_of(index)})
            except ValidationError as error:
                # Parts after the opening: the page's row is one past its place in the guide.
                return self._refuse_notes(self._page_at(index).notes_field, index + 1, error)
            if page is not None:
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
        waiting = []
        for key, form in self.measure_forms.items():
            if form.isHidden() or not form.started or summary.sitting_of_visit(key) is not None:
                continue
            if key == ONS4:
                waiting.append(
                    "the wellbeing answers are not saved yet; signing saves them if all four "
                    "are answered."
                    if form.complete
                    else "some wellbeing questions are not answered, so they will not be saved."
                )
            else:
                name = form.measure.short_title
                waiting.append(
                    f"the {name} answers are not saved yet; signing saves them."
                    if form.complete
                    else f"some {name} questions are not answered, so they will not be saved."
                )
        pending = " Also, ".join(waiting)
        visit = summary.record.visit
        notes = visit.notes if summary.signed else self.notes()
        what_matters = visit.what_matters if summary.signed else self.what_matters.toPlainText()
        self.finish_view.setHtml(summary_html(summary, notes, what_matters, pending))

    # --- writing -------------------------------------------------------------------------------

    def _add_concern(self, domain: str, words: str, severity: int) -> None:
        if self.visit_id is None:
            return
        visit_id = self.visit_id
        page = next(p for p in self._domain_pages.values() if p.domain.key == domain)

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

    def _connect_form(self, form: MeasureForm) -> None:
        key = form.measure.key
        form.changed.connect(self._typed)
        form.save_requested.connect(lambda: self._save_measure(key))

    def _show_measures(self, summary: VisitSummary) -> None:
        """The forms this visit asks (the scheme's choice for its baseline or review), each
        with the first answers to compare with and any answers already saved today."""
        offered = [m.key for m in summary.offered]
        for definition in summary.offered:
            if definition.key not in self.measure_forms:
                form = MeasureForm(definition)
                self.measure_forms[definition.key] = form
                self.measures_layout.insertWidget(self.measures_layout.count() - 1, form)
                self._connect_form(form)
        for key, form in self.measure_forms.items():
            saved = summary.sitting_of_visit(key)
            form.setVisible(key in offered or saved is not None)
            form.set_context(summary.context)
            form.set_first_sitting(summary.first_sitting(key))
            form.show_saved_sitting(saved)
            if saved is None:
                form.set_answers({})
        self.no_measures.setVisible(all(f.isHidden() for f in self.measure_forms.values()))

    def _save_measure(self, key: str) -> None:
        form = self.measure_forms[key]
        if self.summary is None or not form.complete:
            return
        person_id, day, given = self.summary.person.id, self._visit_date(), form.given()
        visit_id = self.summary.record.visit.id
        form.save_button.setEnabled(False)

        def write(ws: Workspace) -> VisitSummary:
            # Baseline or review: the service decides; the change is announced by the session.
            ws.wellbeing.record_answers(person_id, key, given, on=day)
            return visit_summary(ws, visit_id, audited=False)

        self.session.write(write, self._measure_saved)

    def _measure_saved(self, fresh: VisitSummary) -> None:
        if self.summary is None or self.visit_id != fresh.record.visit.id:
            return
        self.summary = replace(
            self.summary,
            assessments=fresh.assessments,
            sittings=fresh.sittings,
            context=fresh.context,
        )
        for key, form in self.measure_forms.items():
            form.set_first_sitting(self.summary.first_sitting(key))
            saved = self.summary.sitting_of_visit(key)
            if saved is not None:
                form.show_saved_sitting(saved)
        self._typed()

    # --- finishing -----------------------------------------------------------------------------

    def sign(self) -> None:
        """Signs the visit with its notes and any complete answers, in one service call."""
        if self.summary is None or self.summary.signed or self._notes_problem():
            return
        summary = self.summary
        visit_id, person_id = summary.record.visit.id, summary.person.id
        notes, what_matters = self.notes(), self.what_matters.toPlainText()
        answers = {
            key: form.given()
            for key, form in self.measure_forms.items()
            if not form.isHidden() and form.complete and summary.sitting_of_visit(key) is None
        }
        self.autosave.stop()
        self.sign_button.setEnabled(False)

        def write(ws: Workspace) -> Changes:
            return ws.visits.sign(visit_id, notes=notes, what_matters=what_matters, answers=answers)

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
            content["new_concerns"]
            or content["new_step"]["words"]
            or any(form.started for form in self.measure_forms.values())
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
        about = (
            f"{visit.place.label} visit with {self.summary.person.display_name}, "
            f"{nice_date(visit.visit_date)}, signed by {visit.signed_by or 'an adviser'}."
        )
        self.correction_dialog = CorrectionDialog(self.session, visit.id, about, self)
        self.correction_dialog.added.connect(lambda _c: self._refresh_summary())
        self.correction_dialog.open()
