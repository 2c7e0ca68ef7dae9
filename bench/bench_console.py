"""Office console pages on real volumes: 100,000 people and 200 laptops on PostgreSQL.

The office database is filled the way syncs leave it (people, referrals, visits and
follow-ups as rows in the generic `rows` table, 5 rows a person, one team) with PostgreSQL's
COPY, then a real `sp-server` process serves the console on loopback and a signed-in client
(password + TOTP) times whole pages over HTTP:

- the team page (per adviser: people open, new referrals waiting, due this week, overdue,
  last contact) and the teams page, after a first catch-up of the report table;
- the same team page straight after a sync of 250 changes arrived (the page brings the report
  table up to date first, so this includes that work);
- the laptops page with 200 laptops.

Baselines, measured in the same run on the same rows: a bare `count(*)` of the team's people
in the report table (the floor any page over these people pays), and the same per-adviser
counts computed the naive way, by reading each person's JSON in `rows` (what the page would
cost without the report table). Each figure is the median of --runs runs with its spread.

    .venv/bin/python bench/bench_console.py [--people 100000] [--devices 200] [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
import orjson
import pyotp
from sqlalchemy import Engine, text

from sp_desktop.server import migrations
from sp_desktop.server.console import reports
from sp_desktop.server.console.auth import ConsoleRole, add_user
from sp_desktop.server.db import make_engine, write_transaction
from sp_desktop.server.testing import postgres_schema, postgres_unavailable, start_server

TARGET_MS = 200.0
ADVISERS = 40
GIVEN = ["Amira", "Ben", "Chloe", "Dev", "Ewa", "Farid", "Grace", "Hamza", "Isla", "Jon"]
FAMILY = ["Adams", "Begum", "Clarke", "Dawson", "Evans", "Fofana", "Green", "Hughes", "Iqbal",
          "Jones", "Khan", "Lewis", "Morris", "Nowak", "Okafor", "Patel"]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _stats(values: list[float], unit: str = "ms") -> str:
    return (f"{statistics.median(values):7.1f} {unit} "
            f"({min(values):.1f}-{max(values):.1f}, n={len(values)})")


def _copy_rows(engine: Engine, lines: list[tuple[object, ...]]) -> None:
    """COPY rows into `rows` (table_name, row_id, person_id, team_id, fields, versions,
    deleted, hlc, origin_device, created_hlc, seq)."""
    buffer = io.StringIO()
    for line in lines:
        buffer.write("\t".join(
            "\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ")
            for v in line) + "\n")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(  # type: ignore[attr-defined]
                "COPY rows (table_name, row_id, person_id, team_id, fields, versions, deleted, "
                "hlc, origin_device, created_hlc, seq) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()


def fill(engine: Engine, people: int, device_count: int, seed: int = 1) -> tuple[int, int]:
    """One team of `people` people under 40 advisers, and `device_count` laptops; returns
    (team id, last seq)."""
    rng = random.Random(seed)
    today = date.today()
    with write_transaction(engine) as conn:
        team_id = int(conn.execute(text(
            "INSERT INTO teams (name, created_at) VALUES ('Big team', '2026-01-01') "
            "RETURNING id")).scalar_one())
        for n in range(ADVISERS):
            conn.execute(text(
                "INSERT INTO advisers (name, team_id, role, password_hash, active, created_at) "
                "VALUES (:name, :team, 'adviser', 'x', true, '2026-01-01')"),
                {"name": f"Adviser {n:02d}", "team": team_id})
        adviser_ids = list(conn.execute(text("SELECT id FROM advisers ORDER BY id")).scalars())
        conn.execute(text(
            "INSERT INTO devices (id, adviser_id, token_hash, label, created_at, last_seen_at, "
            "app_version, waiting) VALUES (:id, :adviser, :hash, :label, '2026-01-01', "
            ":seen, '0.1.0', :waiting)"),
            [{"id": f"device{n:06d}", "adviser": adviser_ids[n % len(adviser_ids)],
              "hash": secrets.token_hex(32), "label": f"Laptop {n}",
              "seen": f"2026-11-{1 + n % 28:02d}T10:00:00.000+00:00", "waiting": n % 7}
             for n in range(device_count)])
    seq = 0
    batch: list[tuple[object, ...]] = []
    scope: list[str] = []

    def add(table: str, row_id: str, person: str, fields: dict[str, object]) -> None:
        nonlocal seq
        seq += 1
        stamp = f"{1_700_000_000_000 + seq:015d}-0000-bench"
        batch.append((table, row_id, person, team_id, orjson.dumps(fields).decode(), "{}",
                      "f", stamp, "bench", stamp, seq))

    for n in range(people):
        person = f"p{n:08d}"
        scope.append(person)
        adviser = f"Adviser {n % ADVISERS:02d}"
        add("people", person, person, {
            "given_name": rng.choice(GIVEN), "family_name": rng.choice(FAMILY),
            "adviser": adviser, "team": "Big team", "date_of_birth": "1960-01-01",
            "nhs_number": None, "address": "1 High Street", "postcode": "S1 1AA"})
        status = rng.choices(["active", "new", "closed"], [8, 1, 1])[0]
        add("referrals", f"r{n:08d}", person, {
            "person_id": person, "source": "gp", "status": status,
            "received_on": (today - timedelta(days=rng.randrange(200))).isoformat()})
        for v in range(2):
            add("visits", f"v{n:08d}{v}", person, {
                "person_id": person, "place": "home", "status": "signed",
                "visit_date": (today - timedelta(days=rng.randrange(90))).isoformat()})
        add("follow_ups", f"f{n:08d}", person, {
            "person_id": person, "due_on": (today + timedelta(days=rng.randrange(-20, 20)))
            .isoformat(), "done_on": None if rng.random() < 0.5 else today.isoformat()})
        if len(batch) >= 50_000:
            _copy_rows(engine, batch)
            batch.clear()
    _copy_rows(engine, batch)
    with write_transaction(engine) as conn:
        for start in range(0, len(scope), 10_000):
            conn.execute(text("INSERT INTO person_scope (person_id, team_id) VALUES (:p, :t)"),
                         [{"p": p, "t": team_id} for p in scope[start:start + 10_000]])
        conn.execute(text("UPDATE counters SET value = :seq WHERE name = 'seq'"), {"seq": seq})
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return team_id, seq


def arrive(engine: Engine, team_id: int, seq: int, changes: int, people: int,
           rng: random.Random) -> int:
    """A sync's worth of changes to existing people (new visits), as a push stores them."""
    lines = []
    today = date.today().isoformat()
    for _ in range(changes):
        seq += 1
        person = f"p{rng.randrange(people):08d}"
        stamp = f"{1_800_000_000_000 + seq:015d}-0000-bench"
        lines.append(("visits", f"new{seq}", person, team_id, orjson.dumps(
            {"person_id": person, "place": "home", "status": "draft", "visit_date": today}
        ).decode(), "{}", "f", stamp, "bench", stamp, seq))
    _copy_rows(engine, lines)
    with write_transaction(engine) as conn:
        conn.execute(text("UPDATE counters SET value = :seq WHERE name = 'seq'"), {"seq": seq})
    return seq


