"""The sync protocol, imported by both the app and the server so they cannot drift apart.

A change travels as a `ChangeOp`: one operation on one row, with its own idempotency key (the
op id). `fields` holds the new values of the fields it changed, `base` the per-field clock stamp
each edit was based on (None for a field the device had never seen), `hlc` the stamp of the edit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1
# Pushes from the previous version are still accepted so changes queued before an app update
# still upload; anything older (or newer than the server) gets a "please update" answer.
OLDEST_PUSH_VERSION = PROTOCOL_VERSION - 1

SYNC_PATH = "/sync"
REGISTER_PATH = "/devices/register"
HEALTH_PATH = "/health"

MAX_BATCH_OPS = 500  # ops in one push; the client sends far fewer (small bounded batches)
MAX_BODY_BYTES = 4 * 1024 * 1024  # a request body as sent (compressed)
MAX_INFLATED_BYTES = 16 * 1024 * 1024  # the same body decompressed: stops gzip bombs
MAX_TEXT_CHARS = 200_000  # one field value
DEFAULT_PAGE_LIMIT = 1000  # pulled rows per round trip
MAX_PAGE_LIMIT = 5000
# The conflict "field" of a delete racing an edit: the whole row, not one of its fields.
ROW_FIELD = "*"


class OpKind(enum.StrEnum):
    UPSERT = "upsert"  # create a row or change some of its fields
    APPEND = "append"  # an append-only fact: written once, never edited, never conflicts
    DELETE = "delete"  # a tombstone; wins only over edits older than itself


class TableKind(enum.Enum):
    MUTABLE = "mutable"  # merged field by field by clock stamp
    FACT = "fact"  # append-only
    DIRECTORY = "directory"  # owned by the office: advisers pull, never push


class AckStatus(enum.StrEnum):
    """What the server did with one pushed operation."""

    APPLIED = "applied"  # stored cleanly (or already stored: a retried op or a duplicate fact)
    MERGED = "merged"  # concurrent with another edit and won; the other side is in the conflict log
    CONFLICT = "conflict"  # concurrent and lost at least one field; its values are conflict copies
    REJECTED = "rejected"  # refused (reason says why); moved aside, never blocks the queue


class ConflictKind(enum.StrEnum):
    TEXT = "text"  # free text: the adviser picks a version
    VALUE = "value"  # settled by clock alone; logged so nothing is dropped silently
    DELETE = "delete"  # a delete raced an edit (field is ROW_FIELD)


class ErrorCode(enum.StrEnum):
    """The `code` of every 4xx answer, so the app can react without parsing English."""

    BAD_REQUEST = "bad_request"
    TOO_LARGE = "too_large"
    PROTOCOL_MISMATCH = "protocol_mismatch"
    NOT_REGISTERED = "unknown_device"
    DEVICE_REVOKED = "device_revoked"
    OTHER_TEAM = "other_team"
    READ_ONLY = "read_only"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    DEVICE_TAKEN = "device_taken"


@dataclass(frozen=True, slots=True)
class TableSpec:
    """What the merge needs to know about a table: its kind and its free-text fields.

    When two devices changed the same free-text field, the losing text is kept as a
    conflict copy for the adviser; other fields are settled by clock alone (still logged).
    """

    kind: TableKind
    text_fields: frozenset[str] = frozenset()
    person_scoped: bool = True


TABLES: dict[str, TableSpec] = {
    "people": TableSpec(
        TableKind.MUTABLE,
        frozenset(
            {
                "given_name",
                "family_name",
                "preferred_name",
                "address",
                "gp_practice",
                "email",
                "interpreter_language",
                "hearing_needs",
                "sight_needs",
            }
        ),
    ),
    "referrals": TableSpec(
        TableKind.MUTABLE, frozenset({"reason", "referrer_name", "referrer_organisation"})
    ),
    "visits": TableSpec(TableKind.MUTABLE, frozenset({"notes", "what_matters"})),
    "concerns": TableSpec(TableKind.MUTABLE, frozenset({"words"})),
    "steps": TableSpec(TableKind.MUTABLE, frozenset({"words"})),
    "prescriptions": TableSpec(TableKind.MUTABLE, frozenset({"declined_reason"})),
    "follow_ups": TableSpec(TableKind.MUTABLE, frozenset({"notes"})),
    "concern_ratings": TableSpec(TableKind.FACT),
    "step_progress": TableSpec(TableKind.FACT),
    "assessments": TableSpec(TableKind.FACT),
    "attendance": TableSpec(TableKind.FACT),
    "volunteer_hours": TableSpec(TableKind.FACT),
    "closing_reviews": TableSpec(TableKind.FACT),
    "services": TableSpec(TableKind.DIRECTORY, person_scoped=False),
}


@dataclass(frozen=True, slots=True)
class ChangeOp:
    """One local change waiting in the outbox, exactly as it is sent to the server."""

    op_id: str
    table: str
    row_id: str
    person_id: str | None
    kind: OpKind
    fields: dict[str, Any]
    base: dict[str, str | None]
    hlc: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "op": self.op_id,
            "table": self.table,
            "row": self.row_id,
            "person": self.person_id,
            "kind": self.kind.value,
            "fields": self.fields,
            "base": self.base,
            "hlc": self.hlc,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> ChangeOp:
        return cls(
            op_id=wire["op"],
            table=wire["table"],
            row_id=wire["row"],
            person_id=wire.get("person"),
            kind=OpKind(wire["kind"]),
            fields=dict(wire.get("fields") or {}),
            base=dict(wire.get("base") or {}),
            hlc=wire["hlc"],
        )


@dataclass(frozen=True, slots=True)
class PulledRow:
    """A row as the server holds it now: full fields, per-field stamps, tombstone flag, seq."""

    table: str
    row_id: str
    person_id: str | None
    fields: dict[str, Any]
    versions: dict[str, str]
    deleted: bool
    hlc: str
    seq: int
    origin_device: str
    created_at: str
    updated_at: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "row": self.row_id,
            "person": self.person_id,
            "fields": self.fields,
            "versions": self.versions,
            "deleted": self.deleted,
            "hlc": self.hlc,
            "seq": self.seq,
            "origin": self.origin_device,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> PulledRow:
        return cls(
            table=wire["table"],
            row_id=wire["row"],
            person_id=wire.get("person"),
            fields=dict(wire["fields"]),
            versions=dict(wire["versions"]),
            deleted=bool(wire["deleted"]),
            hlc=wire["hlc"],
            seq=int(wire["seq"]),
            origin_device=wire.get("origin", ""),
            created_at=wire.get("created_at", ""),
            updated_at=wire.get("updated_at", ""),
        )


@dataclass(frozen=True, slots=True)
class ConflictCopy:
    """One losing value kept for the adviser: the value that stayed and the one that did not.

    Values are JSON values (a dict of fields for a delete race). The id is derived from the row,
    field and losing stamp, so the same loss is logged once whatever order ops reached the server.
    """

    id: str
    table: str
    row_id: str
    person_id: str | None
    field: str
    kind: ConflictKind
    kept_value: Any
    other_value: Any
    kept_hlc: str | None
    other_hlc: str | None
    created_at: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "table": self.table,
            "row": self.row_id,
            "person": self.person_id,
            "field": self.field,
            "kind": self.kind.value,
            "kept": self.kept_value,
            "other": self.other_value,
            "kept_hlc": self.kept_hlc,
            "other_hlc": self.other_hlc,
            "created_at": self.created_at,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> ConflictCopy:
        return cls(
            id=wire["id"],
            table=wire["table"],
            row_id=wire["row"],
            person_id=wire.get("person"),
            field=wire["field"],
            kind=ConflictKind(wire["kind"]),
            kept_value=wire.get("kept"),
            other_value=wire.get("other"),
            kept_hlc=wire.get("kept_hlc"),
            other_hlc=wire.get("other_hlc"),
            created_at=wire.get("created_at", ""),
        )
