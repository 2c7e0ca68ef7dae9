"""The person's steps (goals in their words) with progress 0-10: step ids plus their cache."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt

from sp_desktop.domain.people import Step

from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.models.table import ColumnsModel, Index

COLUMNS = ("Step, in their words", "By when", "Progress")


class StepsModel(ColumnsModel):
    """Steps in the order they were agreed; `replace` updates one after an edit or rating."""

    columns = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self._ids: list[str] = []
        self._cache: dict[str, Step] = {}

    def set_steps(self, steps: Iterable[Step]) -> None:
        self.beginResetModel()
        items = list(steps)
        self._ids = [s.id for s in items]
        self._cache = {s.id: s for s in items}
        self.endResetModel()

    def clear(self) -> None:
        self.set_steps(())

    def step(self, row: int) -> Step:
        return self._cache[self._ids[row]]

    def row_of(self, step_id: str) -> int | None:
        return self._ids.index(step_id) if step_id in self._cache else None

    def row_count(self) -> int:
        return len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        step = self._cache[self._ids[index.row()]]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if index.column() == 0:
                return step.words
            if index.column() == 1:
                return nice_date(step.target_date, "No date")
            return f"{step.progress} out of 10"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