def naive_team_counts(engine: Engine, team_id: int) -> Callable[[], object]:
    """The per-adviser counts read from each person's JSON rows (no report table)."""
    today = date.today().isoformat()
    week = (date.today() + timedelta(days=7)).isoformat()
    query = text("""
        WITH p AS (
          SELECT person_id, CAST(fields AS json) ->> 'adviser' AS adviser FROM rows
          WHERE table_name = 'people' AND team_id = :team AND NOT deleted),
        r AS (
          SELECT person_id, bool_or(CAST(fields AS json) ->> 'status' IN ('new', 'active'))
                   AS is_open,
                 bool_or(CAST(fields AS json) ->> 'status' = 'new') AS waiting
          FROM rows WHERE table_name = 'referrals' AND team_id = :team AND NOT deleted
          GROUP BY person_id),
        f AS (
          SELECT person_id, min(CAST(fields AS json) ->> 'due_on') AS next_due FROM rows
          WHERE table_name = 'follow_ups' AND team_id = :team AND NOT deleted
            AND CAST(fields AS json) ->> 'done_on' IS NULL GROUP BY person_id),
        v AS (
          SELECT person_id, max(CAST(fields AS json) ->> 'visit_date') AS last FROM rows
          WHERE table_name = 'visits' AND team_id = :team AND NOT deleted GROUP BY person_id)
        SELECT p.adviser, count(*) FILTER (WHERE r.is_open),
               count(*) FILTER (WHERE r.is_open AND r.waiting),
               count(*) FILTER (WHERE r.is_open AND f.next_due >= :today AND f.next_due < :week),
               count(*) FILTER (WHERE r.is_open AND f.next_due < :today), max(v.last)
        FROM p LEFT JOIN r USING (person_id) LEFT JOIN f USING (person_id)
               LEFT JOIN v USING (person_id)
        GROUP BY p.adviser""")

    def run() -> object:
        with engine.connect() as conn:
            return conn.execute(query, {"team": team_id, "today": today, "week": week}).all()

    return run


