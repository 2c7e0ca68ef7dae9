"""Erasure reaching the laptop: everything it holds about a person the office erased is purged
(their rows in every table, drafts, outbox entries, conflict copies, local summaries: found by
walking the schema, `store.walk`), freed pages are overwritten, and the rolling backups are
replaced by one taken after the purge, so no copy on this laptop still holds them.

The audit trail keeps its events: they name the person only by an id (no name, no content),
and removing them would break the chain the office checks; after the purge the id leads
nowhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from sqlalchemy import Connection

from sp_desktop.store import walk
from sp_desktop.store.database import Store, list_backups
from sp_desktop.store.schema import audit_events, store_meta
from sp_desktop.sync.protocol import ErasureRequest

log = logging.getLogger(__name__)

# Erasures purged here but not yet confirmed to the office (kept across a cut connection).
META_TO_CONFIRM = "erasure.to_confirm"
# The adviser's requests for erasure not yet handed to the office.
META_REQUESTS = "erasure.requests"


def purge(conn: Connection, person_id: str) -> dict[str, int]:
    """Deletes every row about the person but their audit events; returns counts per table."""
    conn.exec_driver_sql("PRAGMA secure_delete = ON")  # deleted content is overwritten
    return walk.delete_rows_about(conn, person_id, keep=(audit_events,))


def to_confirm(conn: Connection) -> list[str]:
    found = conn.execute(
        store_meta.select().where(store_meta.c.key == META_TO_CONFIRM)).mappings().first()
    return [str(i) for i in json.loads(found["value"])] if found else []


def set_to_confirm(conn: Connection, erasure_ids: Sequence[str]) -> None:
    conn.execute(store_meta.delete().where(store_meta.c.key == META_TO_CONFIRM))
    if erasure_ids:
        conn.execute(store_meta.insert().values(key=META_TO_CONFIRM,
                                                value=json.dumps(sorted(set(erasure_ids)))))


def replace_backups(store: Store) -> None:
    """After a purge: a fresh backup, then every older one deleted (they still hold the person)."""
    newest = store.backup()
    for old in list_backups(store.folder):
        if old.path != newest:
            old.path.unlink(missing_ok=True)
    log.info("backups replaced after a purge")


def requests(conn: Connection) -> list[ErasureRequest]:
    found = conn.execute(
        store_meta.select().where(store_meta.c.key == META_REQUESTS)).mappings().first()
    return [ErasureRequest(**r) for r in json.loads(found["value"])] if found else []


def set_requests(conn: Connection, wanted: Sequence[ErasureRequest]) -> None:
    conn.execute(store_meta.delete().where(store_meta.c.key == META_REQUESTS))
    if wanted:
        conn.execute(store_meta.insert().values(
            key=META_REQUESTS, value=json.dumps([r.to_wire() for r in wanted])))
