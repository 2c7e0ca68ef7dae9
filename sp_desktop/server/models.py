"""The office's checks on request bodies (pydantic), run whole before anything is stored.

The messages themselves are defined once, in `sync/protocol.py`; a body that passes these
checks becomes that message (`SyncIn.to_request`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from sp_desktop.sync.protocol import (
    MAX_BATCH_OPS,
    MAX_PAGE_LIMIT,
    MAX_TEXT_CHARS,
    ChangeOp,
    OpKind,
    RegisterRequest,
    SyncRequest,
    UnreadableOp,
)

# Columns every synced row carries for itself; a change may not set them as fields.
RESERVED_FIELDS = frozenset(
    {"id", "created_at", "updated_at", "hlc", "versions", "deleted", "origin_device"}
)

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
TableName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$|^\*$")]
Stamp = Annotated[str, StringConstraints(pattern=r"^\d{15}-[0-9a-f]{4}-[A-Za-z0-9_]{1,64}$")]
Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
# Field values are JSON scalars: dates travel as ISO text, booleans as JSON booleans.
Scalar = bool | int | float | Text | None


class OpIn(BaseModel):
    """One change as sent by a device (see `ChangeOp.to_wire`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    op: Identifier
    table: TableName
    row: Identifier
    person: Identifier | None = None
    kind: OpKind
    fields: dict[FieldName, Scalar] = Field(default_factory=dict, max_length=200)
    base: dict[FieldName, Stamp | None] = Field(default_factory=dict, max_length=200)
    hlc: Stamp

    @field_validator("fields")
    @classmethod
    def _no_reserved_fields(cls, fields: dict[str, Scalar]) -> dict[str, Scalar]:
        reserved = sorted(RESERVED_FIELDS.intersection(fields) | ({"*"} & fields.keys()))
        if reserved:
            raise ValueError(f"fields may not set {', '.join(reserved)}")
        return fields

    def to_change(self) -> ChangeOp:
        return ChangeOp(self.op, self.table, self.row, self.person, self.kind, dict(self.fields),
                        dict(self.base), self.hlc)


_OP_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PARTS = {"table": "table name", "row": "row id", "person": "person id", "base": "base stamps",
          "op": "op id"}


def read_op(raw: dict[str, Any]) -> ChangeOp | UnreadableOp:
    """One pushed change, or why the office cannot read it (in words, never pydantic's)."""
    try:
        return OpIn.model_validate(raw).to_change()
    except ValidationError as exc:
        return UnreadableOp(str(raw.get("op")), _unreadable(exc))


def _unreadable(exc: ValidationError) -> str:
    error = exc.errors(include_input=False, include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    where, kind = (loc[0] if loc else ""), error["type"]
    if where == "fields" and len(loc) > 1:
        name = loc[1][:64]
        if kind == "string_too_long":
            return (f"The value of {name} is longer than the office accepts "
                    f"({MAX_TEXT_CHARS:,} characters).")
        return f"The value of {name} is not text, a number or yes/no."
    if where == "fields":
        return "The change's fields are not names with values, or one of them is reserved."
    if where == "hlc":
        return "The change's clock stamp cannot be read."
    if where == "kind":
        return "The kind of change is not one the office knows."
    if kind == "extra_forbidden":
        return f"The change carries something the office does not read ({where[:40]})."
    if kind == "missing":
        return f"The change has no {_PARTS.get(where, where[:40])}."
    if where in _PARTS:
        return f"The change's {_PARTS[where]} cannot be read."
    return "The change is not in the form the office reads."


class SyncIn(BaseModel):
    """One round trip: the outbox batch, conflicts the adviser resolved, and the cursor."""

    model_config = ConfigDict(extra="forbid")

    protocol: int
    cursor: int = Field(ge=0)
    # Each op is read on its own (`read_op`): one malformed op is refused alone, in words,
    # and the rest of the batch applies. Only an op whose id cannot be read refuses the batch.
    ops: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_BATCH_OPS)
    resolved: list[Identifier] = Field(default_factory=list, max_length=MAX_BATCH_OPS)
    limit: int | None = Field(default=None, ge=1, le=MAX_PAGE_LIMIT)
    pull: bool = True
    # Divergence check: per table, the count and digest of (row id, stamp) the laptop holds.
    check: dict[TableName, tuple[Annotated[int, Field(ge=0)], Digest]] | None = Field(
        default=None, max_length=64)
    # A targeted resync: pull only these tables (from the given cursor, usually 0).
    tables: list[TableName] | None = Field(default=None, max_length=64)
    # The team the laptop believes it serves; another team means its caseload scope changed.
    team: Annotated[str, StringConstraints(max_length=100)] | None = None
    # Sent by a training store (made-up people): the office refuses it.
    training: bool = False

    @field_validator("ops")
    @classmethod
    def _op_ids_readable(cls, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for op in ops:
            op_id = op.get("op")
            if not isinstance(op_id, str) or not _OP_ID.fullmatch(op_id):
                raise ValueError("every change needs an op id the office can read")
        return ops

    def to_request(self) -> SyncRequest:
        read = [read_op(op) for op in self.ops]
        return SyncRequest(
            protocol=self.protocol,
            cursor=self.cursor,
            ops=tuple(op for op in read if isinstance(op, ChangeOp)),
            unreadable=tuple(op for op in read if isinstance(op, UnreadableOp)),
            resolved=tuple(self.resolved),
            limit=self.limit,
            pull=self.pull,
            check=None if self.check is None else dict(self.check),
            tables=None if self.tables is None else tuple(self.tables),
            team=self.team,
            training=self.training,
        )


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    protocol: int
    adviser: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    device_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{8,64}$")]
    label: Annotated[str, StringConstraints(max_length=200)] = ""
    training: bool = False

    def to_request(self) -> RegisterRequest:
        return RegisterRequest(protocol=self.protocol, adviser=self.adviser,
                               password=self.password, device_id=self.device_id,
                               label=self.label, training=self.training)


class DirectoryIn(BaseModel):
    """Directory entries published by a manager: each an "id" plus service fields."""

    model_config = ConfigDict(extra="forbid")

    protocol: int
    entries: list[dict[FieldName, Scalar]] = Field(max_length=20_000)
