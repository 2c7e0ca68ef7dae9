"""Merge rules: how one pushed operation changes a row. Pure functions; the server decides.

- Facts (append-only tables) never conflict: the first write wins, a repeat is a no-op.
- Mutable rows merge field by field. An edit based on the stamp the server holds applies; an
  edit based on an older stamp is concurrent and the higher clock stamp wins (the device id in
  the stamp breaks ties). The losing value is logged as a conflict copy, never dropped.
- Deletes are tombstones that win only over older edits: a row is deleted exactly when its
  newest delete stamp is above every field stamp, so the outcome does not depend on the order
  operations arrive in. A delete racing an edit is logged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sp_desktop.sync.protocol import (
    ROW_FIELD,
    TABLES,
    AckStatus,
    ChangeOp,
    ConflictCopy,
    ConflictKind,
    OpKind,
    TableKind,
    TableSpec,
)

# Conflict ids are derived from what was lost, so every order of arrival logs the same id.
_CONFLICT_NAMESPACE = uuid.UUID("6f1c2a4e-9a53-4d6b-8d0e-5b7f3c1a2e90")
# Values of a delete-race conflict: the row's fate on each side (a losing edit is its fields).
KEPT = "kept"
DELETED = "deleted"


@dataclass(slots=True)
class RowState:
    """A row as the server holds it.

    Attributes: `fields` current values; `versions` the stamp of the last write of each field;
    `deleted` the tombstone flag; `hlc` the newest stamp of any write, delete included (while
    deleted it is the delete's stamp); `origin_device` and `created_hlc` describe its first write.
    """

    table: str
    row_id: str
    person_id: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    deleted: bool = False
    hlc: str = ""
    origin_device: str = ""
    created_hlc: str = ""

    def copy(self) -> RowState:
        return RowState(
            self.table,
            self.row_id,
            self.person_id,
            dict(self.fields),
            dict(self.versions),
            self.deleted,
            self.hlc,
            self.origin_device,
            self.created_hlc,
        )

    @property
    def latest_edit(self) -> str:
        return max(self.versions.values(), default="")


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """The row after the op, whether every device must pull it again, and what was logged.

    `changed` is also true when the op lost: the row itself is as before, but the laptop that
    sent the op holds its own value and must pull the one that won.
    """

    row: RowState | None
    status: AckStatus
    changed: bool
    conflicts: tuple[ConflictCopy, ...] = ()
    reason: str | None = None


def conflict_id(table: str, row_id: str, field_name: str, other_hlc: str | None) -> str:
    """Deterministic id of one lost write: the same loss is logged once, whatever the order."""
    return str(uuid.uuid5(_CONFLICT_NAMESPACE, f"{table}/{row_id}/{field_name}/{other_hlc}"))


def device_of(stamp: str) -> str:
    """The device part of a clock stamp (the text after the second '-')."""
    return stamp.split("-", 2)[2] if stamp.count("-") >= 2 else ""


def merge(current: RowState | None, op: ChangeOp, spec: TableSpec | None = None) -> MergeOutcome:
    """Apply `op` to `current` (None when the server has never seen the row)."""
    spec = spec or TABLES.get(op.table)
    if spec is None:
        return MergeOutcome(current, AckStatus.REJECTED, False, reason="unknown table")
    if current is not None and op.person_id is not None and current.person_id != op.person_id:
        return MergeOutcome(
            current, AckStatus.REJECTED, False, reason="row belongs to another person"
        )
    if op.kind is OpKind.DELETE:
        return _delete(current, op)
    if spec.kind is TableKind.FACT:
        return _append(current, op)
    return _upsert(current, op, spec)


def _new_row(op: ChangeOp) -> RowState:
    return RowState(
        op.table, op.row_id, op.person_id, origin_device=device_of(op.hlc), created_hlc=op.hlc
    )


def _append(current: RowState | None, op: ChangeOp) -> MergeOutcome:
    if current is not None and current.versions:
        # First write wins; the same fact sent again (or re-sent under a new op id) is a no-op.
        return MergeOutcome(current, AckStatus.APPLIED, False, reason="already recorded")
    row = current.copy() if current is not None else _new_row(op)
    row.fields.update(op.fields)
    row.versions.update(dict.fromkeys(op.fields, op.hlc))
    if row.deleted and row.latest_edit > row.hlc:
        row.deleted = False  # a delete that arrived before the fact it removes is older than it
    row.hlc = max(row.hlc, row.latest_edit)
    return MergeOutcome(row, AckStatus.APPLIED, True)


def _upsert(current: RowState | None, op: ChangeOp, spec: TableSpec) -> MergeOutcome:
    row = current.copy() if current is not None else _new_row(op)
    conflicts: list[ConflictCopy] = []
    won_concurrent = lost_any = changed = False
    for name, value in op.fields.items():
        held = row.versions.get(name)
        based_on = op.base.get(name)
        if held is None or based_on == held:
            if held != op.hlc or row.fields.get(name) != value:
                row.fields[name], row.versions[name] = value, op.hlc
                changed = True
            continue
        if op.hlc == held:
            continue  # this very write is already stored
        kind = ConflictKind.TEXT if name in spec.text_fields else ConflictKind.VALUE
        if op.hlc > held:
            won_concurrent = True
            if row.fields.get(name) != value:
                conflicts.append(_field_conflict(op, row, name, kind, value, op.hlc,
                                                 row.fields.get(name), held))
            row.fields[name], row.versions[name] = value, op.hlc
            changed = True
        else:
            lost_any = True
            if row.fields.get(name) != value:
                conflicts.append(_field_conflict(op, row, name, kind, row.fields.get(name), held,
                                                 value, op.hlc))
    if row.deleted:
        if row.latest_edit > row.hlc:
            # An edit newer than the delete survives it; the delete goes to the conflict log,
            # unless the edit is a deliberate restore by someone who saw that very delete.
            if op.base.get(ROW_FIELD) != row.hlc:
                conflicts.append(_row_conflict(op, row, kept=KEPT, kept_hlc=row.latest_edit,
                                               other=DELETED, other_hlc=row.hlc))
            row.deleted, changed = False, True
        elif op.fields and op.hlc < row.hlc:
            # An edit older than the delete stays hidden under the tombstone; kept for the adviser.
            lost_any = True
            conflicts.append(_row_conflict(op, row, kept=DELETED, kept_hlc=row.hlc,
                                           other=dict(op.fields), other_hlc=op.hlc))
    new_hlc = max(row.hlc, row.latest_edit)
    # A losing op re-sends the row too: the laptop that lost must pull the value that won.
    changed = changed or lost_any or new_hlc != row.hlc or current is None
    row.hlc = new_hlc
    status = (AckStatus.CONFLICT if lost_any
              else AckStatus.MERGED if won_concurrent or conflicts
              else AckStatus.APPLIED)
    return MergeOutcome(row, status, changed, tuple(conflicts))


def _delete(current: RowState | None, op: ChangeOp) -> MergeOutcome:
    if current is None:
        row = _new_row(op)
        row.deleted, row.hlc = True, op.hlc
        return MergeOutcome(row, AckStatus.APPLIED, True)
    row = current.copy()
    if op.hlc <= row.latest_edit:
        # An edit newer than this delete exists: the row stays, the delete is logged.
        if row.deleted:
            return MergeOutcome(row, AckStatus.APPLIED, False)
        conflict = _row_conflict(op, row, kept=KEPT, kept_hlc=row.latest_edit,
                                 other=DELETED, other_hlc=op.hlc)
        return MergeOutcome(row, AckStatus.CONFLICT, True, (conflict,))
    if row.deleted and op.hlc <= row.hlc:
        return MergeOutcome(row, AckStatus.APPLIED, False)  # an equal or newer delete is held
    conflicts: tuple[ConflictCopy, ...] = ()
    if op.base:
        # Edits the deleting device had not seen raced the delete and lost: keep them in the log.
        unseen = _unseen_by(op.base, row.versions)
        if unseen and not row.deleted:
            conflicts = (_row_conflict(op, row, kept=DELETED, kept_hlc=op.hlc,
                                       other={name: row.fields.get(name) for name in unseen},
                                       other_hlc=max(unseen.values())),)
    row.deleted, row.hlc = True, op.hlc
    return MergeOutcome(row, AckStatus.MERGED if conflicts else AckStatus.APPLIED, True, conflicts)


def _unseen_by(base: dict[str, str | None], versions: dict[str, str]) -> dict[str, str]:
    """Field stamps the deleting device had not seen when it deleted.

    Exact when the delete carries the per-field stamps it saw. A delete that carries only the
    row's last stamp (under ROW_FIELD) is judged by it: edits stamped later were not seen.
    """
    if ROW_FIELD in base:
        seen_upto = base[ROW_FIELD] or ""
        return {name: stamp for name, stamp in versions.items() if stamp > seen_upto}
    return {name: stamp for name, stamp in versions.items() if base.get(name) != stamp}


def _field_conflict(
    op: ChangeOp,
    row: RowState,
    name: str,
    kind: ConflictKind,
    kept: Any,
    kept_hlc: str,
    other: Any,
    other_hlc: str,
) -> ConflictCopy:
    return ConflictCopy(
        id=conflict_id(op.table, op.row_id, name, other_hlc),
        table=op.table,
        row_id=op.row_id,
        person_id=row.person_id,
        field=name,
        kind=kind,
        kept_value=kept,
        other_value=other,
        kept_hlc=kept_hlc,
        other_hlc=other_hlc,
    )


def _row_conflict(
    op: ChangeOp, row: RowState, *, kept: Any, kept_hlc: str, other: Any, other_hlc: str
) -> ConflictCopy:
    return ConflictCopy(
        id=conflict_id(op.table, op.row_id, ROW_FIELD, other_hlc),
        table=op.table,
        row_id=op.row_id,
        person_id=row.person_id,
        field=ROW_FIELD,
        kind=ConflictKind.DELETE,
        kept_value=kept,
        other_value=other,
        kept_hlc=kept_hlc,
        other_hlc=other_hlc,
    )
