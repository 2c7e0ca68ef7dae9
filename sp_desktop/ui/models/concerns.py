"""Concerns for one life domain, in the person's words with how much each worries them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from sp_desktop.domain.people import Concern

Index = QModelIndex | QPersistentModelIndex


class ConcernsModel(QAbstractListModel):
    """The person's concerns in one domain (from this visit and earlier ones)."""

    def __init__(self, domain: str) -> None:
        super().__init__()
        self.domain = domain
        self._ids: list[str] = []
        self._cache: dict[str, Concern] = {}
        self.this_visit = ""

    def set_concerns(self, concerns: Iterable[Concern], this_visit: str = "") -> None:
        self.beginResetModel()
        self.this_visit = this_visit
        mine = [c for c in concerns if c.domain == self.domain]
        self._ids = [c.id for c in mine]
        self._cache = {c.id: c for c in mine}
        self.endResetModel()

    def clear(self) -> None:
        self.set_concerns(())

    def concern(self, row: int) -> Concern:
        return self._cache[self._ids[row]]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        concern = self._cache[self._ids[index.row()]]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            when = "" if concern.visit_id == self.this_visit else " (from an earlier visit)"
            return f"“{concern.words}” — worries them {concern.severity} out of 10{when}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