def floor_count(engine: Engine, team_id: int) -> Callable[[], object]:
    query = text("SELECT count(*) FROM console_people WHERE team_id = :team")

    def run() -> object:
        with engine.connect() as conn:
            return conn.execute(query, {"team": team_id}).scalar_one()

    return run


def timed(work: Callable[[], object], runs: int) -> list[float]:
    work()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def sign_in(base: str, name: str, password: str, secret: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
    page = client.get("/console/login")
    answer = client.post("/console/login", data={
        "csrf": CSRF.findall(page.text)[0], "name": name, "password": password})
    answer = client.post("/console/login/code", data={
        "csrf": CSRF.findall(answer.text)[0], "code": pyotp.TOTP(secret).now()})
    if "Sign out" not in answer.text:
        raise SystemExit("could not sign in to the console")
    return client


def page(client: httpx.Client, path: str, must: str) -> Callable[[], object]:
    def run() -> object:
        answer = client.get(path)
        if answer.status_code != 200 or must not in answer.text:
            raise SystemExit(f"{path} answered {answer.status_code}")
        return answer

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    reason = postgres_unavailable()
    if reason:
        print(f"skipped: {reason}")
        return 1
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on "
          f"{os.cpu_count()} cores; {args.people:,} people, {args.devices} laptops, "
          f"{args.runs} runs each")
    with postgres_schema() as url, tempfile.TemporaryDirectory() as folder:
        engine = make_engine(url, pool_size=2)
        migrations.upgrade(engine)
        started = time.perf_counter()
        team_id, seq = fill(engine, args.people, args.devices)
        print(f"filled {seq:,} rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        rebuilt = reports.catch_up(engine)
        print(f"first catch-up of the report table: {rebuilt:,} people in "
              f"{time.perf_counter() - started:.1f} s (once, after an upgrade)")
        password = "a long console password for the bench"
        with write_transaction(engine) as conn:
            user = add_user(conn, "Bench lead", ConsoleRole.LEAD, password, [])
        server = start_server(url, Path(folder), log_level="warning")
        try:
            client = sign_in(server.url, "Bench lead", password, user.secret)
            results = {
                "team page (HTTP)": timed(page(client, f"/console/teams/{team_id}",
                                               "Adviser 39"), args.runs),
                "teams page (HTTP)": timed(page(client, "/console/teams", "Big team"),
                                           args.runs),
                "laptops page (HTTP)": timed(
                    page(client, "/console/devices", f"Laptop {args.devices - 1}<"), args.runs),
                "people list, overdue (HTTP)": timed(page(
                    client, f"/console/teams/{team_id}/people?show=overdue", "Next page"),
                    args.runs),
            }
            rng = random.Random(9)
            team_page = page(client, f"/console/teams/{team_id}", "Adviser 39")
            catching, caught, itself = [], [], []
            for _ in range(args.runs):
                # As a sync leaves it: the rows, then the catch-up its answer starts.
                seq = arrive(engine, team_id, seq, 250, args.people, rng)
                started = time.perf_counter()
                reports.catch_up(engine, max_steps=2, if_free=True)
                catching.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                team_page()
                caught.append((time.perf_counter() - started) * 1000)
                # A page asked for before the sync's catch-up ran does the work itself.
                seq = arrive(engine, team_id, seq, 250, args.people, rng)
                started = time.perf_counter()
                team_page()
                itself.append((time.perf_counter() - started) * 1000)
            results["team page after a 250-change sync"] = caught
            results["... when it must catch up itself"] = itself
            extra = {"report catch-up of a 250-change sync": catching}
            baselines = {
                "floor: count(*) of the team's people": timed(floor_count(engine, team_id),
                                                             args.runs),
                "naive: the same counts from JSON rows": timed(
                    naive_team_counts(engine, team_id), args.runs),
            }
        finally:
            server.stop()
            engine.dispose()
    print()
    for name, values in results.items():
        verdict = "ok" if statistics.median(values) < TARGET_MS else "MISSED"
        print(f"  {name:40} {_stats(values)}  target < {TARGET_MS:.0f} ms: {verdict}")
    for name, values in {**extra, **baselines}.items():
        print(f"  {name:40} {_stats(values)}")
    naive = statistics.median(baselines["naive: the same counts from JSON rows"])
    team = statistics.median(results["team page (HTTP)"])
    print(f"\n  team page is {naive / team:.1f}x faster than the naive query alone")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
