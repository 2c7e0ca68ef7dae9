"""People found by a name search, for choosing someone else on the caseload (a carer link)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from sp_desktop.services.caseload import CaseloadRow

from sp_desktop.ui.fields import nice_date

Index = QModelIndex | QPersistentModelIndex
PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def found_words(row: CaseloadRow) -> str:
    """'Zoë Dvořák — born Tue 3 Mar 1941 · Castle Hill Surgery': two people can share a name."""
    facts = [f"born {nice_date(row.date_of_birth)}"]
    if row.practice:
        facts.append(row.practice)
    return f"{row.name} — {' · '.join(facts)}"


class PeopleFoundModel(QAbstractListModel):
    """The rows one search returned (already capped by the caller); `person_id(row)` names one."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[CaseloadRow] = []

    def set_rows(self, rows: Iterable[CaseloadRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows(())

    def person_id(self, row: int) -> str:
        return self._rows[row].person_id

    def name(self, row: int) -> str:
        return self._rows[row].name

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return found_words(row)
        if role == PERSON_ID_ROLE:
            return row.person_id
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )
