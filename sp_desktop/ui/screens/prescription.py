"""A person's prescription: choosing activities, the provider referral, follow-ups, sessions
attended, volunteering hours, and the way to the closing review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelection,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choice_lists import stop_reason_words, stop_reasons
from sp_desktop.domain.choices import AttendanceStatus, PrescriptionStatus, ProviderReferral
from sp_desktop.domain.directory import Category
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.prescribing import (
    DEFAULT_WEEKS,
    MAX_WEEKS,
    MIN_WEEKS,
    FollowUp,
)
from sp_desktop.services.prescribing import PrescriptionDetails
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.dialogs.closing_review import ClosingReviewDialog
from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import DateField, FormErrors, form_row, nice_date, parse_date
from sp_desktop.ui.fit import fit_to_screen, scrolling, text_size
from sp_desktop.ui.form import FormDialog
from sp_desktop.ui.models.table import ColumnsModel, Index
from sp_desktop.ui.screens.directory import DirectorySearch
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role


def referral_words(details: PrescriptionDetails) -> str:
    p = details.prescription
    words = p.provider_referral.label
    if p.provider_referral is ProviderReferral.WAITING_LIST and p.waiting_weeks is not None:
        words += f" ({p.waiting_weeks} week{'s' if p.waiting_weeks != 1 else ''})"
    if p.provider_referral is ProviderReferral.DECLINED:
        words += f": {p.declined_reason}"
    return words


def status_words(details: PrescriptionDetails) -> str:
    p = details.prescription
    if p.status is PrescriptionStatus.ACTIVE:
        return "Under way"
    when = f" on {nice_date(p.ended_on)}" if p.ended_on else ""
    carrying = " — carrying on" if p.carries_on else ""
    return f"{p.status.label}{when}{carrying}"


# --- models ------------------------------------------------------------------------------------


class _Table(ColumnsModel):
    """A read-only table of ids and a row cache; subclasses say what each cell shows."""

    def __init__(self) -> None:
        super().__init__()
        self._ids: list[str] = []
        self._cache: dict[str, Any] = {}

    def _set(self, items: Sequence[tuple[str, Any]]) -> None:
        self.beginResetModel()
        self._ids = [i for i, _ in items]
        self._cache = dict(items)
        self.endResetModel()

    def id_at(self, row: int) -> str:
        return self._ids[row]

    def row_of(self, item_id: str) -> int | None:
        return self._ids.index(item_id) if item_id in self._cache else None

    def row_count(self) -> int:
        return len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.cell(self._cache[self._ids[index.row()]], index.column())
        return None

    def cell(self, item: Any, column: int) -> str:
        raise NotImplementedError

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class ActivitiesModel(_Table):
    """The person's prescribed activities, oldest first."""

    columns = ("Activity", "Started", "Planned end", "Referral to the provider", "Now")

    def set_details(self, details: Sequence[PrescriptionDetails]) -> None:
        self._set([(d.prescription.id, d) for d in details])

    def details(self, row: int) -> PrescriptionDetails:
        found: PrescriptionDetails = self._cache[self._ids[row]]
        return found

    def cell(self, item: Any, column: int) -> str:
        d: PrescriptionDetails = item
        p = d.prescription
        return (
            d.service.name,
            nice_date(p.start_date),
            f"{nice_date(p.end_date)} ({p.weeks} weeks)",
            referral_words(d),
            status_words(d),
        )[column]


class FollowUpsModel(_Table):
    """Follow-ups for the person, by due date; `names` gives each activity's name."""

    columns = ("Due", "What", "Done", "Notes")

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, str] = {}

    def set_follow_ups(self, follow_ups: Sequence[FollowUp], names: dict[str, str]) -> None:
        self.names = names
        self._set([(f.id, f) for f in follow_ups])

    def follow_up(self, row: int) -> FollowUp:
        found: FollowUp = self._cache[self._ids[row]]
        return found

    def cell(self, item: Any, column: int) -> str:
        f: FollowUp = item
        about = self.names.get(f.prescription_id or "", "")
        what = f"{f.label}: {about}" if about else f.label
        done = nice_date(f.done_on) if f.done_on else "Not yet"
        return (nice_date(f.due_on), what, done, f.notes)[column]


