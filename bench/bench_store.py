"""Store benchmark: the encrypted store against plain sqlite3 on the same workload, in one run.

    .venv/bin/python bench/bench_store.py [--people 10000]

Targets (issue 2): bulk work <= 1.3x plain SQLite; open <= 150 ms (key unwrap included);
listing 10,000 people <= 50 ms. Both sides use WAL and synchronous=FULL, the same schema
(migrations, triggers included) and exactly the same rows.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, event

from sp_desktop.domain.ids import new_id
from sp_desktop.domain.text import fold
from sp_desktop.services import demo
from sp_desktop.services.caseload import _CASELOAD_SQL
from sp_desktop.services.workspace import Workspace
from sp_desktop.store import migrations
from sp_desktop.store.schema import metadata

PASSPHRASE = "benchmark passphrase"
REPEATS = 3  # bulk inserts are timed three times each side; fsync times vary run to run


def _median_ms(run: Callable[[], object], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _plain_database(path: Path) -> sqlite3.Connection:
    """Plain SQLite with the project's schema, made by the same migrations."""
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _wal(conn: sqlite3.Connection, _record: object) -> None:
        conn.execute("PRAGMA journal_mode = WAL")

    migrations.upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON",
                   "temp_store = MEMORY"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    people = parser.parse_args().people
    work = Path(tempfile.mkdtemp(prefix="sp-bench-"))
    print(f"SP Desktop store benchmark: {people} people, workspace {work}\n")

    # --- bulk insert: generate first, then time only the writes; median of REPEATS runs ---------
    service_rows = [{**row, "id": new_id()} for row in demo.demo_services(200, random.Random(1))]
    service_ids = [row["id"] for row in service_rows]
    rng, batches = random.Random(2), []
    for start in range(0, people, 1000):
        generator = demo._Generator(rng, date.today(), service_ids)
        for _ in range(min(1000, people - start)):
            generator.person("T", "Bench")
        batches.append(generator.batch)

    def insert_ours(folder: Path) -> float:
        ws, _ = Workspace.create(folder, PASSPHRASE, adviser="Bench", team="T")
        with ws.write() as conn:
            ws.changes.insert_many(conn, demo.services, service_rows, [None] * len(service_rows),
                                   queue=False)
        started = time.perf_counter()
        for batch in batches:
            demo._write(ws, batch)
        elapsed = time.perf_counter() - started
        ws.close()
        return elapsed

    ours_insert = statistics.median(insert_ours(work / f"store{n}") for n in range(REPEATS))
    store = work / f"store{REPEATS - 1}"

    # caseload_summary is filled by triggers on both sides; store_meta holds no workload rows.
    tables = [t for t in metadata.sorted_tables if t.name not in ("caseload_summary", "store_meta")]
    ws = Workspace.open(store, PASSPHRASE)
    with ws.store.read() as conn:
        contents = {t.name: conn.execute(t.select()).all() for t in tables}
    ws.close()
    total_rows = sum(len(rows) for rows in contents.values())

    def insert_plain(path: Path) -> float:
        plain = _plain_database(path)
        started = time.perf_counter()
        for table in tables:
            rows = contents[table.name]
            if not rows:
                continue
            columns = [c.name for c in table.columns]
            sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})")
            chunk = max(1, len(rows) // len(batches))
            for i in range(0, len(rows), chunk):
                plain.execute("BEGIN IMMEDIATE")
                plain.executemany(sql, [tuple(str(v) if isinstance(v, date) else v for v in r)
                                        for r in rows[i:i + chunk]])
                plain.execute("COMMIT")
        elapsed = time.perf_counter() - started
        plain.close()
        return elapsed

    plain_insert = statistics.median(insert_plain(work / f"plain{n}.db") for n in range(REPEATS))
    plain = sqlite3.connect(work / f"plain{REPEATS - 1}.db")

    # --- open (Argon2id unwrap + keyed connection + schema check) vs plain connect ------------
    opened: list[Workspace] = []

    def open_ours() -> None:
        opened.append(Workspace.open(store, PASSPHRASE))
        opened[-1].caseload.rows(frozenset())

    def open_plain() -> None:
        conn = sqlite3.connect(work / f"plain{REPEATS - 1}.db")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()

    ours_open = []
    for _ in range(5):
        start = time.perf_counter()
        open_ours()
        ours_open.append((time.perf_counter() - start) * 1000)
        opened.pop().close()
    ours_open_ms = statistics.median(ours_open)
    plain_open_ms = _median_ms(open_plain)

    # --- list the caseload and search by name ---------------------------------------------------
    ws = Workspace.open(store, PASSPHRASE)
    ours_list = _median_ms(ws.caseload.rows)
    sql = _CASELOAD_SQL.format(where="")
    plain_list = _median_ms(lambda: plain.execute(sql).fetchall())
    rows = ws.caseload.rows()
    query = fold("zoe")
    ours_filter = _median_ms(lambda: [r for r in rows if r.matches(query)], repeat=21)
    ours_search = _median_ms(lambda: ws.caseload.search("zoe"))
    plain_search = _median_ms(lambda: plain.execute(
        sql.replace("ORDER BY", "AND p.search_key LIKE ? ORDER BY"), ("%zoe%",)).fetchall())
    ws.close()
    plain.close()

    print(f"{'workload':44} {'SP Desktop':>11} {'plain sqlite3':>14} {'ratio':>7}  target")
    lines = [
        (f"insert {people} people with histories ({total_rows} rows)", ours_insert * 1000,
         plain_insert * 1000, "<= 1.3x"),
        ("open the store (Argon2id unwrap included)", ours_open_ms, plain_open_ms, "<= 150 ms"),
        (f"list the caseload ({len(rows)} people)", ours_list, plain_list, "<= 50 ms"),
        ("search by name, in memory (each keystroke)", ours_filter, plain_search, ""),
        ("search by name, fresh from the store", ours_search, plain_search, ""),
    ]
    for name, ours, base, target in lines:
        print(f"{name:44} {ours:9.1f}ms {base:12.1f}ms {ours / base:6.2f}x  {target}")


if __name__ == "__main__":
    main()
