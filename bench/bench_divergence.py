"""Divergence check cost: digests by content against the previous (row id, stamp) digests.

Run: .venv/bin/python bench/bench_divergence.py [--people 10000] [--repeats 3]

A demo caseload of --people people (~17 rows a person) is written to an encrypted store, and
every row is given per-field stamps, as rows pulled back from the office have. Then, each the
median of --repeats runs:

- laptop: `sync.local.scope_digests` (every live row read typed, canonicalised and hashed)
  against the previous form (ids and stamps only), on the same store;
- office: the office's content digest of the same rows held as its JSON text, against the
  previous form.

The check runs only when one is due (after a first sync, then every 10th sync) and never while
pages are still coming, so this is a cost paid now and then, not by every round trip.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import bindparam, select, update

from sp_desktop.server.sync import _content_digest
from sp_desktop.services import demo
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.changes import wire_value
from sp_desktop.store.keyfile import Argon2Params
from sp_desktop.store.schema import LOCAL_ONLY_COLUMNS, SYNC_COLUMNS, TABLES_BY_NAME
from sp_desktop.sync import local
from sp_desktop.sync.divergence import legacy_digest
from sp_desktop.sync.protocol import TABLES

FAST_KEYS = Argon2Params(memory_kib=8 * 1024, iterations=1, lanes=1)


def _per_field_stamps(ws: Workspace) -> dict[str, list[tuple[str, str, str, str]]]:
    """Gives every row per-field stamps (as after a pull) and returns the office's form of the
    same rows: (row id, stamp, fields JSON, versions JSON) per table."""
    office: dict[str, list[tuple[str, str, str, str]]] = {}
    with ws.store.write() as conn:
        for name, table in TABLES_BY_NAME.items():
            if name not in TABLES:
                continue
            names = [str(c.name) for c in table.columns
                     if c.name not in SYNC_COLUMNS and c.name not in LOCAL_ONLY_COLUMNS]
            rows = conn.execute(select(table).where(table.c.deleted.is_(False))).mappings().all()
            changes: list[dict[str, Any]] = []
            held: list[tuple[str, str, str, str]] = []
            for row in rows:
                versions = dict.fromkeys(names, row["hlc"])
                fields = {n: wire_value(row[n]) for n in names}
                changes.append({"k_id": row["id"], "v": json.dumps(versions)})
                held.append((row["id"], row["hlc"], orjson.dumps(fields).decode(),
                             orjson.dumps(versions).decode()))
            if changes:
                conn.execute(update(table).where(table.c.id == bindparam("k_id"))
                             .values(versions=bindparam("v")), changes)
            office[str(name)] = held
    return office


def _median(run: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        ws, _key = Workspace.create(Path(scratch) / "store", "bench passphrase",
                                    adviser="bench", params=FAST_KEYS)
        try:
            demo.populate(ws, args.people, seed=7)
            office = _per_field_stamps(ws)
            rows = sum(len(held) for held in office.values())

            def laptop_content() -> None:
                with ws.store.read() as conn:
                    local.scope_digests(conn)

            def laptop_legacy() -> None:
                with ws.store.read() as conn:
                    for name, table in TABLES_BY_NAME.items():
                        if name in TABLES:
                            legacy_digest((str(r), str(h)) for r, h in conn.execute(
                                select(table.c.id, table.c.hlc).where(
                                    table.c.deleted.is_(False))))

            def office_content() -> None:
                for name, held in office.items():
                    _content_digest(name, held)

            def office_legacy() -> None:
                for held in office.values():
                    legacy_digest((r, h) for r, h, _f, _v in held)

            with ws.store.read() as conn:
                mine = local.scope_digests(conn)
            theirs = {name: _content_digest(name, held) for name, held in office.items()}
            agree = mine == theirs
            lc, ll = _median(laptop_content, args.repeats), _median(laptop_legacy, args.repeats)
            oc, ol = _median(office_content, args.repeats), _median(office_legacy, args.repeats)
        finally:
            ws.close()
    print(f"divergence check, {args.people:,} demo people ({rows:,} live rows); laptop and "
          f"office digests agree: {agree}")
    print(f"  laptop: content {lc * 1000:.0f} ms, ids and stamps {ll * 1000:.0f} ms "
          f"({lc / ll:.1f}x)")
    print(f"  office: content {oc * 1000:.0f} ms, ids and stamps {ol * 1000:.0f} ms "
          f"({oc / ol:.1f}x)")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
