"""The person screen's timeline: referrals, visits, wellbeing, steps, activities; newest first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt

from sp_desktop.services.timeline import TimelineEntry, TimelineKind

from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.models.table import ColumnsModel, Index
from sp_desktop.ui.style import plain_tip

COLUMNS = ("When", "What", "Details")
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


class TimelineModel(ColumnsModel):
    """Holds the entries the timeline service worded; `entry(row)` gives one back."""

    columns = COLUMNS

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

    def row_count(self) -> int:
        return len(self._entries)

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
            return plain_tip(entry.detail)
        if role == ENTRY_ROLE:
            return entry
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
