"""The directory of services: search by words and filters, read an entry, import and export."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.directory import Category, Service, ServiceQuery, WellbeingWay
from sp_desktop.interchange.directory_files.findings import FindingGroup, grouped
from sp_desktop.interchange.oruk import vocabulary
from sp_desktop.services.directory import (
    ImportMode,
    ImportPreview,
    ImportRefused,
    ImportSummary,
    directory_of,
)
from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.fit import fit_to_screen, scrolling
from sp_desktop.ui.flow import FlowLayout
from sp_desktop.ui.models.table import ColumnsModel, Index
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, plain_tip, set_role

COLUMNS = ("Activity", "Kind", "Area", "When", "Cost")
_TO_CATEGORISE = "-"  # the filter's value for entries still to be categorised
TYPING_PAUSE_MS = 120  # search once typing pauses, not on every key


def service_words(service: Service) -> str:
    """Everything about one entry, in plain words, for the details pane and screen readers."""
    vocab = vocabulary()
    lines = [service.name]
    if service.organisation:
        lines.append(f"Run by {service.organisation}")
    if not service.active:
        lines.append("Paused just now: it cannot be prescribed.")
    lines.append(category_words(service))
    if service.wellbeing_tags:
        lines.append("Five ways: " + ", ".join(vocab.way_labels[w] for w in service.wellbeing_tags))
    if service.description:
        lines.append("")
        lines.append(service.description)
        lines.append("")
    facts = [
        ("When", service.schedule),
        ("Where", ", ".join(p for p in (service.address, service.postcode) if p)),
        ("Area", service.area),
        ("Cost", "Free" if service.free and not service.cost else service.cost),
        ("Access", ("Step-free. " if service.step_free else "") + service.accessibility),
        ("Contact", " · ".join(
            p for p in (service.contact_name, service.contact_phone, service.contact_email) if p
        )),
        ("How to refer", service.how_to_refer),
        ("Waiting time", _wait_words(service.waiting_weeks)),
        ("Who it is for", ". ".join(p for p in (service.ages, service.eligibility) if p)),
        ("Languages", ", ".join(service.languages)),
        ("Website", service.website),
        ("Last checked", nice_date(service.last_checked)),
    ]  # fmt: skip
    lines.extend(f"{title}: {value}" for title, value in facts if value.strip())
    for place in service.places[1:]:
        where = ", ".join(p for p in (place.name, place.address, place.postcode) if p)
        extra = " · ".join(p for p in (place.schedule, *place.phones) if p)
        lines.append(f"Also at: {where}" + (f" ({extra})" if extra else ""))
    for contact in service.contacts[1:]:
        who = " · ".join(p for p in (contact.name, contact.role, contact.phone, contact.email)
                         if p)
        lines.append(f"Also contact: {who}")
    return "\n".join(lines)


TO_CATEGORISE = "To be categorised"


def category_words(service: Service) -> str:
    """The entry's kind, or that the office has still to map the council's terms."""
    if service.category is None:
        return TO_CATEGORISE
    return vocabulary().category_labels[service.category]


def _wait_words(weeks: int | None) -> str:
    if weeks is None:
        return ""
    if weeks == 0:
        return "No wait"
    return f"About {weeks} week{'s' if weeks != 1 else ''}"


class ServicesModel(ColumnsModel):
    """Search results: service ids plus their entries. With `choosing`, the first column has
    a tick box per row (Space toggles it) and `chosen` lists the ticked ids in order."""

    columns = COLUMNS

    chosen_changed = Signal()

    def __init__(self, *, choosing: bool = False) -> None:
        super().__init__()
        self.choosing = choosing
        self._ids: list[str] = []
        self._cache: dict[str, Service] = {}
        self._chosen: dict[str, Service] = {}

    def set_services(self, entries: Iterable[Service]) -> None:
        self.beginResetModel()
        items = list(entries)
        self._ids = [s.id for s in items]
        self._cache = {s.id: s for s in items}
        self.endResetModel()

    def service(self, row: int) -> Service:
        return self._cache[self._ids[row]]

    @property
    def chosen(self) -> list[Service]:
        return list(self._chosen.values())

    def set_chosen(self, service: Service, chosen: bool) -> None:
        if chosen:
            self._chosen[service.id] = service
        else:
            self._chosen.pop(service.id, None)
        if service.id in self._cache:
            row = self._ids.index(service.id)
            self.dataChanged.emit(self.index(row, 0), self.index(row, 0))
        self.chosen_changed.emit()

    def row_count(self) -> int:
        return len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        service = self._cache[self._ids[index.row()]]
        column = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and self.choosing and column == 0:
            ticked = service.id in self._chosen
            return Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == 0:
                paused = "" if service.active else " (paused)"
                text = service.name + paused
                if role == Qt.ItemDataRole.AccessibleTextRole and self.choosing:
                    text += ", chosen" if service.id in self._chosen else ", not chosen"
                return text
            if column == 1:
                return category_words(service)
            if column == 2:
                return service.area
            if column == 3:
                return service.schedule
            return "Free" if service.free else service.cost
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(service_words(service))
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not (self.choosing and index.isValid() and index.column() == 0):
            return False
        if role != Qt.ItemDataRole.CheckStateRole:
            return False
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(value)
        self.set_chosen(self.service(index.row()), state == Qt.CheckState.Checked)
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.choosing and index.column() == 0:
            service = self._cache[self._ids[index.row()]]
            if service.active:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags


class DirectorySearch(QWidget):
    """Words and filters above the results and the chosen entry's details.

    Searches run in the background (the index may need rebuilding after a sync); a result that
    arrives after a newer search was asked for is dropped. Signal: searched(count).
    """

    searched = Signal(int)

    def __init__(
        self, session: Session, *, choosing: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._asked = 0  # searches asked for, and the one whose results are shown
        self._shown = 0
        self._focus_first = False
        vocab = vocabulary()
        self.words = QLineEdit()
        self.words.setPlaceholderText("Search by name, organisation or what it offers")
        self.words.setAccessibleName("Search the directory")
        self.words.setClearButtonEnabled(True)
        self.category = QComboBox()
        self.category.setAccessibleName("Kind of activity")
        self.category.addItem("Any kind", None)
        for category in Category:
            self.category.addItem(vocab.category_labels[category], category.value)
        self.category.addItem(TO_CATEGORISE, _TO_CATEGORISE)
        self.area = QComboBox()
        self.area.setAccessibleName("Area")
        self.area.addItem("Any area", "")
        self.ways: dict[WellbeingWay, QCheckBox] = {}
        ways_box = QGroupBox("Five ways to wellbeing")
        ways_row = FlowLayout(ways_box)  # wraps on a narrow or scaled screen
        for way in WellbeingWay:
            box = QCheckBox(vocab.way_labels[way])
            box.setToolTip(vocab.way_descriptions[way])
            box.setAccessibleName(f"Five ways: {vocab.way_labels[way]}")
            self.ways[way] = box
            ways_row.addWidget(box)
        self.free_only = QCheckBox("Free only")
        self.step_free_only = QCheckBox("Step-free access")
        self.include_paused = QCheckBox("Show paused")

        self.model = ServicesModel(choosing=choosing)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Activities found")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        # The name takes the spare width; the other columns get fixed shares (long text is
        # elided here and shown in full beside the table), so nothing needs a sideways scroll.
        header.setStretchLastSection(False)
        character = self.fontMetrics().averageCharWidth()
        widths = {"Kind": 24, "Area": 15, "When": 22, "Cost": 12}  # in characters
        for column, title in enumerate(COLUMNS):
            if title in widths:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                header.resizeSection(column, widths[title] * character)
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.count = label("", "quiet")
        self.count.setAccessibleName("How many were found")
        self.details = label("Choose an activity to see everything about it.")
        self.details.setAccessibleName("About this activity")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        filters = QGridLayout()
        filters.addWidget(self.words, 0, 0, 1, 3)
        # Each box with its label beside it (its buddy): a screen reader says "Kind of
        # activity", not the value "Any kind".
        pairs = (("Kind", self.category), ("Area", self.area))
        for column, (words, chooser) in enumerate(pairs):
            caption = label(words, "quiet", wrap=False)
            caption.setBuddy(chooser)
            pair = QHBoxLayout()
            pair.addWidget(caption)
            pair.addWidget(chooser, 1)
            filters.addLayout(pair, 1, column)
        checks = FlowLayout()
        for box in (self.free_only, self.step_free_only, self.include_paused):
            checks.addWidget(box)
        filters.addLayout(checks, 1, 2)
        filters.addWidget(ways_box, 2, 0, 1, 3)
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.count)
        results_layout.addWidget(self.table)
        details_box = QGroupBox("About this activity")
        details_layout = QVBoxLayout(details_box)
        # A long entry scrolls in its box rather than making the window taller than the screen.
        details_layout.addWidget(scrolling(self.details))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(results)
        split.addWidget(details_box)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(split, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPING_PAUSE_MS)
        self._timer.timeout.connect(self.search)
        self.words.textChanged.connect(lambda _t: self._timer.start())
        # Enter in the search box goes to the results and stops there: in a dialog it would
        # otherwise also press the dialog's main button (Prescribe).
        self.words.installEventFilter(self)
        for combo in (self.category, self.area):
            combo.currentIndexChanged.connect(lambda _i: self.search())
        for box in (*self.ways.values(), self.free_only, self.step_free_only, self.include_paused):
            box.toggled.connect(lambda _c: self.search())
        self.table.selectionModel().selectionChanged.connect(self._selected)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802  # Qt's name
        if (
            watched is self.words
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._first_result()
            return True
        return super().eventFilter(watched, event)

    def query(self) -> ServiceQuery:
        category = self.category.currentData()
        return ServiceQuery(
            words=self.words.text(),
            category=Category(category) if category and category != _TO_CATEGORISE else None,
            to_categorise=category == _TO_CATEGORISE,
            ways=frozenset(w for w, box in self.ways.items() if box.isChecked()),
            area=str(self.area.currentData() or ""),
            free_only=self.free_only.isChecked(),
            step_free_only=self.step_free_only.isChecked(),
            include_inactive=self.include_paused.isChecked(),
        )

    def start(self) -> None:
        """Fills the area list and shows everything active; call once the screen is shown."""

        def areas(ws: Workspace) -> tuple[str, ...]:
            return directory_of(ws).areas()

        self.session.read(areas, self._set_areas)
        self.search()

    def search(self) -> None:
        self._timer.stop()
        self._asked += 1
        asked = self._asked
        query = self.query()

        def run(ws: Workspace) -> tuple[int, list[Service]]:
            return asked, directory_of(ws).search(query)

        self.session.read(run, self._show)

    def _show(self, result: tuple[int, Sequence[Service]]) -> None:
        asked, found = result
        if asked != self._asked:
            return  # a newer search is on its way
        self._shown = asked
        self.model.set_services(found)
        count = len(found)
        self.count.setText(
            "Nothing found: try fewer words or filters." if not count
            else f"{count} activit{'y' if count == 1 else 'ies'} found"
        )  # fmt: skip
        self.details.setText("Choose an activity to see everything about it.")
        self._fit_columns()
        if self._focus_first:
            self._focus_first = False
            self._first_result()
        self.searched.emit(count)

    def _fit_columns(self) -> None:
        """Kind and Cost as wide as what they show now (the words are short but vary: "Information,
        advice and guidance", "£2.50 a session"), up to a cap; longer ones are in the tooltip
        and the details beside the table."""
        header = self.table.horizontalHeader()
        character = self.fontMetrics().averageCharWidth()
        for title, most in (("Kind", 36), ("Cost", 32)):
            column = COLUMNS.index(title)
            self.table.resizeColumnToContents(column)
            header.resizeSection(column, min(header.sectionSize(column), most * character))

    def _set_areas(self, areas: Sequence[str]) -> None:
        current = self.area.currentData()
        self.area.blockSignals(True)
        self.area.clear()
        self.area.addItem("Any area", "")
        for area in areas:
            self.area.addItem(area, area)
        found = self.area.findData(current)
        self.area.setCurrentIndex(max(found, 0))
        self.area.blockSignals(False)

    def clear(self) -> None:
        """Empties the results (the lock): a result still on its way is dropped too."""
        self._timer.stop()
        self._asked += 1
        self._focus_first = False
        self.model.set_services([])
        self.count.setText("")
        self.details.setText("Choose an activity to see everything about it.")

    def current_service(self) -> Service | None:
        index = self.table.currentIndex()
        return self.model.service(index.row()) if index.isValid() else None

    def _selected(self, _new: QItemSelection, _old: QItemSelection) -> None:
        service = self.current_service()
        if service is not None:
            self.details.setText(service_words(service))

    def _first_result(self) -> None:
        """Enter in the search box goes to the first result, once the results for what was
        typed are in (never to a stale list)."""
        if self._timer.isActive():
            self.search()
        if self._asked != self._shown:
            self._focus_first = True
        elif self.model.rowCount():
            self.table.setFocus()
            self.table.selectRow(0)


class ImportDialog(QDialog):
    """Checks a directory file, shows what importing its good services would change and, grouped
    by kind, every service left out or flagged; then the adviser imports the good services or
    nothing. Signal: imported(ImportSummary)."""

    imported = Signal(object)
    SHOWN_PER_GROUP = 50  # a group of 800 lines helps nobody: the count and the first 50

    def __init__(self, session: Session, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.path = path
        self.setWindowTitle("Import a directory file")
        self.merge = QRadioButton("Add and update: keep activities the file does not list")
        self.replace = QRadioButton("Replace: the directory becomes exactly this file")
        self.merge.setChecked(True)
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.merge)
        self.mode.addButton(self.replace)
        self.summary = label("Checking the file…")
        self.summary.setAccessibleName("What the import would change")
        self.problems = QListWidget()
        self.problems.setAccessibleName("Services left out or flagged, by kind")
        self.problems.hide()
        self.import_button = QPushButton("Import")
        set_role(self.import_button, "primary")
        self.import_button.setDefault(True)  # Enter imports, once the file has been checked
        self.import_button.setEnabled(False)
        self.cancel = QPushButton("Import nothing")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.windowTitle(), 2))
        layout.addWidget(label(f"File: {path.name}", "quiet"))
        layout.addWidget(self.merge)
        layout.addWidget(self.replace)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 1)
        layout.addLayout(buttons)
        self.mode.buttonToggled.connect(self._mode_changed)
        self.import_button.clicked.connect(self._import)
        self.cancel.clicked.connect(self.reject)
        self.setMinimumWidth(620)
        fit_to_screen(self)

    def _mode_changed(self, _button: QRadioButton, checked: bool) -> None:
        if checked:
            self.preview()

    def chosen_mode(self) -> ImportMode:
        return ImportMode.REPLACE if self.replace.isChecked() else ImportMode.MERGE

    def preview(self) -> None:
        self.import_button.setEnabled(False)
        path, mode = self.path, self.chosen_mode()

        def check(ws: Workspace) -> ImportPreview:
            return directory_of(ws).preview_import(path, mode)

        self.session.read(check, self._previewed, self._refused)

    def _previewed(self, preview: ImportPreview) -> None:
        summary, reading = preview.summary, preview.reading
        set_role(self.summary, "")
        removed = f" Removed: {', '.join(summary.removed[:5])}" if summary.removed else ""
        more = "…" if len(summary.removed) > 5 else ""
        self.summary.setText(
            f"{reading.summary()} Importing them will leave {summary}.{removed}{more}"
        )
        self._show_findings(reading.groups)
        count = len(reading.services)
        self.import_button.setText(
            f"Import the {count:,} good services" if reading.refused else "Import"
        )
        self.import_button.setEnabled(True)
        self.import_button.setFocus()

    def _show_findings(self, groups: Sequence[FindingGroup]) -> None:
        self.problems.clear()
        for group in groups:
            what = "left out" if group.refused else "imported"
            self.problems.addItem(f"{group.heading} ({len(group.findings):,}, {what}). "
                                  f"{group.advice}")
            self.problems.addItems([f"    {line}" for line in group.lines(self.SHOWN_PER_GROUP)])
        self.problems.setVisible(bool(groups))

    def _refused(self, error: BaseException) -> None:
        if not isinstance(error, ImportRefused):
            show_error(self, error)
            return
        self.summary.setText(str(error) + " Nothing has been changed.")
        set_role(self.summary, "error")
        self._show_findings(grouped(error.findings))
        self.problems.setFocus()
        self.import_button.setText("Import")
        if self.chosen_mode() is ImportMode.MERGE:  # nothing in the file can be imported
            self.merge.setEnabled(False)
            self.replace.setEnabled(False)

    def _import(self) -> None:
        self.import_button.setEnabled(False)
        path, mode = self.path, self.chosen_mode()

        def run(ws: Workspace) -> ImportSummary:
            return directory_of(ws).import_file(path, mode)

        self.session.write(run, self._done, self._refused)

    def _done(self, summary: ImportSummary) -> None:
        self.imported.emit(summary)
        self.accept()


class DirectoryScreen(QWidget):
    """The directory on its own: search, import and export. Signal: back().

    Empties itself when the app locks, like every screen, so nothing is left on show.
    """

    back = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.search = DirectorySearch(session)
        self.back_button = QPushButton("← Back")
        self.back_button.setAccessibleName("Back")
        self.import_button = QPushButton("Import a file…")
        self.export_button = QPushButton("Export…")
        # Shown when the adviser came here from a person or their visit.
        self.prescribe_button = QPushButton()
        self.prescribe_button.hide()
        self.person: tuple[str, str] | None = None  # (id, name) of the person in mind
        self.notice = label("", "notice")
        self.notice.hide()
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addStretch(1)
        top.addWidget(self.prescribe_button)
        top.addWidget(self.import_button)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(heading("Directory of services", 1))
        layout.addWidget(self.notice)
        layout.addWidget(self.search, 1)
        self.back_button.clicked.connect(self.back)
        self.prescribe_button.clicked.connect(self.open_prescribe)
        self.import_button.clicked.connect(self._choose_import)
        self.export_button.clicked.connect(self._choose_export)
        session.locked.connect(self.clear)

    def clear(self) -> None:
        self.search.clear()
        self.notice.hide()
        self.set_person(None)

    def set_person(self, person: tuple[str, str] | None) -> None:
        """The person the adviser has open, (id, name), or None: offers 'Prescribe for …'."""
        self.person = person
        if person is None:
            self.prescribe_button.hide()
            return
        self.prescribe_button.setText(f"Prescribe for {person[1]}…")
        self.prescribe_button.show()

    def open_prescribe(self) -> QDialog | None:
        """Prescribing for the person in mind, the highlighted activity already ticked."""
        if self.person is None:
            return None
        from sp_desktop.ui.screens.prescription import PrescribeDialog

        dialog = PrescribeDialog(self.session, self.person[0], self.person[1], self)
        highlighted = self.search.current_service()
        if highlighted is not None:
            dialog.search.model.set_chosen(highlighted, True)
        dialog.saved.connect(lambda _c: self._say_prescribed())
        dialog.open()
        dialog.start()
        return dialog

    def _say_prescribed(self) -> None:
        if self.person is not None:
            self.notice.setText(f"Prescribed for {self.person[1]}, with their reviews.")
            self.notice.show()

    def start(self) -> None:
        self.search.start()
        self.search.words.setFocus()

    def _choose_import(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, "Import a directory file", "",
            "Open Referral UK (*.json *.csv *.zip datapackage.json)"
        )
        if name:
            self.open_import(Path(name))

    def open_import(self, path: Path) -> ImportDialog:
        dialog = ImportDialog(self.session, path, self)
        dialog.imported.connect(self._imported)
        dialog.open()
        dialog.preview()
        return dialog

    def _imported(self, summary: ImportSummary) -> None:
        self.notice.setText(f"Directory imported: {summary}.")
        self.notice.show()
        self.search.start()

    def _choose_export(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self,
            "Export the directory",
            "directory.json",
            "Open Referral UK JSON (*.json);;Spreadsheet CSV (*.csv)",
        )
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        def run(ws: Workspace) -> int:
            return directory_of(ws).export_file(path)

        def done(count: int) -> None:
            self.notice.setText(f"{count} activities exported to {path.name}.")
            self.notice.show()

        self.session.read(run, done, lambda e: show_error(self, e))
