"""The person screen's timeline: referrals, visits, wellbeing, steps, activities; newest first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from sp_desktop.services.timeline import TimelineEntry, TimelineKind

from sp_desktop.ui.fields import nice_date

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("When", "What", "Details")
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


class TimelineModel(QAbstractTableModel):
    """Holds the entries the timeline service worded; `entry(row)` gives one back."""

    def __init__(self) -> None:
        super().__init__()
        self._entries: list[TimelineEntry] = []

    def set_entries(self, entries: Iterable[TimelineEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def clear(self) -> None:
        self.set_entries(())

    def entry(self, row: int) -> TimelineEntry:
        return self._entries[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if index.column() == 0:
                return nice_date(entry.on)
            if index.column() == 1:
                return entry.title
            return entry.detail
        if role == Qt.ItemDataRole.ToolTipRole:
            if entry.kind is TimelineKind.VISIT:
                return "Press Enter to open this visit"
            return entry.detail
        if role == ENTRY_ROLE:
            return entry
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
