"""Store benchmark: the encrypted store against the same store unencrypted, one switch apart.

    .venv/bin/python bench/bench_store.py [--people 10000] [--repeats 5]

Both sides run exactly the same code: `Workspace.create`, the demo's bulk writer, `Store.open`,
the caseload service, the person overview. The only difference is one switch: keyed or not. The
unkeyed side connects through the same `sqlcipher3` driver with the key step replaced by
`PRAGMA page_size` (the same page size the keyed store uses); every other statement of
`_keyed_connection` runs unchanged, so both sides use WAL, `synchronous=FULL`, the same cache
size, the same pool, the same number of commits and the same rows (same seed).

Opening differs by one step that only an encrypted file has: the check of every page's MAC
made at unlock (`check_pages`), skipped on the unkeyed side; "open" shows what it costs.

Reads are measured warm and also straight after a write: in WAL mode a write by the writer
connection makes every reader drop its page cache, and an encrypted page costs a decryption to
read again. That is what opening a person pays after its "viewed" audit write.

Targets (issue 2): bulk work <= 1.3x unencrypted; listing 10,000 people <= 50 ms.
Each figure is the median of --repeats runs, with min-max spread; sides alternate run by run so
machine load falls on both alike.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import tempfile
import time
import types
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import select, text

from sp_desktop.services import demo
from sp_desktop.services.timeline import person_overview
from sp_desktop.services.workspace import Workspace
from sp_desktop.store import check, database
from sp_desktop.store.keyfile import NEW_STORE_PAGE_SIZE, Argon2Params
from sp_desktop.store.schema import people

PASSPHRASE = "benchmark passphrase heron"
# The KDF is not what this compares (it is the same on both sides, and bench_ui times it).
FAST_KEYS = Argon2Params(memory_kib=8192, iterations=1, lanes=1)


class _UnkeyedConnection(sqlcipher.Connection):  # type: ignore[misc]
    """The driver's own connection with the key step swapped for the same page size."""

    def set_key(self, _key: object) -> None:
        self.execute(f"PRAGMA page_size = {NEW_STORE_PAGE_SIZE}")


