"""Conflict copies the office sent back, and the adviser's choice between the two versions.

Choosing a version is a normal local edit through the store's change writer, so it syncs and
merges like any other; the resolution itself also goes to the office, so the team's other
laptops stop showing the same conflict.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, select

from sp_desktop.domain.errors import SpDesktopError
from sp_desktop.store.changes import ChangeWriter
from sp_desktop.store.database import Store
from sp_desktop.store.schema import (
    TABLES_BY_NAME,
    conflicts,
)
from sp_desktop.sync import local
from sp_desktop.sync.merge import DELETED, KEPT
from sp_desktop.sync.protocol import ROW_FIELD


class Choice(enum.StrEnum):
    KEEP = "kept"  # the version the office kept (no edit needed)
    OTHER = "other"  # the version that lost: written again as a new edit


@dataclass(frozen=True, slots=True)
class ConflictView:
    """One conflict copy, values decoded. For a row conflict (`field == "*"`), one side is
    "deleted" and the other "kept" or the edited fields."""

    id: str
    table: str
    row_id: str
    person_id: str | None
    field: str
    kept_value: Any
    other_value: Any
    kept_hlc: str | None
    other_hlc: str | None
    created_at: str
    resolved_at: str | None

    @property
    def is_delete_race(self) -> bool:
        return self.field == ROW_FIELD


@dataclass(frozen=True, slots=True)
class RejectedChange:
    """A change the office refused, moved aside so it never blocks the queue."""

    op_id: str
    table: str
    row_id: str
    person_id: str | None
    kind: str
    fields: dict[str, Any]
    reason: str
    refused_at: str


class ConflictGone(SpDesktopError):
    def __init__(self) -> None:
        super().__init__("That conflict is no longer here; it may have been resolved already.")


def _view(row: Any) -> ConflictView:
    return ConflictView(
        id=row.id,
        table=row.table_name,
        row_id=row.row_id,
        person_id=row.person_id,
        field=row.field,
        kept_value=orjson.loads(row.kept_value) if row.kept_value else None,
        other_value=orjson.loads(row.other_value) if row.other_value else None,
        kept_hlc=row.kept_hlc,
        other_hlc=row.other_hlc,
        created_at=row.created_at,
        resolved_at=row.resolved_at,
    )


def list_conflicts(
    store: Store, *, person_id: str | None = None, include_resolved: bool = False
) -> list[ConflictView]:
    """Conflicts for the adviser to look at, oldest first (optionally one person's)."""
    query = select(conflicts).order_by(conflicts.c.created_at, conflicts.c.id)
    if not include_resolved:
        query = query.where(conflicts.c.resolved_at.is_(None))
    if person_id is not None:
        query = query.where(conflicts.c.person_id == person_id)
    with store.read() as conn:
        return [_view(row) for row in conn.execute(query)]


_UNSET: Any = object()


def resolve_conflict(
    store: Store,
    changes: ChangeWriter,
    conflict_id: str,
    choice: Choice = Choice.KEEP,
    *,
    value: Any = _UNSET,
) -> bool:
    """Settles a conflict; returns True when that wrote an edit.

    KEEP leaves the record as it is. OTHER writes the losing version again as a new edit (for a
    delete race: deletes the row, or restores it with the edit that lost). `value` writes a
    version the adviser composed (e.g. both texts combined) to the field instead.
    """
    with store.write() as conn:
        found = conn.execute(select(conflicts).where(conflicts.c.id == conflict_id)).first()
        if found is None:
            raise ConflictGone()
        conflict = _view(found)
        if conflict.resolved_at is not None:
            return False
        wrote = False
        table = TABLES_BY_NAME.get(conflict.table)
        if table is not None and (choice is Choice.OTHER or value is not _UNSET):
            wrote = _write_choice(conn, changes, conflict, value)
        conn.execute(conflicts.update().where(conflicts.c.id == conflict_id)
                     .values(resolved_at=local.now_text()))
        pending = local.get_json_list(conn, local.META_RESOLVED)
        if conflict_id not in pending:
            pending.append(conflict_id)
        local.set_meta(conn, local.META_RESOLVED, orjson.dumps(pending).decode())
    return wrote


def _write_choice(
    conn: Connection, changes: ChangeWriter, conflict: ConflictView, value: Any
) -> bool:
    table = TABLES_BY_NAME[conflict.table]
    if not conflict.is_delete_race:
        chosen = conflict.other_value if value is _UNSET else value
        converted = local.coerce_value(table, conflict.field, chosen)
        return changes.update(conn, table, conflict.row_id, {conflict.field: converted},
                              conflict.person_id)
    if conflict.other_value == DELETED and conflict.kept_value == KEPT:
        changes.delete(conn, table, conflict.row_id, conflict.person_id)
        return True
    fields = conflict.other_value if isinstance(conflict.other_value, dict) else {}
    return _restore(conn, changes, conflict, fields)


def _restore(
    conn: Connection, changes: ChangeWriter, conflict: ConflictView, fields: dict[str, Any]
) -> bool:
    """Brings a deleted row back with the edit that lost to the delete.

    An edit stamped after the delete wins over it at the office, so the row comes back on every
    laptop.
    """
    table = TABLES_BY_NAME[conflict.table]
    current = conn.execute(select(table.c.id).where(table.c.id == conflict.row_id)).first()
    if current is None:
        return False
    values = {name: local.coerce_value(table, name, v) for name, v in fields.items()
              if name in table.c}
    changes.restore(conn, table, conflict.row_id, values, conflict.person_id)
    return True


def rejected_changes(store: Store) -> list[RejectedChange]:
    with store.read() as conn:
        kept = local.get_json_list(conn, local.META_REJECTED)
    return [
        RejectedChange(
            op_id=str(r.get("op")), table=str(r.get("table")), row_id=str(r.get("row")),
            person_id=r.get("person"), kind=str(r.get("kind")), fields=dict(r.get("fields", {})),
            reason=str(r.get("reason", "")), refused_at=str(r.get("refused_at", "")),
        )
        for r in kept
        if isinstance(r, dict)
    ]


def dismiss_rejected(store: Store, op_id: str) -> None:
    """The adviser has seen a refused change and dealt with it: it leaves the list."""
    with store.write() as conn:
        kept = [r for r in local.get_json_list(conn, local.META_REJECTED)
                if not (isinstance(r, dict) and r.get("op") == op_id)]
        local.set_meta(conn, local.META_REJECTED, orjson.dumps(kept).decode())