def _table(model: QAbstractTableModel, name: str) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _date_field(name: str, day: date | None = None) -> DateField:
    return DateField(day or date.today(), name=name)


def _buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


# --- choosing activities -----------------------------------------------------------------------


class PrescribeDialog(FormDialog):
    """Choose one or more activities from the directory, when they start and for how long.

    Tick activities in the results (Space ticks the chosen row); the chosen list shows them,
    each with "go with them to the first session". Enter in the search box goes to the results;
    elsewhere it prescribes what is ticked. Closing with activities ticked asks first.
    Signal: saved(Changes).
    """

    saved = Signal(object)
    NOTHING_CHOSEN = "Tick at least one activity in the list to prescribe it."

    def __init__(
        self, session: Session, person_id: str, person_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id = person_id
        self.setWindowTitle(f"Prescribe activities for {person_name}")
        self.search = DirectorySearch(session, choosing=True)
        self.chosen = QListWidget()
        self.chosen.setAccessibleName("Chosen activities: tick to go with them the first time")
        self.chosen.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
        self.start_date = DateField(date.today(), name="Starts on")
        self.weeks = QSpinBox()
        self.weeks.setRange(MIN_WEEKS, MAX_WEEKS)
        self.weeks.setValue(DEFAULT_WEEKS)
        self.weeks.setSuffix(" weeks")
        form = QFormLayout()
        self.add_field(form, "Starts on", "start_date", self.start_date)
        self.add_field(form, "For how many weeks", "weeks", self.weeks)
        chosen_box = QGroupBox("Chosen (tick: go with them to the first session)")
        chosen_layout = QVBoxLayout(chosen_box)
        chosen_layout.addWidget(self.errors.add("services", self.chosen))
        # The chosen list and the dates side by side: the search results keep the height.
        below = QHBoxLayout()
        below.addWidget(chosen_box, 3)
        below.addLayout(form, 2)
        buttons = self.button_row("Prescribe")
        self.save_button = self.main_button
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.windowTitle(), 2))
        layout.addWidget(self.top_error)
        layout.addWidget(
            label("Tick one or more activities: Space ticks the highlighted one.", "quiet")
        )
        layout.addWidget(self.search, 1)
        layout.addLayout(below)
        layout.addLayout(buttons)
        self.set_main_enabled(False, self.NOTHING_CHOSEN)
        self.search.model.chosen_changed.connect(self._chosen_changed)
        self.search.table.installEventFilter(self)
        self.mark_clean()
        fit_to_screen(self, text_size(self, 120, 42))

    def start(self) -> None:
        self.search.start()
        self.search.words.setFocus()

    def has_unsaved_input(self) -> bool:
        return self.chosen.count() > 0 or super().has_unsaved_input()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802  # Qt's name
        if (
            watched is self.search.table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Space
        ):
            self.toggle_current()
            return True
        return super().eventFilter(watched, event)

    def toggle_current(self) -> None:
        service = self.search.current_service()
        if service is None or not service.active:
            return
        ticked = service.id in {s.id for s in self.search.model.chosen}
        self.search.model.set_chosen(service, not ticked)

    def _chosen_changed(self) -> None:
        keep = {
            self.chosen.item(i).data(Qt.ItemDataRole.UserRole): self.chosen.item(i).checkState()
            for i in range(self.chosen.count())
        }
        self.chosen.clear()
        for service in self.search.model.chosen:
            item = QListWidgetItem(service.name)
            item.setData(Qt.ItemDataRole.UserRole, service.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(keep.get(service.id, Qt.CheckState.Unchecked))
            self.chosen.addItem(item)
        count = self.chosen.count()
        self.set_main_enabled(count > 0 and not self.saving, self.NOTHING_CHOSEN)
        self.save_button.setText(
            f"Prescribe {count} activit{'y' if count == 1 else 'ies'}" if count else "Prescribe"
        )

    def accompany(self) -> list[str]:
        return [
            self.chosen.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.chosen.count())
            if self.chosen.item(i).checkState() == Qt.CheckState.Checked
        ]

    def problems(self) -> list[ValidationError]:
        found: list[ValidationError] = []
        if not self.search.model.chosen:
            found.append(ValidationError("services", self.NOTHING_CHOSEN))
        try:
            parse_date(self.start_date.text(), "start_date")
        except ValidationError as error:
            found.append(error)
        return found

    def save(self) -> None:
        start = parse_date(self.start_date.text(), "start_date")
        assert start is not None
        chosen = [s.id for s in self.search.model.chosen]
        person_id, weeks, accompany = self.person_id, self.weeks.value(), self.accompany()

        def write(ws: Workspace) -> Changes:
            return ws.prescribing.prescribe_many(
                person_id, chosen, start, weeks=weeks, accompany_first=accompany
            )

        self.session.write(write, self._saved, self.save_failed)

    def _saved(self, changes: Changes) -> None:
        self.saved_ok()
        self.saved.emit(changes)


