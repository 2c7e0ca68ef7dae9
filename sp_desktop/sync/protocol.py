"""The sync protocol, imported by both the app and the server so they cannot drift apart.

A change travels as a `ChangeOp`: one operation on one row, with its own idempotency key (the
op id). `fields` holds the new values of the fields it changed, `base` the per-field clock stamp
each edit was based on (None for a field the device had never seen), `hlc` the stamp of the edit.
"""

from __future__ import annotations

import enum
import ipaddress
import json
from dataclasses import dataclass, replace
from typing import Any

# The protocol sends changes in the outbox's own words (defined below the store and this module).
from sp_desktop.domain.changes import ROW_FIELD as ROW_FIELD
from sp_desktop.domain.changes import OpKind as OpKind

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


# What a laptop says about its queue at each sync (the office's laptops page shows it).
WAITING_HEADER = "X-SP-Waiting"
OLDEST_WAITING_HEADER = "X-SP-Oldest-Waiting"


def is_loopback(host: str) -> bool:
    """Whether an address only this machine can reach: plain http to it crosses no network,
    so it is the one place sync may go without TLS (a server on the same laptop, tests)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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


class RejectCode(enum.StrEnum):
    """Why the office refused one change, so the app can react (the reason says it in words)."""

    INVALID = "invalid"  # a value, a missing field or an unknown field breaks the rules
    UNREADABLE = "unreadable"  # the change is not in the form the office reads
    CLOCK_AHEAD = "clock_ahead"  # stamped too far ahead of the office: the laptop clock is wrong
    UNKNOWN_PARENT = "unknown_parent"  # the person or record it belongs to is not at the office
    OTHER_TEAM = "other_team"  # the person is in another team's caseload
    NOT_ALLOWED = "not_allowed"  # this device may not make this change
    NO_CONSENT = "no_consent"  # personal content for a person whose consent does not allow it


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
    ADVISER_DISABLED = "adviser_disabled"
    TRAINING_STORE = "training_store"


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
    "answers": TableSpec(TableKind.FACT),  # every measure's answers (schema 0007 on)
    "attendance": TableSpec(TableKind.FACT),
    "volunteer_hours": TableSpec(TableKind.FACT),
    "closing_reviews": TableSpec(TableKind.FACT),
    "visit_addenda": TableSpec(TableKind.FACT),  # corrections of signed visits
    "consents": TableSpec(TableKind.FACT),  # consent first: each answer a person gave (0008)
    "services": TableSpec(TableKind.DIRECTORY, person_scoped=False),
}


# Before schema 0007 a laptop sent ONS4 as table "assessments", one field per item. The office
# still takes such a change from a laptop not yet updated, as the answers it is (`upgraded`).
LEGACY_ONS4_TABLE = "assessments"
LEGACY_ONS4_ITEMS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")


def legacy_ons4_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """An "assessments" change's fields as an "answers" change carries them."""
    moved = {
        ("taken_on" if k == "assessed_on" else k): v
        for k, v in fields.items()
        if k not in LEGACY_ONS4_ITEMS
    }
    moved["measure"] = "ons4"
    moved["answers"] = json.dumps(
        {item: fields.get(item) for item in LEGACY_ONS4_ITEMS}, separators=(",", ":")
    )
    return moved


def legacy_ons4_stamps(stamps: dict[str, Any]) -> dict[str, Any]:
    """Per-field stamps under the answers table's names (the items' newest is `answers`')."""
    moved: dict[str, Any] = {}
    items = [s for k, s in stamps.items() if k in LEGACY_ONS4_ITEMS and s is not None]
    for name, stamp in stamps.items():
        if name not in LEGACY_ONS4_ITEMS:
            moved["taken_on" if name == "assessed_on" else name] = stamp
    if any(k in LEGACY_ONS4_ITEMS for k in stamps):
        moved["answers"] = moved["measure"] = max(items) if items else None
    return moved


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

    def upgraded(self) -> ChangeOp:
        """A change from the previous schema as today's tables take it (see LEGACY_ONS4_TABLE)."""
        if self.table != LEGACY_ONS4_TABLE:
            return self
        return replace(
            self,
            table="answers",
            fields=legacy_ons4_fields(self.fields) if self.kind is not OpKind.DELETE else {},
            base=legacy_ons4_stamps(self.base),
        )

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


