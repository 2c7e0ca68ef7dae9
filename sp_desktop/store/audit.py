"""The append-only audit trail: who viewed or changed which person, when, from which device.

Each event carries the hash of the one before it, so removing or editing an event breaks the
chain at that point and `verify_chain` says where. The newest hash is also kept in `store_meta`
(same transaction), so removing the newest events is found too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sp_desktop.domain.ids import new_id
from sp_desktop.store.changes import now_text
from sp_desktop.store.schema import audit_events, store_meta

GENESIS = "0" * 64
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
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)  # compact UTF-8, sorted keys
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def _body(row: dict[str, object]) -> dict[str, object]:
    keys = ("id", "at", "actor", "device", "action", "person_id", "entity", "entity_id")
    return {k: row[k] for k in keys}


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
