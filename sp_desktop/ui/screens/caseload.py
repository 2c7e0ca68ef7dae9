"""The caseload: everyone the adviser works with, searchable as they type, filtered and sorted."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.services.caseload import CaseloadFilter, CaseloadRow
from sp_desktop.services.settings import CASELOAD_SORT_COLUMN, CASELOAD_SORT_DESCENDING, Settings
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.flow import FlowLayout
from sp_desktop.ui.models.caseload import (
    COLUMNS,
    LAST_CONTACT,
    CaseloadModel,
    PreparedCaseload,
    let_go,
)
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

_OPEN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# More people than this changed at once (a first sync, a restore): everyone is read again in
# the background instead of each row being moved into place on the UI thread.
BIG_CHANGE = 200


class CaseloadScreen(QWidget):
    """Signals: open_person(person_id), add_person(), loaded() (rows are on screen)."""

    open_person = Signal(str)
    add_person = Signal()
    loaded = Signal()

    def __init__(self, session: Session, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.model = CaseloadModel()
        self._reloading = False
        self._pending: set[str] = set()
        self.title = heading("Your caseload", 1)
        self.count = label("", "quiet", wrap=False)
        self.add_button = QPushButton("Add a person")
        set_role(self.add_button, "primary")
        self.add_button.setToolTip("Add a person (Ctrl+N)")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name or NHS number")
        self.search.setAccessibleName("Search the caseload")
        self.search.setClearButtonEnabled(True)
        self.filters = QButtonGroup(self)
        self.filter_buttons: dict[CaseloadFilter, QPushButton] = {}
        # The filters wrap onto a second line on a narrow or scaled screen.
        filters = FlowLayout()
        filters.addWidget(label("Show:", "quiet", wrap=False))
        for which in CaseloadFilter:
            button = QPushButton(which.value)
            button.setCheckable(True)
            set_role(button, "filter")
            button.setAccessibleName(f"Show: {which.value}")
            self.filters.addButton(button)
            self.filter_buttons[which] = button
            filters.addWidget(button)
            button.clicked.connect(lambda _c=False, w=which: self._filter(w))
        filter_row = QHBoxLayout()
        filter_row.addLayout(filters, 1)
        self.filter_buttons[CaseloadFilter.ALL].setChecked(True)
        # Sorting by keyboard too (the column headers only answer to the mouse).
        self.sort_by = QComboBox()
        self.sort_by.setAccessibleName("Sort by")
        for column, title in enumerate(COLUMNS):
            self.sort_by.addItem(title, column)
        self.sort_by.addItem("Longest since last contact", -LAST_CONTACT - 1)
        sort_label = label("Sort by:", "quiet", wrap=False)
        sort_label.setBuddy(self.sort_by)  # names the box for screen readers (not its value)
        filter_row.addWidget(sort_label, 0, Qt.AlignmentFlag.AlignTop)
        filter_row.addWidget(self.sort_by, 0, Qt.AlignmentFlag.AlignTop)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("People on your caseload")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(int(self.fontMetrics().height() * 2.0))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        metrics = self.fontMetrics()
        for column, sample in enumerate(
            (
                "Bartholomew Featherstonehaugh",
                "Riverside Medical Practice",
                "Activities under way",
                "Overdue since Wed 30 Sep 2026",
            )
        ):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + metrics.height() * 2)
        self.table.setSortingEnabled(True)
        descending = settings.get(CASELOAD_SORT_DESCENDING)
        self.table.sortByColumn(
            settings.get(CASELOAD_SORT_COLUMN),
            Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder,
        )
        header.sortIndicatorChanged.connect(self._remember_sort)
        self._show_sort(self.model.sort_column, self.model.sort_order)
        self.sort_by.activated.connect(self._sort_chosen)
        self.empty = label("", "notice")
        self.empty.hide()

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.count, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        top.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.search)
        layout.addLayout(filter_row)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)

        self.search.textChanged.connect(self._search)
        self.search.installEventFilter(self)
        self.table.installEventFilter(self)
        self.table.doubleClicked.connect(self._open_index)
        self.add_button.clicked.connect(self.add_person)

    # --- data --------------------------------------------------------------------------------

    def load(self) -> None:
        """Everyone, read, sorted and counted in the background after unlocking."""
        model = self.model
        self.session.read(lambda ws: model.prepare(ws.caseload.rows()), self.show_prepared)

    def show_prepared(self, prepared: PreparedCaseload) -> None:
        self._take(prepared)
        self._after_change()
        self.loaded.emit()

    def refresh(self, changes: Changes) -> None:
        """Only the people a change names are read again; when a change names many (a first
        sync), everyone is read, sorted and counted in the background and given in one go,
        so the UI thread never moves thousands of rows one by one."""
        if not changes.people or not self.session.is_unlocked:
            return
        if self._reloading:
            self._pending |= changes.people  # read again once the whole list has arrived
            return
        if len(changes.people) > BIG_CHANGE:
            self._reload()
            return
        people = changes.people

        def fetch(ws: Workspace) -> list[CaseloadRow]:
            return ws.caseload.rows(people)

        self.session.read(fetch, lambda rows: self._update(rows, people))

    def _update(self, rows: list[CaseloadRow], people: frozenset[str]) -> None:
        self.model.update_people(rows, people)
        self._after_change()

    def _reload(self) -> None:
        self._reloading = True
        self._pending = set()
        model = self.model
        self.session.read(
            lambda ws: model.prepare(ws.caseload.rows()), self._reloaded, self._reload_failed
        )

    def _reloaded(self, prepared: PreparedCaseload) -> None:
        self._reloading = False
        current = self.table.currentIndex()
        chosen = self.model.person_id(current.row()) if current.isValid() else None
        self._take(prepared)
        self._after_change()
        if chosen is not None:
            self.select_person(chosen)
        pending, self._pending = frozenset(self._pending), set()
        if pending:
            self.refresh(Changes(pending))

    def _take(self, prepared: PreparedCaseload) -> None:
        """Everyone at once; the rows they replace are freed on a worker thread."""
        replaced = self.model.set_prepared(prepared)
        if replaced.rows:
            self.session.tasks.run(lambda: let_go(replaced), name="let go of replaced rows")

    def _reload_failed(self, error: BaseException) -> None:
        self._reloading = False
        self.session.tasks.on_error(error)

    def clear(self) -> None:
        self._reloading = False
        self._pending = set()
        self.search.clear()
        self.model.clear()
        self._after_change()

    def select_person(self, person_id: str) -> None:
        row = self.model.row_of(person_id)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    # --- reacting ------------------------------------------------------------------------------

    def _search(self, text: str) -> None:
        self.model.set_query(text)
        self._after_filter()

    def _filter(self, which: CaseloadFilter) -> None:
        self.model.set_filter(which)
        self._label_filters()
        self._after_filter()

    def _after_change(self) -> None:
        total = self.model.total
        self.count.setText(f"{total} {'person' if total == 1 else 'people'}")
        self._label_filters()
        self._after_filter()

    def _label_filters(self) -> None:
        """The chosen filter is marked with a tick, not only by its colour."""
        for which, button in self.filter_buttons.items():
            text = which.value
            if which is not CaseloadFilter.ALL:
                text += f" ({self.model.count_in(which)})"
            if which is self.model.which:
                text = "✓ " + text
            button.setText(text)

    def _after_filter(self) -> None:
        shown = self.model.rowCount()
        if self.model.total == 0:
            self.empty.setText("No one is on your caseload yet. Choose “Add a person” to begin.")
        elif shown == 0 and self.model.query:
            self.empty.setText(f"No one matches “{self.model.query.strip()}”.")
        elif shown == 0:
            self.empty.setText(f"No one in “{self.model.which.value}” just now.")
        self.empty.setVisible(shown == 0)
        if shown and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def _remember_sort(self, column: int, order: Qt.SortOrder) -> None:
        self.settings.set(CASELOAD_SORT_COLUMN, column)
        self.settings.set(CASELOAD_SORT_DESCENDING, order == Qt.SortOrder.DescendingOrder)
        self._show_sort(column, order)

    def _show_sort(self, column: int, order: Qt.SortOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        wanted = -column - 1 if descending and column == LAST_CONTACT else column
        index = self.sort_by.findData(wanted)
        if index >= 0:
            self.sort_by.setCurrentIndex(index)

    def _sort_chosen(self, index: int) -> None:
        chosen = int(self.sort_by.itemData(index))
        column = -chosen - 1 if chosen < 0 else chosen
        order = Qt.SortOrder.AscendingOrder
        if chosen < 0:
            order = Qt.SortOrder.DescendingOrder
        self.table.sortByColumn(column, order)

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_person.emit(self.model.person_id(index.row()))

    def _open_current(self) -> None:
        current = self.table.currentIndex()
        if not current.isValid() and self.model.rowCount():
            current = self.model.index(0, 0)
        self._open_index(current)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if watched is self.search:
                if key == Qt.Key.Key_Down and self.model.rowCount():
                    self.table.setFocus(Qt.FocusReason.TabFocusReason)
                    if not self.table.currentIndex().isValid():
                        self.table.selectRow(0)
                    return True
                if key in _OPEN_KEYS:
                    self._open_current()
                    return True
                if key == Qt.Key.Key_Escape and self.search.text():
                    self.search.clear()
                    return True
            elif watched is self.table and key in _OPEN_KEYS:
                self._open_current()
                return True
        return super().eventFilter(watched, event)
