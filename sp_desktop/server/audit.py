"""The laptops' audit trails at the office: each upload checked against the chain the office
already holds, stored append-only, and acknowledged by hash.

The office keeps the newest event it acknowledged from each laptop. A laptop sends what
follows it, plus its own hash of that acknowledged event (the anchor). Anything that does not
continue the office's chain is flagged, never silently accepted or dropped:
- `rewritten`: the laptop's anchor, or an event's link to the one before, differs from what the
  office acknowledged: events were changed or removed and the chain was re-made on the laptop.
- `altered`: an event's hash does not match its own contents.
- `gap`: events are missing between what the office holds and what arrived.
- `other_device`: an event claims to come from another laptop.
What arrived is stored either way (the office holds everything it was sent), so the console can
show it beside the flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from sp_desktop.domain.audit_chain import GENESIS, event_digest
from sp_desktop.server.accounts import DeviceContext
from sp_desktop.server.db import laptop_audit, laptop_audit_flags, write_transaction
from sp_desktop.sync.protocol import AuditEventWire, AuditReceipt, AuditUpload

REWRITTEN = "rewritten"
ALTERED = "altered"
GAP = "gap"
OTHER_DEVICE = "other_device"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _newest(conn: Connection, device_id: str) -> tuple[int, str]:
    row = conn.execute(
        select(laptop_audit.c.seq, laptop_audit.c.hash)
        .where(laptop_audit.c.device_id == device_id)
        .order_by(laptop_audit.c.seq.desc())
        .limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


def _held_hash(conn: Connection, device_id: str, seq: int) -> str | None:
    if seq == 0:
        return GENESIS
    found = conn.execute(
        select(laptop_audit.c.hash).where(
            laptop_audit.c.device_id == device_id, laptop_audit.c.seq == seq)
    ).scalar_one_or_none()
    return None if found is None else str(found)


def receive(engine: Engine, ctx: DeviceContext, upload: AuditUpload) -> AuditReceipt:
    """Checks and stores one upload in one transaction; the receipt names the newest event
    now held from this laptop."""
    with write_transaction(engine) as conn:
        return receive_in(conn, ctx.device_id, upload)


def receive_in(conn: Connection, device_id: str, upload: AuditUpload) -> AuditReceipt:
    flags: list[dict[str, Any]] = []
    stamp = _now()

    def flag(seq: int, kind: str, words: str) -> None:
        flags.append({"device_id": device_id, "seq": seq, "kind": kind, "words": words,
                      "found_at": stamp})

    held_seq, held_hash = _newest(conn, device_id)
    anchor = _held_hash(conn, device_id, upload.anchor_seq)
    if anchor is not None and anchor != upload.anchor_hash:
        flag(upload.anchor_seq, REWRITTEN,
             f"The laptop's event {upload.anchor_seq} no longer matches what the office "
             "acknowledged: its audit trail was changed after it was handed in.")
    stored: list[dict[str, Any]] = []
    for event in sorted(upload.events, key=lambda e: e.seq):
        if event.seq <= held_seq:
            # Sent again: it must be what the office already holds.
            if _held_hash(conn, device_id, event.seq) != event.hash:
                flag(event.seq, REWRITTEN,
                     f"Event {event.seq} was sent again with different contents: the laptop's "
                     "audit trail was changed after the office acknowledged it.")
            continue
        if event.seq != held_seq + 1:
            flag(event.seq, GAP,
                 f"Events {held_seq + 1} to {event.seq - 1} never reached the office: they "
                 "were removed from the laptop before they were handed in.")
        elif event.prev_hash != held_hash:
            flag(event.seq, REWRITTEN,
                 f"Event {event.seq} does not follow the office's event {held_seq}: the "
                 "laptop's audit trail was re-made.")
        if event_digest(event.prev_hash, _body(event)) != event.hash:
            flag(event.seq, ALTERED,
                 f"Event {event.seq} does not match its own hash: it was changed.")
        if event.device != device_id:
            flag(event.seq, OTHER_DEVICE,
                 f"Event {event.seq} says it was recorded on another laptop.")
        stored.append(_row(device_id, event, stamp))
        held_seq, held_hash = event.seq, event.hash
    if stored:
        conn.execute(laptop_audit.insert(), stored)
    if flags:
        conn.execute(laptop_audit_flags.insert(), flags)
    return AuditReceipt(held_seq, held_hash, len(flags))


def _body(event: AuditEventWire) -> dict[str, object]:
    return {"id": event.id, "at": event.at, "actor": event.actor, "device": event.device,
            "action": event.action, "person_id": event.person_id, "entity": event.entity,
            "entity_id": event.entity_id}


def _row(device_id: str, event: AuditEventWire, stamp: str) -> dict[str, Any]:
    return {"device_id": device_id, "seq": event.seq, "event_id": event.id, "at": event.at,
            "actor": event.actor, "device": event.device, "action": event.action,
            "person_id": event.person_id, "entity": event.entity,
            "entity_id": event.entity_id, "prev_hash": event.prev_hash, "hash": event.hash,
            "received_at": stamp}


# --- what the console shows -----------------------------------------------------------------


def flags_of(conn: Connection, device_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every break found, newest first (for one set of laptops, or all)."""
    query = select(laptop_audit_flags).order_by(laptop_audit_flags.c.id.desc())
    if device_ids is not None:
        query = query.where(laptop_audit_flags.c.device_id.in_(sorted(device_ids)))
    return [dict(r) for r in conn.execute(query).mappings()]


def events_about(conn: Connection, person_id: str) -> list[dict[str, Any]]:
    """Who viewed or changed what about one person, when, from which laptop (oldest first)."""
    return [dict(r) for r in conn.execute(
        select(laptop_audit).where(laptop_audit.c.person_id == person_id)
        .order_by(laptop_audit.c.at, laptop_audit.c.device_id, laptop_audit.c.seq)
    ).mappings()]


def events_by(conn: Connection, actor: str) -> list[dict[str, Any]]:
    """Whom one adviser looked at or changed, when, from which laptop (oldest first)."""
    return [dict(r) for r in conn.execute(
        select(laptop_audit).where(laptop_audit.c.actor == actor)
        .order_by(laptop_audit.c.at, laptop_audit.c.device_id, laptop_audit.c.seq)
    ).mappings()]


def events_held(conn: Connection, device_id: str) -> int:
    return int(conn.execute(
        select(func.count()).select_from(laptop_audit)
        .where(laptop_audit.c.device_id == device_id)).scalar_one())
