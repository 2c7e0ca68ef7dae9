"""The caseload table model: person ids in display order plus a cache of their rows.

Rows come from the caseload service; after a change only the people it names are fetched again.
Search and filters narrow the ids shown; nothing here talks to the store.
"""

from __future__ import annotations

import bisect
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont

from sp_desktop.domain.text import fold
from sp_desktop.services.caseload import CaseloadFilter, CaseloadRow, Stage

from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.models.table import ColumnsModel, Index
from sp_desktop.ui.style import plain_tip

NAME, PRACTICE, STAGE, NEXT_DUE, LAST_CONTACT = range(5)
COLUMNS = ("Name", "GP practice", "Stage", "Next thing due", "Last contact")
PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 1

_STAGE_ORDER = {stage: i for i, stage in enumerate(Stage)}
_FAR_FUTURE = date.max
_LONG_AGO = date.min


def due_words(due: date | None, today: date) -> str:
    """'Overdue since Mon 2 Mar 2026' — the word carries the meaning, not the colour."""
    if due is None:
        return "Nothing due"
    if due < today:
        return f"Overdue since {nice_date(due)}"
    if due == today:
        return "Due today"
    return f"Due {nice_date(due)}"


def _sort_key(column: int) -> Callable[[CaseloadRow], Any]:
    """(the column's value, the search key, the id): the search key always second (`_refilter`
    relies on it), the id last so every key is unique."""
    if column == PRACTICE:
        return lambda r: (r.practice.casefold(), r.search_key, r.person_id)
    if column == STAGE:
        return lambda r: (_STAGE_ORDER[r.stage], r.search_key, r.person_id)
    if column == NEXT_DUE:
        return lambda r: (r.next_due or _FAR_FUTURE, r.search_key, r.person_id)
    if column == LAST_CONTACT:
        return lambda r: (r.last_contact or _LONG_AGO, r.search_key, r.person_id)
    return lambda r: (_family_key(r.family_name), r.search_key, r.person_id)


@functools.lru_cache(maxsize=65_536)
def _family_key(family_name: str) -> str:
    """Folded once per distinct family name, not once per row per sort (names repeat)."""
    return fold(family_name)


def count_filters(rows: Iterable[CaseloadRow], today: date) -> dict[CaseloadFilter, int]:
    """How many people each filter shows, in one pass (the same rules as `in_filter`)."""
    new = closed = prescribed = overdue = due_soon = total = 0
    week = today + timedelta(days=7)
    for r in rows:
        total += 1
        stage = r.stage
        if stage is Stage.NEW:
            new += 1
        elif stage is Stage.CLOSED or stage is Stage.DECLINED:
            closed += 1
        elif stage is Stage.PRESCRIBED:
            prescribed += 1
        due = r.next_due
        if due is not None:
            if due < today:
                overdue += 1
            elif due <= week:
                due_soon += 1
    return {
        CaseloadFilter.ALL: total,
        CaseloadFilter.NEW: new,
        CaseloadFilter.DUE_THIS_WEEK: due_soon,
        CaseloadFilter.OVERDUE: overdue,
        CaseloadFilter.ACTIVE_PRESCRIPTIONS: prescribed,
        CaseloadFilter.CLOSED: closed,
    }


def matching(ids: Sequence[str], rows: dict[str, CaseloadRow], folded_query: str) -> list[str]:
    """The ids whose rows match, in the order given: `CaseloadRow.matches` without a method
    call per row for names (each keystroke filters tens of thousands of rows)."""
    if not folded_query:
        return list(ids)
    if folded_query.replace(" ", "").isdigit():
        return [pid for pid in ids if rows[pid].matches(folded_query)]
    words = folded_query.split()
    if len(words) == 1:
        word = words[0]
        return [pid for pid in ids if word in rows[pid].search_key]
    return [pid for pid in ids if all(w in rows[pid].search_key for w in words)]


def narrows(before: str, after: str) -> bool:
    """Whether everyone matching `after` also matched `before`, so a search can start from
    the last result: letters only added at the end, the same kind of search (names, or NHS
    number digits)."""
    if not before or not after.startswith(before):
        return False
    return before.replace(" ", "").isdigit() == after.replace(" ", "").isdigit()


@dataclass(frozen=True, slots=True)
class PreparedCaseload:
    """Rows already sorted and counted: made on a worker thread so unlocking never stalls."""

    rows: dict[str, CaseloadRow]
    order: list[str]  # ids, ascending by the sort column
    keys: list[Any]  # their sort keys, for inserting changed rows in place
    counts: dict[CaseloadFilter, int]
    column: int
    today: date
    names: Counter[str] = field(default_factory=Counter)  # how many people share each name


