"""The append-only audit trail: who viewed or changed which person, when, from which device.

Each event carries the hash of the one before it, so removing or editing an event breaks the
chain at that point and `verify_chain` says where. The newest hash is also kept in `store_meta`
(same transaction), so removing the newest events is found too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sp_desktop.domain.audit_chain import GENESIS, event_body, event_digest
from sp_desktop.domain.ids import new_id
from sp_desktop.store.changes import now_text
from sp_desktop.store.schema import audit_events, store_meta

HEAD_META = "audit.head"  # the newest event's hash, written with it


@dataclass(frozen=True, slots=True)
class AuditEvent:
    actor: str
    device: str
    action: str  # viewed, created, changed, deleted, signed, printed, exported ...
    entity: str
    entity_id: str | None
    person_id: str | None


def _digest(prev_hash: str, body: dict[str, object]) -> str:
    return event_digest(prev_hash, body)


def _body(row: dict[str, object]) -> dict[str, object]:
    return event_body(row)


def record(conn: Connection, events: Iterable[AuditEvent]) -> None:
    """Appends events inside the caller's write transaction (the same one as the change)."""
    prev = (
        conn.execute(
            select(audit_events.c.hash).order_by(audit_events.c.seq.desc()).limit(1)
        ).scalar_one_or_none()
        or GENESIS
    )
    at = now_text()
    rows = []
    for event in events:
        row: dict[str, object] = {
            "id": new_id(),
            "at": at,
            "actor": event.actor,
            "device": event.device,
            "action": event.action,
            "person_id": event.person_id,
            "entity": event.entity,
            "entity_id": event.entity_id,
        }
        row["prev_hash"] = prev
        row["hash"] = prev = _digest(prev, _body(row))
        rows.append(row)
    if rows:
        conn.execute(audit_events.insert(), rows)
        head = sqlite_insert(store_meta).values(key=HEAD_META, value=prev)
        conn.execute(head.on_conflict_do_update(index_elements=["key"], set_={"value": prev}))


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What `check_chain` found: `broken_at` is the first event that breaks the chain (None if
    none does); `head_missing` means the newest recorded events are gone."""

    events: int
    broken_at: int | None
    head_missing: bool

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.head_missing


def verify_chain(conn: Connection) -> int | None:
    """The sequence number of the first event that breaks the chain, or None if it is intact."""
    return check_chain(conn).broken_at


def check_chain(conn: Connection) -> ChainCheck:
    """Walks the whole chain and compares its end with the head kept beside it."""
    prev = GENESIS
    count = 0
    broken_at: int | None = None
    for row in conn.execute(select(audit_events).order_by(audit_events.c.seq)).mappings():
        count += 1
        if broken_at is None and (
            row["prev_hash"] != prev or _digest(prev, _body(dict(row))) != row["hash"]
        ):
            broken_at = int(row["seq"])
        prev = row["hash"]
    head = conn.execute(
        select(store_meta.c.value).where(store_meta.c.key == HEAD_META)
    ).scalar_one_or_none()
    # Stores written before the head was kept have none: only the chain itself is checked.
    head_missing = head is not None and head != prev
    return ChainCheck(count, broken_at, head_missing)


# --- handing the trail to the office ---------------------------------------------------------

ACKED_SEQ_META = "audit.acked_seq"  # the newest event the office acknowledged ...
ACKED_HASH_META = "audit.acked_hash"  # ... and its hash as the office holds it
# Sent as the anchor when the acknowledged event is no longer here: matches nothing the office
# holds, so the removal is flagged there.
MISSING_ANCHOR = hashlib.sha256(b"audit event removed from this laptop").hexdigest()


@dataclass(frozen=True, slots=True)
class Waiting:
    """Events the office has not acknowledged, oldest first, after the anchor (the last one it
    did: its place and this laptop's hash of it now)."""

    anchor_seq: int
    anchor_hash: str
    events: list[dict[str, Any]]


def waiting(conn: Connection, limit: int) -> Waiting:
    acked = conn.execute(
        select(store_meta.c.value).where(store_meta.c.key == ACKED_SEQ_META)
    ).scalar_one_or_none()
    anchor_seq = int(acked or 0)
    anchor_hash = GENESIS
    if anchor_seq:
        found = conn.execute(
            select(audit_events.c.hash).where(audit_events.c.seq == anchor_seq)
        ).scalar_one_or_none()
        anchor_hash = str(found) if found is not None else MISSING_ANCHOR
    rows = conn.execute(
        select(audit_events).where(audit_events.c.seq > anchor_seq)
        .order_by(audit_events.c.seq).limit(limit)
    ).mappings()
    return Waiting(anchor_seq, anchor_hash, [dict(r) for r in rows])


def acknowledged(conn: Connection, seq: int, digest: str) -> None:
    """Keeps the office's acknowledgement: later uploads start after it."""
    for key, value in ((ACKED_SEQ_META, str(seq)), (ACKED_HASH_META, digest)):
        row = sqlite_insert(store_meta).values(key=key, value=value)
        conn.execute(row.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def waiting_count(conn: Connection) -> int:
    acked = conn.execute(
        select(store_meta.c.value).where(store_meta.c.key == ACKED_SEQ_META)
    ).scalar_one_or_none()
    return int(conn.execute(
        select(func.count()).select_from(audit_events)
        .where(audit_events.c.seq > int(acked or 0))).scalar_one())
