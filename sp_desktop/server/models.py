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

from sp_desktop.domain import rows as row_rules
from sp_desktop.domain.retention import MAX_KEEP_CLOSED_DAYS, MIN_KEEP_CLOSED_DAYS
from sp_desktop.sync.protocol import (
    MAX_AUDIT_EVENTS,
    MAX_BATCH_OPS,
    MAX_ERASURES,
    MAX_PAGE_LIMIT,
    MAX_TEXT_CHARS,
    OLDEST_PUSH_VERSION,
    PROTOCOL_VERSION,
    AckStatus,
    AuditEventWire,
    AuditUpload,
    ChangeOp,
    ErrorCode,
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
        """The change as today's tables take it (a previous schema's ONS4 becomes answers)."""
        return ChangeOp(self.op, self.table, self.row, self.person, self.kind, dict(self.fields),
                        dict(self.base), self.hlc).upgraded()


_OP_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_identifier(value: Any) -> bool:
    """A row, op or directory entry id the office can store: 1-64 letters, digits, '-', '_'."""
    return isinstance(value, str) and _OP_ID.fullmatch(value) is not None
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

    protocol: int = Field(ge=OLDEST_PUSH_VERSION, le=PROTOCOL_VERSION)
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
    # The laptop's retention window: people closed beyond it are out of its check's scope.
    keep_closed_days: int | None = Field(
        default=None, ge=MIN_KEEP_CLOSED_DAYS, le=MAX_KEEP_CLOSED_DAYS)

    @field_validator("ops")
    @classmethod
    def _op_ids_readable(cls, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for op in ops:
            op_id = op.get("op")
            if not is_identifier(op_id):
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
            keep_closed_days=self.keep_closed_days,
        )


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    protocol: int = Field(ge=PROTOCOL_VERSION, le=PROTOCOL_VERSION)
    # No NUL in what is looked up or stored (PostgreSQL text cannot hold it).
    adviser: Annotated[str, StringConstraints(min_length=1, max_length=200,
                                              pattern=r"^[^\x00]+$")]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    device_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{8,64}$")]
    label: Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")] = ""
    training: bool = False

    def to_request(self) -> RegisterRequest:
        return RegisterRequest(protocol=self.protocol, adviser=self.adviser,
                               password=self.password, device_id=self.device_id,
                               label=self.label, training=self.training)


class DirectoryIn(BaseModel):
    """Directory entries published by a manager: each an "id" plus service fields."""

    model_config = ConfigDict(extra="forbid")

    protocol: int = Field(ge=PROTOCOL_VERSION, le=PROTOCOL_VERSION)
    entries: list[dict[FieldName, Scalar]] = Field(max_length=20_000)


# --- the published description of the API (OpenAPI), for tests and integrators -------------
#
# The reader above stays tolerant (an op it cannot read is refused on its own, in words); the
# published schema is strict: per table, the fields a change may carry and each value's type,
# range, choices and length, taken from the one definition in `domain/rows.py`. A fuzzer
# generating from it reaches the merge and the row checks rather than stopping at the door.

_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_STAMP_PATTERN = r"^\d{15}-[0-9a-f]{4}-[A-Za-z0-9_]{1,64}$"


def _rule_schema(rule: row_rules.Rule) -> dict[str, Any]:
    """The JSON schema of the values one field rule accepts (as they travel)."""
    schema: dict[str, Any]
    if isinstance(rule, row_rules.CategoryOrBlank):
        schema = {"type": "string", "enum": sorted(rule.values | {""})}
    elif isinstance(rule, row_rules.OneOf):
        schema = {"type": "string", "enum": sorted(rule.values)}
    elif isinstance(rule, row_rules.Text):
        schema = {"type": "string", "maxLength": rule.max_chars}
        if not rule.blank_ok:
            schema.update(minLength=1, pattern=r"\S")
    elif isinstance(rule, row_rules.Whole):
        schema = {"type": "integer", "minimum": rule.low, "maximum": rule.high}
    elif isinstance(rule, row_rules.Hours):
        schema = {"type": "number", "exclusiveMinimum": 0, "maximum": rule.high}
    elif isinstance(rule, row_rules.YesNo):
        schema = {"type": "boolean"}
    elif isinstance(rule, row_rules.Day):
        schema = {"type": "string", "format": "date"}
    elif isinstance(rule, row_rules.Ref):
        schema = {"type": "string", "pattern": _ID_PATTERN}
    elif isinstance(rule, row_rules.Key):
        schema = {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,47}$"}
    elif isinstance(rule, row_rules.NhsDigits):
        schema = {"type": "string", "pattern": r"^[0-9]{10}$"}
    elif isinstance(rule, row_rules.Stamp):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(rule, row_rules.Email | row_rules.Postcode):
        schema = {"type": "string", "maxLength": 254}
    elif isinstance(rule, row_rules.Listed):
        schema = {"type": "string", "maxLength": rule.max_chars,
                  "description": "JSON text of a list"}
    else:  # Notes, Ways: JSON text checked whole by the rule
        schema = {"type": "string", "maxLength": MAX_TEXT_CHARS, "description": "JSON text"}
    if rule.nullable:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _fields_schema(table: row_rules.RowRules) -> dict[str, Any]:
    """A change's `fields` for one table: any of its fields (a change may be partial)."""
    return {
        "type": "object",
        "properties": {name: _rule_schema(rule) for name, rule in table.fields.items()},
        "additionalProperties": False,
    }


def _op_schema(table: row_rules.RowRules) -> dict[str, Any]:
    fields = _fields_schema(table)
    return {
        "type": "object",
        "properties": {
            "op": {"type": "string", "pattern": _ID_PATTERN},
            "table": {"const": table.table},
            "row": {"type": "string", "pattern": _ID_PATTERN},
            "person": {"anyOf": [{"type": "string", "pattern": _ID_PATTERN}, {"type": "null"}]},
            "kind": {"type": "string", "enum": [kind.value for kind in OpKind]},
            "fields": fields,
            "base": {
                "type": "object",
                "propertyNames": {"enum": sorted(table.fields)},
                "additionalProperties": {
                    "anyOf": [{"type": "string", "pattern": _STAMP_PATTERN}, {"type": "null"}]},
            },
            "hlc": {"type": "string", "pattern": _STAMP_PATTERN},
        },
        "required": ["op", "table", "row", "kind", "hlc"],
        "additionalProperties": False,
    }


def sync_body_schema() -> dict[str, Any]:
    """The body of POST /sync: `SyncIn`, its ops described table by table."""
    schema = SyncIn.model_json_schema()
    ops = [_op_schema(table) for name, table in sorted(row_rules.ROWS.items())]
    schema["properties"]["ops"] = {"type": "array", "items": {"anyOf": ops},
                                   "maxItems": MAX_BATCH_OPS}
    check = schema["properties"]["check"]["anyOf"][0]
    # pydantic writes a dict's key rule as patternProperties, which lets any other key by.
    ((pattern, pair),) = check.pop("patternProperties").items()
    check.update(propertyNames={"pattern": pattern}, additionalProperties=pair)
    return _inline(schema)


def register_body_schema() -> dict[str, Any]:
    return _inline(RegisterIn.model_json_schema())


def directory_body_schema() -> dict[str, Any]:
    """The body of POST /directory: entries with an id and the directory's fields."""
    schema = DirectoryIn.model_json_schema()
    entry = _fields_schema(row_rules.SERVICES)
    entry["properties"] = {"id": {"type": "string", "pattern": _ID_PATTERN},
                           "deleted": {"type": "boolean"}, **entry["properties"]}
    entry["required"] = ["id"]
    schema["properties"]["entries"] = {"type": "array", "items": entry, "maxItems": 20_000}
    return _inline(schema)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    # Bodies are published inline in the OpenAPI document, where "#/$defs/..." cannot resolve.
    if "$defs" in schema:
        raise ValueError("a request body schema with nested models must be inlined by hand")
    return schema


class Refusal(BaseModel):
    """Every 4xx answer: a code the app recognises and a sentence for the adviser."""

    code: ErrorCode
    detail: str
    kind: str | None = Field(default=None, description="a revoked device: retired or lost")


class AckOut(BaseModel):
    op: str
    status: AckStatus
    reason: str | None = None
    conflicts: list[str] | None = None
    code: str | None = None


class VerdictOut(BaseModel):
    status: str
    tables: list[str] = Field(default_factory=list)


class SyncOut(BaseModel):
    """The answer to POST /sync (`SyncAnswer.to_wire`)."""

    protocol: int
    quarantined: int = Field(ge=0)
    acks: list[AckOut]
    changes: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    cursor: int = Field(ge=0)
    more: bool
    reset: bool
    team: str
    notice: str | None
    check: VerdictOut | None
    restore: str | None
    retired: bool
    token: str | None
    lease_seconds: int | None


class RegisterOut(BaseModel):
    """The answer to POST /devices/register (`RegisterAnswer.to_wire`)."""

    protocol: int
    device_id: str
    token: str
    team: str
    role: str
    lease_seconds: int | None


class HealthOut(BaseModel):
    status: str
    protocol: int
    oldest_push: int


class DirectoryOut(BaseModel):
    published: int = Field(ge=0)
    rejected: int = Field(ge=0)


class AuditEventIn(BaseModel):
    """One audit event as a laptop's chain holds it (see `AuditEventWire`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=1, le=2**62)
    id: Identifier
    at: Annotated[str, StringConstraints(min_length=10, max_length=32, pattern=r"^[^\x00]+$")]
    actor: Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]
    device: Identifier
    action: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,31}$")]
    person_id: Identifier | None = None
    entity: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,31}$")]
    entity_id: Identifier | None = None
    prev_hash: Digest
    hash: Digest

    def to_wire(self) -> AuditEventWire:
        return AuditEventWire(**self.model_dump())


class AuditIn(BaseModel):
    """An audit upload (see `AuditUpload`): bounded, every event in the chain's own form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: int
    anchor_seq: int = Field(ge=0, le=2**62)
    anchor_hash: Digest
    events: list[AuditEventIn] = Field(default_factory=list, max_length=MAX_AUDIT_EVENTS)

    def to_upload(self) -> AuditUpload:
        return AuditUpload(self.anchor_seq, self.anchor_hash,
                           tuple(event.to_wire() for event in self.events))


class AuditOut(BaseModel):
    """The answer to POST /audit (`AuditReceipt.to_wire`)."""

    protocol: int
    acknowledged_seq: int = Field(ge=0)
    acknowledged_hash: str
    flagged: int = Field(ge=0)


def audit_body_schema() -> dict[str, Any]:
    return AuditIn.model_json_schema()


class ErasureRequestIn(BaseModel):
    """An adviser's request that a person be erased (`ErasureRequest`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    person_id: Identifier
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000,
                                             pattern=r"^[^\x00]+$")]
    asked_at: Annotated[str, StringConstraints(min_length=10, max_length=32,
                                               pattern=r"^[^\x00]+$")]


class ErasuresIn(BaseModel):
    """POST /erasures: the erasures this laptop has purged since it last said so."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: int
    confirmed: list[Identifier] = Field(default_factory=list, max_length=MAX_ERASURES)
    erasures: list[dict[str, Any]] = Field(default_factory=list, max_length=0)
    requested: list[ErasureRequestIn] = Field(default_factory=list, max_length=MAX_ERASURES)


class ErasuresOut(BaseModel):
    """The answer to POST /erasures (`ErasureExchange.to_wire`)."""

    protocol: int
    confirmed: list[str]
    erasures: list[dict[str, str]]


def erasures_body_schema() -> dict[str, Any]:
    return ErasuresIn.model_json_schema()