def prepare(rows: Iterable[CaseloadRow], column: int, today: date) -> PreparedCaseload:
    """Pure Python, no Qt: safe to run in the background."""
    key = _sort_key(column)
    keyed = sorted(((key(r), r) for r in rows), key=lambda pair: pair[0])
    return PreparedCaseload(
        rows={r.person_id: r for _k, r in keyed},
        order=[r.person_id for _k, r in keyed],
        keys=[k for k, _r in keyed],
        counts=count_filters((r for _k, r in keyed), today),
        column=column,
        today=today,
        names=Counter(r.name for _k, r in keyed),
    )


@dataclass(frozen=True, slots=True)
class Replaced:
    """What a whole new caseload replaced: the rows by id and the lists of ids and keys."""

    rows: dict[str, CaseloadRow]
    names: Counter[str]
    lists: list[list[Any]]


def let_go(replaced: Replaced) -> None:
    """Frees a replaced caseload one row at a time (run on a worker thread): a plain loop
    gives the GIL back to the UI thread every switch interval, where dropping the dictionary
    whole would hold it until all 50,000 rows were freed."""
    for table in (replaced.rows, replaced.names):
        while table:
            table.popitem()
    for ids in replaced.lists:
        while ids:
            del ids[-500:]


class CaseloadModel(ColumnsModel):
    """People on the caseload. Attributes: `query`, `which` (filter), `today`."""

    columns = COLUMNS

    def __init__(self, today: Callable[[], date] = date.today) -> None:
        super().__init__()
        self._today = today
        self.today = today()
        self._cache: dict[str, CaseloadRow] = {}
        self._sorted: list[str] = []  # every id, ascending by the sort column
        self._keys: list[Any] = []  # their sort keys
        self._counts: dict[CaseloadFilter, int] = dict.fromkeys(CaseloadFilter, 0)
        self._shown: list[str] = []  # the ids passing search and filter, in display order
        # How many people share each name: two Mary Joneses are told apart by birth date.
        self._names: Counter[str] = Counter()
        self.query = ""
        self._folded = ""
        # What `_shown` was filtered by (query, filter, order), so a longer query can narrow it.
        self._shown_for: tuple[str, CaseloadFilter, int, Qt.SortOrder] | None = None
        self.which = CaseloadFilter.ALL
        self.sort_column = NAME
        self.sort_order = Qt.SortOrder.AscendingOrder

    # --- feeding -------------------------------------------------------------------------------

    def prepare(self, rows: Iterable[CaseloadRow]) -> PreparedCaseload:
        """For the worker thread: sorts and counts with this model's current settings."""
        return prepare(rows, self.sort_column, self._today())

    def set_rows(self, rows: Iterable[CaseloadRow]) -> None:
        """Everyone (after unlocking)."""
        self.set_prepared(self.prepare(rows))

    def set_prepared(self, prepared: PreparedCaseload) -> Replaced:
        """Everyone at once. The model takes `prepared`'s containers over (they were made for
        it: copying 50,000 rows on the UI thread is what this avoids). Returns the containers
        it let go of, for the caller to free off the UI thread (`let_go`): dropped here, the
        rows they held took ~20 ms of the UI thread to free at 50,000 people."""
        if prepared.column != self.sort_column:
            prepared = prepare(prepared.rows.values(), self.sort_column, prepared.today)
        self.beginResetModel()
        taken = {id(prepared.rows), id(prepared.names), id(prepared.order), id(prepared.keys)}
        replaced = Replaced(
            self._cache if id(self._cache) not in taken else {},
            self._names if id(self._names) not in taken else Counter(),
            [ids for ids in (self._keys, self._sorted, self._shown) if id(ids) not in taken],
        )
        self.today = prepared.today
        self._cache = prepared.rows
        self._names = prepared.names
        self._sorted = prepared.order
        self._keys = prepared.keys
        self._counts = dict(prepared.counts)
        self._refilter()
        self.endResetModel()
        return replaced

    def update_people(self, rows: Iterable[CaseloadRow], asked: Iterable[str]) -> None:
        """Fresh rows for the people a change named; any asked for but missing has gone.

        Each changed row moves to its place by binary search: nothing else is re-sorted. A
        change naming many people (a first sync) is better given whole: `set_prepared`.
        """
        fresh = {r.person_id: r for r in rows}
        key = _sort_key(self.sort_column)
        self.layoutAboutToBeChanged.emit()
        old = {pid: i for i, pid in enumerate(self._shown)}
        persistent = self.persistentIndexList()
        for person_id in set(asked):
            before = self._cache.pop(person_id, None)
            if before is not None:
                self._count(before, -1)
                self._names[before.name] -= 1
                at = bisect.bisect_left(self._keys, key(before))  # keys end in the id: unique
                if at >= len(self._sorted) or self._sorted[at] != person_id:
                    at = self._sorted.index(person_id)  # sorted under an older today
                del self._sorted[at]
                del self._keys[at]
            after = fresh.get(person_id)
            if after is not None:
                self._cache[person_id] = after
                self._count(after, +1)
                self._names[after.name] += 1
                sort_key = key(after)
                at = bisect.bisect_left(self._keys, sort_key)
                self._keys.insert(at, sort_key)
                self._sorted.insert(at, person_id)
        self._refilter()
        self._move_persistent(persistent, old)
        self.layoutChanged.emit()

    def _count(self, row: CaseloadRow, step: int) -> None:
        for which, found in count_filters((row,), self.today).items():
            self._counts[which] += found * step

    def clear(self) -> None:
        """Locking: nothing of anyone stays in memory here."""
        self.beginResetModel()
        self._cache.clear()
        self._names.clear()
        self._sorted.clear()
        self._keys.clear()
        self._shown.clear()
        self._counts = dict.fromkeys(CaseloadFilter, 0)
        self.query = self._folded = ""
        self._shown_for = None
        self.endResetModel()

    def set_query(self, text: str) -> None:
        """Search as you type: accent- and case-insensitive, names or NHS number digits."""
        folded = fold(text.strip())
        if folded == self._folded:
            self.query = text
            return
        self.query = text
        self._folded = folded
        self.beginResetModel()
        self._refilter(narrow=True)
        self.endResetModel()

    def set_filter(self, which: CaseloadFilter) -> None:
        if which is self.which:
            return
        self.which = which
        self.beginResetModel()
        self._refilter()
        self.endResetModel()

    # --- reading -------------------------------------------------------------------------------

    def person_id(self, row: int) -> str:
        return self._shown[row]

    def row_of(self, person_id: str) -> int | None:
        try:
            return self._shown.index(person_id)
        except ValueError:
            return None

    def caseload_row(self, row: int) -> CaseloadRow:
        return self._cache[self._shown[row]]

    @property
    def total(self) -> int:
        return len(self._cache)

    def count_in(self, which: CaseloadFilter) -> int:
        return self._counts[which]

    # --- Qt model ------------------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self._shown)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        row = self._cache[self._shown[index.row()]]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == NAME:
            return plain_tip(f"{row.name}, born {nice_date(row.date_of_birth)}")
        if role == PERSON_ID_ROLE:
            return row.person_id
        overdue = row.next_due is not None and row.next_due < self.today
        if role == Qt.ItemDataRole.FontRole and index.column() == NEXT_DUE and overdue:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        old = {pid: i for i, pid in enumerate(self._shown)}
        persistent = self.persistentIndexList()
        if column != self.sort_column:
            resorted = prepare(self._cache.values(), column, self.today)
            self._sorted, self._keys = resorted.order, resorted.keys
        self.sort_column = column
        self.sort_order = order
        self._refilter()
        self._move_persistent(persistent, old)
        self.layoutChanged.emit()

    # --- internals -----------------------------------------------------------------------------

    def _text(self, row: CaseloadRow, column: int) -> str:
        if column == NAME:
            if self._names[row.name] > 1:
                born = row.date_of_birth
                return f"{row.name} (born {born.day} {born:%b %Y})"
            return row.name
        if column == PRACTICE:
            return row.practice
        if column == STAGE:
            return row.stage.value
        if column == NEXT_DUE:
            return due_words(row.next_due, self.today)
        return nice_date(row.last_contact, "Not seen yet")

    def _refilter(self, *, narrow: bool = False) -> None:
        """`_shown` from everyone, or (`narrow`: only the query changed) from the last result
        when the query only grew."""
        folded, which, today, cache = self._folded, self.which, self.today, self._cache
        wanted = (folded, which, self.sort_column, self.sort_order)
        last = self._shown_for
        self._shown_for = wanted
        if narrow and last is not None and last[1:] == wanted[1:] and narrows(last[0], folded):
            self._shown = matching(self._shown, cache, folded)
            return
        ascending = self.sort_order == Qt.SortOrder.AscendingOrder
        ordered = self._sorted if ascending else self._sorted[::-1]
        if folded and not folded.replace(" ", "").isdigit():
            # Every sort key carries the row's search key second: scanning the keys alongside
            # the ids skips a dictionary look-up per row (the first letter scans everyone).
            keys = self._keys if ascending else self._keys[::-1]
            first, *more = folded.split()
            shown = [pid for pid, k in zip(ordered, keys, strict=True) if first in k[1]]
            if more:
                shown = matching(shown, cache, folded)
        else:
            shown = matching(ordered, cache, folded)
        if which is not CaseloadFilter.ALL:
            shown = [pid for pid in shown if cache[pid].in_filter(which, today)]
        self._shown = shown

    def _move_persistent(self, persistent: list[QModelIndex], old: dict[str, int]) -> None:
        if not persistent:
            return
        new = {pid: i for i, pid in enumerate(self._shown)}
        old_ids = {i: pid for pid, i in old.items()}
        moved_from: list[QModelIndex] = []
        moved_to: list[QModelIndex] = []
        for index in persistent:
            pid = old_ids.get(index.row())
            row = new.get(pid) if pid is not None else None
            moved_from.append(index)
            moved_to.append(self.index(row, index.column()) if row is not None else QModelIndex())
        self.changePersistentIndexList(moved_from, moved_to)