class _UnkeyedDriver(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        return getattr(sqlcipher, name)

    @staticmethod
    def connect(*args: Any, **kwargs: Any) -> sqlcipher.Connection:
        return sqlcipher.connect(*args, factory=_UnkeyedConnection, **kwargs)


@contextlib.contextmanager
def keyed(on: bool) -> Iterator[None]:
    """The one switch: with `on` False the store module connects without a key."""
    if on:
        yield
        return
    original, original_pages = database.sqlcipher, check._check_pages
    database.sqlcipher = _UnkeyedDriver("sqlcipher_unkeyed")  # type: ignore[assignment]
    # An unkeyed file has no page MACs to verify: the cipher check at unlock has nothing to
    # read, so that one step is skipped (it is counted in "open" on the keyed side only).
    check._check_pages = lambda _connect, report: report.add(True, "no cipher pages")
    try:
        yield
    finally:
        database.sqlcipher, check._check_pages = original, original_pages


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _batches(people_count: int) -> tuple[list[dict[str, Any]], list[demo._Batch]]:
    """The same rows for both sides, generated before anything is timed."""
    rng = random.Random(2)
    service_rows = demo.demo_services(200, rng)
    ids = [f"svc-{n:04d}" for n in range(len(service_rows))]
    for row, sid in zip(service_rows, ids, strict=True):
        row["id"] = sid
    batches = []
    for start in range(0, people_count, 1000):
        generator = demo._Generator(rng, date.today(), ids, signer="Bench")
        for _ in range(min(1000, people_count - start)):
            generator.person("T", "Bench")
        batches.append(generator.batch)
    return service_rows, batches


def _copy(batch: demo._Batch) -> demo._Batch:
    return demo._Batch({name: [dict(r) for r in rows] for name, rows in batch.rows.items()})


def run_once(folder: Path, on: bool, services: list[dict[str, Any]],
             batches: list[demo._Batch]) -> dict[str, float]:
    """Every workload once, on a fresh store, keyed or not. Returns ms per workload."""
    out: dict[str, float] = {}
    with keyed(on):
        ws, _ = Workspace.create(folder, PASSPHRASE, adviser="Bench", team="T", params=FAST_KEYS)
        with ws.write() as conn:
            ws.changes.insert_many(conn, demo.services, [dict(s) for s in services],
                                   [None] * len(services), queue=False)
        copies = [_copy(b) for b in batches]
        start = time.perf_counter()
        for batch in copies:
            demo._write(ws, batch)
        out["insert"] = _ms(start)
        ids = [r["id"] for b in batches for r in b.rows["people"]]
        ws.close()

        start = time.perf_counter()
        ws = Workspace.open(folder, PASSPHRASE)
        out["open"] = _ms(start)
        start = time.perf_counter()
        ws.caseload.rows()
        out["list cold"] = _ms(start)
        chosen = ids[len(ids) // 3]
        picks = [ids[(len(ids) * k) // 11] for k in range(1, 10)]  # nine different people

        def small_write() -> None:  # what opening a person writes: one audit event
            with ws.write() as conn:
                ws.audit(conn, "viewed", "person", chosen, chosen)

        def each(work: Callable[[str], object], *, after_write: bool) -> float:
            """Median over nine people, each read after a write when asked."""
            times = []
            for pid in picks:
                if after_write:
                    small_write()
                start = time.perf_counter()
                work(pid)
                times.append(_ms(start))
            return statistics.median(times)

        def carers(pid: str) -> None:
            with ws.store.read() as conn:
                conn.execute(select(people.c.id).where(people.c.carer_of_id == pid)).all()

        out["list warm"] = each(lambda _p: ws.caseload.rows(), after_write=False)
        out["list after write"] = each(lambda _p: ws.caseload.rows(), after_write=True)
        out["person warm"] = each(lambda p: person_overview(ws, p, audited=False),
                                  after_write=False)
        out["person after write"] = each(lambda p: person_overview(ws, p, audited=False),
                                         after_write=True)
        out["carers lookup after write"] = each(carers, after_write=True)
        out["view (read + audit write)"] = each(ws.people.view, after_write=False)
        with ws.store.read() as conn:
            out["_page_size"] = float(conn.execute(text("PRAGMA page_size")).scalar_one())
            out["_cache_size"] = float(conn.execute(text("PRAGMA cache_size")).scalar_one())
            out["_sync"] = float(conn.execute(text("PRAGMA synchronous")).scalar_one())
            out["_journal"] = 1 if conn.execute(
                text("PRAGMA journal_mode")).scalar_one() == "wal" else 0
        ws.close()
    on_disk = database.database_path(folder).read_bytes()[:16]
    out["_plain_header"] = 1.0 if on_disk.startswith(b"SQLite format 3") else 0.0
    return out


def _stats(values: list[float]) -> str:
    return f"{statistics.median(values):9.1f} ({min(values):.0f}-{max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    services, batches = _batches(args.people)
    total_rows = sum(len(rows) for b in batches for rows in b.rows.values())
    print(f"store benchmark: {args.people:,} people ({total_rows:,} rows), {args.repeats} runs "
          f"each side, load average {os.getloadavg()[0]:.2f}")
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="sp-bench-") as scratch:
        for n in range(args.repeats):
            for on in ((True, False) if n % 2 == 0 else (False, True)):
                folder = Path(scratch) / f"{'keyed' if on else 'plain'}{n}"
                results[on].append(run_once(folder, on, services, batches))
    keyed_runs, plain_runs = results[True], results[False]
    for label, runs in (("keyed", keyed_runs), ("unkeyed", plain_runs)):
        first = runs[0]
        print(f"  {label:8} page_size {first['_page_size']:.0f}, cache_size "
              f"{first['_cache_size']:.0f}, synchronous {first['_sync']:.0f} (2 = FULL), WAL "
              f"{'yes' if first['_journal'] else 'no'}, file readable as plain SQLite: "
              f"{'yes' if first['_plain_header'] else 'no'}")
    print(f"\n  {'workload':34} {'keyed ms (spread)':>22} {'unkeyed ms (spread)':>22} "
          f"{'ratio':>6}")
    for name in keyed_runs[0]:
        if name.startswith("_"):
            continue
        ours = [r[name] for r in keyed_runs]
        base = [r[name] for r in plain_runs]
        ratio = statistics.median(ours) / statistics.median(base)
        print(f"  {name:34} {_stats(ours):>22} {_stats(base):>22} {ratio:5.2f}x")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f}")
    print("  targets: insert <= 1.3x; list warm <= 50 ms")


if __name__ == "__main__":
    main()
