"""Divergence check: per-table counts and digests of (row id, clock stamp), same on both sides.

Why (row id, hlc) and not (row id, server seq): every row carries its newest clock stamp on the
laptop and on the server alike, and a pulled row keeps the server's stamp exactly, so nothing new
has to be recorded locally (no per-row seq map in store_meta, no schema change). A row whose
stamp differs is a row whose content differs, which is exactly what the check must catch.

Only live rows count (tombstones are excluded): a laptop never stores a tombstone for a row it
never had, so counting them would report false mismatches. The check is only meaningful when
both sides describe the same moment: the laptop sends it with an empty outbox right after
pulling to the newest cursor, and the server answers "busy" (no verdict, ask again later) when
its scope holds a change after that cursor. A mismatching table is re-pulled from seq 0 by the
client (`sync.resync_tables`), which restores missing or stale rows without touching the outbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

CHECK_OK = "ok"
CHECK_MISMATCH = "mismatch"
CHECK_BUSY = "busy"  # the server's scope moved past the cursor: no verdict, try again later


def digest(pairs: Iterable[tuple[str, str]]) -> tuple[int, str]:
    """(count, sha256 hex) of (row id, stamp) pairs, independent of the order they come in."""
    ordered = sorted(pairs)
    h = hashlib.sha256()
    for row_id, stamp in ordered:
        h.update(f"{row_id}\x1f{stamp}\n".encode())
    return len(ordered), h.hexdigest()


EMPTY = digest([])[1]  # the digest of a table with no live rows
