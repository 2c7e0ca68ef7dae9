"""A short list of cards (conflicts, refused changes): titles shown, each card kept by its key."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt

from sp_desktop.ui.models.table import Index
from sp_desktop.ui.style import plain_tip


class Card(Protocol):
    @property
    def title(self) -> str: ...


C = TypeVar("C", bound=Card)


class CardListModel(QAbstractListModel, Generic[C]):
    """Cards in order, found by key; the tooltip adds what each card is about."""

    def __init__(
        self, key: Callable[[C], str], tooltip: Callable[[C], str], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._key, self._tooltip = key, tooltip
        self._ids: list[str] = []
        self._cards: dict[str, C] = {}

    def set_cards(self, cards: Iterable[C]) -> None:
        self.beginResetModel()
        listed = list(cards)
        self._ids = [self._key(card) for card in listed]
        self._cards = dict(zip(self._ids, listed, strict=True))
        self.endResetModel()

    def card(self, row: int) -> C | None:
        if 0 <= row < len(self._ids):
            return self._cards[self._ids[row]]
        return None

    def row_of(self, key: str) -> int | None:
        return self._ids.index(key) if key in self._cards else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        card = self.card(index.row()) if index.isValid() else None
        if card is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return card.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(self._tooltip(card))
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