# --- the messages of one round trip, as both sides build and read them ----------------------
#
# One definition each: the app builds a SyncRequest and reads a SyncAnswer; the office reads
# the request (after its own checks, `server/models.py`) and builds the answer. `from_wire`
# raises KeyError, TypeError or ValueError on a message of the wrong shape.


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, not {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class Ack:
    """What the office did with one pushed operation (`reason` says why it was refused)."""

    op: str
    status: AckStatus
    reason: str = ""
    conflicts: tuple[str, ...] = ()
    code: str = ""  # a RejectCode when refused ("clock_ahead": this laptop's clock is wrong)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"op": self.op, "status": self.status.value}
        if self.reason:
            wire["reason"] = self.reason
        if self.conflicts:
            wire["conflicts"] = list(self.conflicts)
        if self.code:
            wire["code"] = self.code
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Ack:
        return cls(
            op=str(wire["op"]),
            status=AckStatus(wire["status"]),
            reason=str(wire.get("reason") or ""),
            conflicts=tuple(str(c) for c in wire.get("conflicts") or ()),
            code=str(wire.get("code") or ""),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to a divergence check: ok, mismatch (with the tables to re-pull) or busy."""

    status: str
    tables: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {"status": self.status, "tables": list(self.tables)}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Verdict:
        return cls(
            status=str(wire["status"]), tables=tuple(str(t) for t in wire.get("tables") or ())
        )


@dataclass(frozen=True, slots=True)
class UnreadableOp:
    """A pushed change the office could not read, by its op id: refused on its own, in words."""

    op_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """One round trip from a laptop: its outbox batch, conflicts resolved, and its cursor.

    `check`: per table the count and digest of what the laptop holds (a divergence check);
    `tables`: pull only these (a targeted resync); `team`: the team the laptop believes it
    serves; `training`: the store is a training copy (the office refuses it);
    `keep_closed_days`: the laptop's retention window, so the office leaves people closed
    beyond it out of its side of the check (`domain.retention`).
    """

    cursor: int
    ops: tuple[ChangeOp, ...] = ()
    resolved: tuple[str, ...] = ()
    limit: int | None = None
    pull: bool = True
    check: dict[str, tuple[int, str]] | None = None
    tables: tuple[str, ...] | None = None
    team: str | None = None
    training: bool = False
    keep_closed_days: int | None = None
    protocol: int = PROTOCOL_VERSION
    # Filled by the office's reader, never sent: ops it could not read, each refused alone.
    unreadable: tuple[UnreadableOp, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "protocol": self.protocol,
            "cursor": self.cursor,
            "ops": [op.to_wire() for op in self.ops],
            "resolved": list(self.resolved),
        }
        if self.limit is not None:
            wire["limit"] = self.limit
        if not self.pull:
            wire["pull"] = False
        if self.check is not None:
            wire["check"] = {name: list(pair) for name, pair in self.check.items()}
        if self.tables is not None:
            wire["tables"] = list(self.tables)
        if self.team is not None:
            wire["team"] = self.team
        if self.training:
            wire["training"] = True
        if self.keep_closed_days is not None:
            wire["keep_closed_days"] = self.keep_closed_days
        return wire


@dataclass(frozen=True, slots=True)
class SyncAnswer:
    """The office's answer to one round trip.

    `changes` are rows in `PulledRow.to_wire` form and `conflicts` conflict copies in
    `ConflictCopy.to_wire` form (plus `resolved_at` and `seq`): the office splices their stored
    JSON in without decoding it, and the laptop reads them as it applies the page.
    `restore`: the laptop must clear its copy and pull afresh (why: "team_changed",
    "cursor_too_old"). `retired`: the office has retired this laptop: it hands in what it
    holds (nothing is pulled) and then wipes. `token`: a fresh device token replacing the
    current one. `lease_seconds`: how long the laptop may stay unsynced and still open.
    """

    cursor: int
    acks: tuple[Ack, ...] = ()
    changes: tuple[dict[str, Any], ...] = ()
    conflicts: tuple[dict[str, Any], ...] = ()
    more: bool = False
    reset: bool = False
    team: str = ""
    notice: str | None = None
    check: Verdict | None = None
    restore: str | None = None
    retired: bool = False
    token: str | None = None
    lease_seconds: int | None = None
    protocol: int = PROTOCOL_VERSION
    quarantined: int = 0  # stored rows in this page the office could not serve (left out)

    def to_wire(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "quarantined": self.quarantined,
            "acks": [ack.to_wire() for ack in self.acks],
            "changes": list(self.changes),
            "conflicts": list(self.conflicts),
            "cursor": self.cursor,
            "more": self.more,
            "reset": self.reset,
            "team": self.team,
            "notice": self.notice,
            "check": None if self.check is None else self.check.to_wire(),
            "restore": self.restore,
            "retired": self.retired,
            "token": self.token,
            "lease_seconds": self.lease_seconds,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> SyncAnswer:
        check = wire.get("check")
        lease = wire.get("lease_seconds")
        return cls(
            protocol=_int(wire.get("protocol", PROTOCOL_VERSION)),
            cursor=_int(wire["cursor"]),
            acks=tuple(Ack.from_wire(a) for a in wire.get("acks") or ()),
            changes=tuple(dict(c) for c in wire.get("changes") or ()),
            conflicts=tuple(dict(c) for c in wire.get("conflicts") or ()),
            more=bool(wire.get("more")),
            reset=bool(wire.get("reset")),
            team=str(wire.get("team") or ""),
            notice=_text_or_none(wire.get("notice")),
            check=Verdict.from_wire(check) if isinstance(check, dict) else None,
            restore=_text_or_none(wire.get("restore")),
            retired=bool(wire.get("retired")),
            token=_text_or_none(wire.get("token")),
            lease_seconds=_int(lease) if lease is not None else None,
            quarantined=_int(wire.get("quarantined") or 0),
        )


@dataclass(frozen=True, slots=True)
class RegisterRequest:
    """A laptop asking for a device token with its adviser's name and password."""

    adviser: str
    password: str
    device_id: str
    label: str = ""
    training: bool = False
    protocol: int = PROTOCOL_VERSION

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "protocol": self.protocol,
            "adviser": self.adviser,
            "password": self.password,
            "device_id": self.device_id,
            "label": self.label,
        }
        if self.training:
            wire["training"] = True
        return wire

    def __repr__(self) -> str:  # never the password, whatever logs or tracebacks show
        return f"RegisterRequest(adviser=..., device_id={self.device_id!r})"


@dataclass(frozen=True, slots=True)
class RegisterAnswer:
    device_id: str
    token: str
    team: str
    role: str
    lease_seconds: int | None = None
    protocol: int = PROTOCOL_VERSION

    def to_wire(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "device_id": self.device_id,
            "token": self.token,
            "team": self.team,
            "role": self.role,
            "lease_seconds": self.lease_seconds,
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> RegisterAnswer:
        lease = wire.get("lease_seconds")
        return cls(
            device_id=str(wire["device_id"]),
            token=str(wire["token"]),
            team=str(wire["team"]),
            role=str(wire["role"]),
            lease_seconds=_int(lease) if lease is not None else None,
            protocol=_int(wire.get("protocol", PROTOCOL_VERSION)),
        )


# --- the audit trail, handed to the office (information governance) --------------------------

AUDIT_PATH = "/audit"
MAX_AUDIT_EVENTS = 500  # events in one upload; a laptop with more sends several


@dataclass(frozen=True, slots=True)
class AuditEventWire:
    """One audit event as the laptop's chain holds it: `seq` its place, `prev_hash` and `hash`
    its links (see `domain.audit_chain`). It names a person by id only, never by name."""

    seq: int
    id: str
    at: str
    actor: str
    device: str
    action: str
    person_id: str | None
    entity: str
    entity_id: str | None
    prev_hash: str
    hash: str

    def to_wire(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class AuditUpload:
    """Events the office has not acknowledged yet, oldest first, and the anchor: the laptop's
    hash of the last event the office acknowledged (`anchor_seq`, 0 before any), so a chain
    rewritten on the laptop is found even when no new event follows it."""

    anchor_seq: int
    anchor_hash: str
    events: tuple[AuditEventWire, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {"protocol": PROTOCOL_VERSION, "anchor_seq": self.anchor_seq,
                "anchor_hash": self.anchor_hash, "events": [e.to_wire() for e in self.events]}


@dataclass(frozen=True, slots=True)
class AuditReceipt:
    """The office's acknowledgement: the newest event it holds from this laptop (its place and
    hash; the laptop sends only what follows), and whether anything arrived broken."""

    acknowledged_seq: int
    acknowledged_hash: str
    flagged: int = 0  # breaks found in this upload (a gap, a rewrite, an altered event)

    def to_wire(self) -> dict[str, Any]:
        return {"protocol": PROTOCOL_VERSION, "acknowledged_seq": self.acknowledged_seq,
                "acknowledged_hash": self.acknowledged_hash, "flagged": self.flagged}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> AuditReceipt:
        return cls(_int(wire["acknowledged_seq"]), str(wire["acknowledged_hash"]),
                   _int(wire.get("flagged", 0)))


# --- erasure reaching every laptop ------------------------------------------------------------

ERASURES_PATH = "/erasures"
MAX_ERASURES = 500  # erasures named in one answer or confirmed in one request


@dataclass(frozen=True, slots=True)
class ErasureNotice:
    """A person the office erased: the laptop purges everything about them and confirms."""

    id: str
    person_id: str

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "person_id": self.person_id}


@dataclass(frozen=True, slots=True)
class ErasureRequest:
    """An adviser asks, from the app, that a person be erased; a manager confirms it."""

    person_id: str
    reason: str
    asked_at: str

    def to_wire(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "reason": self.reason, "asked_at": self.asked_at}


@dataclass(frozen=True, slots=True)
class ErasureExchange:
    """Laptop to office: erasures this laptop has purged (`confirmed`) and erasures its adviser
    asks for (`requested`). Office to laptop: the erasures in its team it has not confirmed yet
    (`erasures`)."""

    confirmed: tuple[str, ...] = ()
    erasures: tuple[ErasureNotice, ...] = ()
    requested: tuple[ErasureRequest, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {"protocol": PROTOCOL_VERSION, "confirmed": list(self.confirmed),
                "erasures": [e.to_wire() for e in self.erasures],
                "requested": [r.to_wire() for r in self.requested]}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> ErasureExchange:
        return cls(tuple(str(c) for c in wire.get("confirmed", [])),
                   tuple(ErasureNotice(str(e["id"]), str(e["person_id"]))
                         for e in wire.get("erasures", [])))