class FollowUpDialog(FormDialog):
    """One small form for a follow-up: mark it done (with notes), move it, or add one.
    Enter does it; closing with something typed asks first. `chosen_day` once accepted."""

    def __init__(
        self,
        title: str,
        *,
        day: date,
        notes: bool,
        about_activity: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.day = DateField(day, name="Date")
        self.notes = QLineEdit()
        form = QFormLayout()
        self.add_field(form, "Date", "day", self.day)
        if notes:
            self.add_field(form, "Notes (optional)", "notes", self.notes)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(title, 2))
        if about_activity:
            layout.addWidget(label(about_activity, "quiet"))
        layout.addWidget(self.top_error)
        layout.addLayout(form)
        layout.addLayout(self.button_row(title))
        self.ok = self.main_button
        self.chosen_day: date | None = None
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 48)
        self.mark_clean()
        fit_to_screen(self)

    def problems(self) -> list[ValidationError]:
        try:
            parse_date(self.day.text(), "day")
        except ValidationError as error:
            return [error]
        return []

    def save(self) -> None:
        self.chosen_day = parse_date(self.day.text(), "day")
        self.saved_ok()


# --- the prescription screen -------------------------------------------------------------------


class PrescriptionScreen(QWidget):
    """Everything about one person's activities. Signals: back(), close_case(person_id)."""

    back = Signal()
    close_case = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id: str | None = None
        self.person_name = ""
        self.activities = ActivitiesModel()
        self.follow_ups = FollowUpsModel()

        self.back_button = QPushButton("← Back")
        self.back_button.setAccessibleName("Back")
        self.title = heading("", 1)
        self.prescribe_button = QPushButton("Prescribe activities…")
        set_role(self.prescribe_button, "primary")
        self.close_button = QPushButton("Close the case…")
        self.message = label("", "notice")
        self.message.hide()

        self.activity_table = _table(self.activities, "Their activities")
        self.activity_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch
        )

        # Referral to the provider
        self.referral = QComboBox()
        self.referral.setAccessibleName("Referral to the provider")
        for status in ProviderReferral:
            self.referral.addItem(status.label, status.value)
        self.waiting_weeks = QSpinBox()
        self.waiting_weeks.setRange(0, 104)
        self.waiting_weeks.setSuffix(" weeks")
        self.waiting_weeks.setAccessibleName("Weeks on the waiting list")
        self.declined_reason = QLineEdit()
        self.declined_reason.setAccessibleName("Why the provider declined")
        self.referral_button = QPushButton("Save referral status")
        self.cancel_activity = QPushButton("Cancel this activity")
        self.referral_errors = FormErrors()
        referral_form = QFormLayout()
        form_row(referral_form, "Status", self.referral)
        form_row(
            referral_form, "Waiting", self.referral_errors.add("waiting_weeks", self.waiting_weeks)
        )
        form_row(
            referral_form, "Why declined",
            self.referral_errors.add("declined_reason", self.declined_reason),
        )
        referral_box = QGroupBox("Referral to the provider")
        referral_layout = QVBoxLayout(referral_box)
        referral_layout.addLayout(referral_form)
        referral_layout.addLayout(_buttons(self.cancel_activity, self.referral_button))

        # Sessions
        self.sessions = QListWidget()
        self.sessions.setAccessibleName("Sessions recorded")
        self.session_day = _date_field("Session date")
        # "Stopped going" asks why, as a choice reports can count, plus optional words.
        self.stop_choice = QComboBox()
        self.stop_choice.setAccessibleName("Why did they stop?")
        self.stop_choice.addItem("Only if they stopped: choose why…", None)
        for reason in stop_reasons():
            self.stop_choice.addItem(reason.words, reason.key)
        self.stop_reason = QLineEdit()
        self.stop_reason.setAccessibleName("More about why they stopped (optional)")
        self.stop_reason.setPlaceholderText("Optional, in their words")
        self.attended_button = QPushButton("Went")
        self.attended_button.setAccessibleName("Record that they went")
        self.missed_button = QPushButton("Missed it")
        self.missed_button.setAccessibleName("Record that they missed it")
        self.stopped_button = QPushButton("Stopped going")
        self.stopped_button.setAccessibleName("Record that they stopped going")
        self.session_errors = FormErrors()
        session_form = QFormLayout()
        form_row(session_form, "Date", self.session_errors.add("session_on", self.session_day))
        form_row(session_form, "Why did they stop?",
                 self.session_errors.add("stopped_because", self.stop_choice))
        form_row(session_form, "More detail", self.session_errors.add("reason", self.stop_reason))
        sessions_box = QGroupBox("Sessions")
        sessions_layout = QVBoxLayout(sessions_box)
        sessions_layout.addWidget(self.sessions)
        sessions_layout.addLayout(session_form)
        sessions_layout.addLayout(
            _buttons(self.attended_button, self.missed_button, self.stopped_button)
        )

        # Volunteering hours
        self.hours = QDoubleSpinBox()
        self.hours.setRange(0.25, 12)
        self.hours.setSingleStep(0.25)
        self.hours.setValue(2)
        self.hours.setSuffix(" hours")
        self.hours.setAccessibleName("Hours volunteered")
        self.hours_day = _date_field("Day volunteered")
        self.hours_button = QPushButton("Log hours")
        self.hours_total = label("", "quiet")
        self.hours_errors = FormErrors()
        hours_form = QFormLayout()
        form_row(hours_form, "Day", self.hours_errors.add("logged_on", self.hours_day))
        form_row(hours_form, "Hours", self.hours_errors.add("hours", self.hours))
        self.hours_box = QGroupBox("Volunteering hours")
        hours_layout = QVBoxLayout(self.hours_box)
        hours_layout.addWidget(self.hours_total)
        hours_layout.addLayout(hours_form)
        hours_layout.addLayout(_buttons(self.hours_button))

        # Follow-ups
        self.follow_up_table = _table(self.follow_ups, "Follow-ups")
        self.done_button = QPushButton("Mark done…")
        self.move_button = QPushButton("Move…")
        self.add_follow_up_button = QPushButton("Add a follow-up…")
        follow_box = QGroupBox("Follow-ups")
        follow_layout = QVBoxLayout(follow_box)
        follow_layout.addWidget(self.follow_up_table)
        follow_layout.addLayout(
            _buttons(self.add_follow_up_button, self.move_button, self.done_button)
        )

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addStretch(1)
        top.addWidget(self.prescribe_button)
        top.addWidget(self.close_button)
        self.activity_box = QWidget()
        activity_row = QHBoxLayout(self.activity_box)
        activity_row.setContentsMargins(0, 0, 0, 0)
        activity_row.addWidget(referral_box)
        activity_row.addWidget(sessions_box)
        activity_row.addWidget(self.hours_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        # Both tables keep a few rows in view; the forms between them scroll on a short screen
        # (and the follow-up buttons stay under their table).
        rows = self.fontMetrics().lineSpacing() * 2
        self.activity_table.setMinimumHeight(rows * 3)
        self.follow_up_table.setMinimumHeight(rows * 4)
        layout.addWidget(self.activity_table, 1)
        layout.addWidget(scrolling(self.activity_box), 3)
        layout.addWidget(follow_box, 2)

        self.back_button.clicked.connect(self.back)
        self.prescribe_button.clicked.connect(self.open_prescribe)
        self.close_button.clicked.connect(self._close_case)
        self.referral.currentIndexChanged.connect(lambda _i: self._referral_fields())
        self.referral_button.clicked.connect(self._save_referral)
        self.cancel_activity.clicked.connect(self._cancel_activity)
        self.attended_button.clicked.connect(lambda: self._attendance(AttendanceStatus.ATTENDED))
        self.missed_button.clicked.connect(lambda: self._attendance(AttendanceStatus.MISSED))
        self.stopped_button.clicked.connect(lambda: self._attendance(AttendanceStatus.STOPPED))
        self.hours_button.clicked.connect(self._log_hours)
        self.done_button.clicked.connect(self._mark_done)
        self.move_button.clicked.connect(self._move)
        self.add_follow_up_button.clicked.connect(self._add_follow_up)
        self.activity_table.selectionModel().selectionChanged.connect(self._activity_chosen)
        self.follow_up_table.selectionModel().selectionChanged.connect(self._follow_up_chosen)
        session.changed.connect(self.refresh)
        self._show_activity(None)
        self._follow_up_chosen(QItemSelection(), QItemSelection())

    # --- loading ---------------------------------------------------------------------------

    def show_person(self, person_id: str, person_name: str) -> None:
        self.person_id = person_id
        self.person_name = person_name
        self.title.setText(f"Activities for {person_name}")
        self.title.setAccessibleName(self.title.text())
        self.message.hide()
        self._load()

    def refresh(self, changes: Changes) -> None:
        person_id = self.person_id
        if person_id is not None and person_id in changes.people and self.session.is_unlocked:
            self._load()

    def _load(self) -> None:
        person_id = self.person_id
        if person_id is None:
            return

        def read(ws: Workspace) -> tuple[str, list[PrescriptionDetails], list[FollowUp]]:
            return (
                person_id,
                ws.prescribing.details(person_id),
                ws.prescribing.follow_ups_of(person_id),
            )

        self.session.read(read, self._loaded)

    def _loaded(self, found: tuple[str, list[PrescriptionDetails], list[FollowUp]]) -> None:
        person_id, details, follow_ups = found
        if person_id != self.person_id:
            return
        selected = self.current()
        self.activities.set_details(details)
        names = {d.prescription.id: d.service.name for d in details}
        self.follow_ups.set_follow_ups(follow_ups, names)
        row = self.activities.row_of(selected.prescription.id) if selected else None
        if row is None and details:
            row = 0
        if row is not None:
            self.activity_table.selectRow(row)
        else:
            self._show_activity(None)
        self._follow_up_chosen(QItemSelection(), QItemSelection())

    def current(self) -> PrescriptionDetails | None:
        index = self.activity_table.currentIndex()
        if not index.isValid() or index.row() >= self.activities.rowCount():
            return None
        return self.activities.details(index.row())

    def _activity_chosen(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._show_activity(self.current())

    def _show_activity(self, details: PrescriptionDetails | None) -> None:
        self.activity_box.setEnabled(details is not None)
        self.sessions.clear()
        for errors in (self.referral_errors, self.session_errors, self.hours_errors):
            errors.clear()
        if details is None:
            self.hours_box.hide()
            return
        p = details.prescription
        self.referral.blockSignals(True)
        self.referral.setCurrentIndex(max(self.referral.findData(p.provider_referral.value), 0))
        self.referral.blockSignals(False)
        self.waiting_weeks.setValue(p.waiting_weeks or 0)
        self.declined_reason.setText(p.declined_reason)
        self._referral_fields()
        active = p.is_active
        for widget in (self.referral, self.referral_button, self.cancel_activity):
            widget.setEnabled(active)
        for fact in details.attendance:
            why = [w for w in (stop_reason_words(fact.stopped_because), fact.reason) if w]
            reason = f": {' — '.join(why)}" if why else ""
            self.sessions.addItem(f"{nice_date(fact.session_on)} — {fact.status.label}{reason}")
        if not details.attendance:
            self.sessions.addItem("No sessions recorded yet.")
        self.stop_reason.clear()
        self.stop_choice.setCurrentIndex(0)
        volunteering = details.service.category is Category.VOLUNTEERING
        self.hours_box.setVisible(volunteering)
        self.hours_total.setText(
            f"{details.hours_given:g} hours given so far" if volunteering else ""
        )

    def _referral_fields(self) -> None:
        status = ProviderReferral(self.referral.currentData())
        self.waiting_weeks.setEnabled(status is ProviderReferral.WAITING_LIST)
        self.declined_reason.setEnabled(status is ProviderReferral.DECLINED)

    # --- actions ---------------------------------------------------------------------------

    def open_prescribe(self) -> PrescribeDialog | None:
        if self.person_id is None:
            return None
        dialog = PrescribeDialog(self.session, self.person_id, self.person_name, self)
        dialog.saved.connect(lambda _c: self._say("Activities prescribed, with their reviews."))
        dialog.open()
        dialog.start()
        return dialog

    def _close_case(self) -> None:
        if self.person_id is not None:
            self.close_case.emit(self.person_id)

    def _write(self, fn: Any, errors: FormErrors | None, done: str) -> None:
        def failed(error: BaseException) -> None:
            if isinstance(error, ValidationError) and errors is not None:
                errors.show(error)
            else:
                show_error(self, error)

        self.session.write(fn, lambda _c: self._say(done), failed)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _save_referral(self) -> None:
        details = self.current()
        if details is None:
            return
        self.referral_errors.clear()
        pid = details.prescription.id
        status = ProviderReferral(self.referral.currentData())
        weeks = self.waiting_weeks.value() if status is ProviderReferral.WAITING_LIST else None
        reason = self.declined_reason.text()

        def write(ws: Workspace) -> Changes:
            return ws.prescribing.set_provider_referral(
                pid, status, waiting_weeks=weeks, reason=reason
            )

        self._write(write, self.referral_errors, f"Referral: {status.label}.")

    def _cancel_activity(self) -> None:
        details = self.current()
        if details is None:
            return
        pid = details.prescription.id

        def write(ws: Workspace) -> Changes:
            return ws.prescribing.cancel(pid)

        self._write(write, None, f"{details.service.name} cancelled.")

    def _attendance(self, status: AttendanceStatus) -> None:
        details = self.current()
        if details is None:
            return
        self.session_errors.clear()
        try:
            day = parse_date(self.session_day.text(), "session_on")
        except ValidationError as error:
            self.session_errors.show(error)
            return
        assert day is not None
        pid, reason = details.prescription.id, self.stop_reason.text()
        # Passed as chosen: a reason with "Went" is refused in words, never quietly dropped.
        because = self.stop_choice.currentData()

        def write(ws: Workspace) -> Changes:
            return ws.prescribing.record_attendance(
                pid, day, status, reason, stopped_because=because)

        self._write(write, self.session_errors, f"Session on {nice_date(day)}: {status.label}.")

    def _log_hours(self) -> None:
        details = self.current()
        if details is None:
            return
        self.hours_errors.clear()
        try:
            day = parse_date(self.hours_day.text(), "logged_on")
        except ValidationError as error:
            self.hours_errors.show(error)
            return
        assert day is not None
        pid, hours = details.prescription.id, self.hours.value()

        def write(ws: Workspace) -> Changes:
            return ws.prescribing.log_volunteer_hours(pid, day, hours)

        self._write(write, self.hours_errors, f"{hours:g} hours logged.")

    def current_follow_up(self) -> FollowUp | None:
        index = self.follow_up_table.currentIndex()
        if not index.isValid() or index.row() >= self.follow_ups.rowCount():
            return None
        return self.follow_ups.follow_up(index.row())

    def _follow_up_chosen(self, _new: QItemSelection, _old: QItemSelection) -> None:
        chosen = self.current_follow_up()
        open_one = chosen is not None and chosen.is_open
        self.done_button.setEnabled(open_one)
        self.move_button.setEnabled(open_one)
        self.add_follow_up_button.setEnabled(self.person_id is not None)

    def _mark_done(self) -> FollowUpDialog | None:
        chosen = self.current_follow_up()
        if chosen is None:
            return None
        dialog = FollowUpDialog(
            "Mark done", day=date.today(), notes=True, about_activity=chosen.label, parent=self
        )
        follow_up_id = chosen.id

        def accepted() -> None:
            day, notes = dialog.chosen_day, dialog.notes.text()
            assert day is not None

            def write(ws: Workspace) -> Changes:
                return ws.prescribing.complete_follow_up(follow_up_id, day, notes)

            self._write(write, None, "Follow-up marked done.")

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    def _move(self) -> FollowUpDialog | None:
        chosen = self.current_follow_up()
        if chosen is None:
            return None
        dialog = FollowUpDialog("Move follow-up", day=chosen.due_on, notes=False, parent=self)
        follow_up_id = chosen.id

        def accepted() -> None:
            day = dialog.chosen_day
            assert day is not None

            def write(ws: Workspace) -> Changes:
                return ws.prescribing.move_follow_up(follow_up_id, day)

            self._write(write, None, f"Follow-up moved to {nice_date(day)}.")

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    def _add_follow_up(self) -> FollowUpDialog | None:
        person_id = self.person_id
        if person_id is None:
            return None
        details = self.current()
        about = f"About: {details.service.name}" if details else ""
        dialog = FollowUpDialog(
            "Add a follow-up", day=date.today(), notes=True, about_activity=about, parent=self
        )
        pid = details.prescription.id if details else None

        def accepted() -> None:
            day, notes = dialog.chosen_day, dialog.notes.text()
            assert day is not None

            def write(ws: Workspace) -> Changes:
                return ws.prescribing.add_follow_up(
                    person_id, day, prescription_id=pid, notes=notes
                )

            self._write(write, None, f"Follow-up added for {nice_date(day)}.")

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog


class PrescriptionWindow(QDialog):
    """The prescription screen in its own window, for opening from the person view; closing
    the case from it opens the closing review."""

    def __init__(
        self, session: Session, person_id: str, person_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Activities for {person_name}")
        self.person_name = person_name
        self.prescription = PrescriptionScreen(session, self)
        self.prescription.back_button.setText("Close")
        self.prescription.back_button.setAccessibleName("Close this window")
        layout = QVBoxLayout(self)
        layout.addWidget(self.prescription)
        self.prescription.back.connect(self.accept)
        self.prescription.close_case.connect(self.open_closing_review)
        self.prescription.show_person(person_id, person_name)
        fit_to_screen(self, text_size(self, 140, 46))

    def open_closing_review(self, person_id: str) -> QDialog:
        dialog = ClosingReviewDialog(self.prescription.session, person_id, self.person_name, self)
        dialog.open()
        dialog.load()
        return dialog
