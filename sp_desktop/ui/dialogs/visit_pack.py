"""The visit pack: before a day out, everyone's printouts for that day in one go."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.pdf import wording
from sp_desktop.services import documents
from sp_desktop.services.documents import DueVisit
from sp_desktop.services.run_sheet import sync_warning

from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog, visit_pack_request
from sp_desktop.ui.errors import show_error
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role
from sp_desktop.ui.tasks import Task

PERSON_ROLE = Qt.ItemDataRole.UserRole


class VisitPackDialog(QDialog):
    """Pick a day, see who is due (follow-ups and visits), untick anyone, then preview the pack.

    The list is the day's schedule from the store, read in the background; ticking only narrows
    what is printed. Attributes: `people` (the list), `preview` (the preview once opened).

    Signals: loaded(count) when the day's list has arrived.
    """

    loaded = Signal(int)

    def __init__(
        self, session: Session, parent: QWidget | None = None, *, day: date | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.preview: PrintPreviewDialog | None = None
        self._due: list[DueVisit] = []
        self._generation = 0
        self._task: Task | None = None
        self.setWindowTitle("Visit pack")
        self.resize(560, 560)

        start = day or date.today()
        self.day_box = QDateEdit(QDate(start.year, start.month, start.day))
        self.day_box.setCalendarPopup(True)
        self.day_box.setDisplayFormat("dddd d MMMM yyyy")
        self.day_box.setAccessibleName("Day of the visits")
        self.today_button = QPushButton("Today")
        self.tomorrow_button = QPushButton("Tomorrow")
        self.summary = label("Looking up the day's visits…", "quiet")
        self.summary.setAccessibleName("Who is due")
        # Said before printing, while there may still be time to sync.
        self.sync_warning = label("", "notice")
        self.sync_warning.setAccessibleName("Sync warning")
        self.sync_warning.hide()
        self.people = QListWidget()
        self.people.setAccessibleName("People to print for")
        self.preview_button = QPushButton("Preview and print…")
        set_role(self.preview_button, "primary")
        self.preview_button.setEnabled(False)
        close = QPushButton("Close")

        days = QHBoxLayout()
        days.addWidget(self.day_box, 1)
        days.addWidget(self.today_button)
        days.addWidget(self.tomorrow_button)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.preview_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Visit pack", 2))
        layout.addWidget(
            label(
                "Everyone with a visit or follow-up due that day, each printout on its own "
                "pages, in their own print size. Untick anyone you will not see. Your run "
                "sheet and the directory entries you will need come first, for you to keep.",
                "quiet",
            )
        )
        layout.addLayout(days)
        layout.addWidget(self.sync_warning)
        layout.addWidget(self.summary)
        layout.addWidget(self.people, 1)
        layout.addLayout(buttons)

        self.day_box.dateChanged.connect(lambda _d: self.load())
        self.today_button.clicked.connect(lambda: self.set_day(date.today()))
        self.tomorrow_button.clicked.connect(lambda: self.set_day(date.today() + timedelta(1)))
        self.people.itemChanged.connect(lambda _item: self._update_button())
        self.preview_button.clicked.connect(self.open_preview)
        close.clicked.connect(self.reject)
        self.load()

    @property
    def day(self) -> date:
        chosen = self.day_box.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def set_day(self, day: date) -> None:
        self.day_box.setDate(QDate(day.year, day.month, day.day))

    def load(self) -> None:
        """Reads who is due on the chosen day, in the background."""
        self._generation += 1
        generation, day = self._generation, self.day
        self.people.clear()
        self._due = []
        self.preview_button.setEnabled(False)
        self.summary.setText("Looking up the day's visits…")
        if self._task is not None:
            self._task.forget()
        self._task = self.session.read(
            lambda ws: (documents.due_on(ws, day), sync_warning(ws)),
            lambda found: self._loaded(generation, day, *found),
            lambda error: self._failed(generation, error),
        )

    def _loaded(
        self, generation: int, day: date, due: list[DueVisit], warning: str | None = None
    ) -> None:
        if generation != self._generation:
            return
        self._task = None
        self._due = due
        self.sync_warning.setText(warning or "")
        self.sync_warning.setVisible(bool(warning))
        self.people.blockSignals(True)
        for visit in due:
            size = ", large print" if visit.large_print else ""
            where = f", {visit.postcode}" if visit.postcode else ""
            item = QListWidgetItem(f"{visit.name}{where} — {', '.join(visit.reasons)}{size}")
            item.setData(PERSON_ROLE, visit.person_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.people.addItem(item)
        self.people.blockSignals(False)
        when = wording.weekday_date(day)
        if not due:
            self.summary.setText(f"Nobody has a visit or follow-up due on {when}.")
        else:
            count = f"{len(due)} {'person' if len(due) == 1 else 'people'}"
            self.summary.setText(f"{count} due on {when}.")
        self._update_button()
        self.loaded.emit(len(due))

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self._task = None
            self.summary.setText("The day's visits could not be read.")
            show_error(self, error)

    def chosen(self) -> tuple[str, ...]:
        """The ticked people, in the list's order."""
        return tuple(
            str(self.people.item(row).data(PERSON_ROLE))
            for row in range(self.people.count())
            if self.people.item(row).checkState() == Qt.CheckState.Checked
        )

    def _update_button(self) -> None:
        self.preview_button.setEnabled(bool(self.chosen()))

    def open_preview(self) -> None:
        chosen = self.chosen()
        if not chosen:
            return
        self.preview = PrintPreviewDialog(self.session, visit_pack_request(self.day, chosen), self)
        self.preview.open()

    def done(self, result: int) -> None:
        """Closing forgets a list still being read, so no one's name arrives after."""
        if self._task is not None:
            self._task.forget()
            self._task = None
        super().done(result)
