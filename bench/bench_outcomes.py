"""The outcomes page on real volumes: 100,000 people and 400,000 questionnaires on PostgreSQL.

The office database is filled the way syncs leave it (a person with long-term conditions, a
referral and a visit each, four questionnaires: ONS4 at baseline and review for most,
health-service use at baseline and exit, a concern rated twice and a step with its progress)
with COPY; the outcome report tables catch up once (as after an upgrade); then a
real `sp-server` process serves the console on loopback and a signed-in service lead and a
commissioner time the whole outcomes page over HTTP, unfiltered and filtered to one practice.

Baseline in the same run, over the same rows: one plain aggregate (count and means of every
result's scores, grouped by measure and result) over the pairs table, the floor any report
over these answers pays. Each figure is the median of --runs runs with its spread (min-max).

    .venv/bin/python bench/bench_outcomes.py [--people 100000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import orjson
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).parent))
from bench_console import _copy_rows, _stats, page, sign_in, timed  # noqa: E402

from sp_desktop.server import migrations  # noqa: E402
from sp_desktop.server.console import outcome_lines  # noqa: E402
from sp_desktop.server.console.auth import ConsoleRole, add_user  # noqa: E402
from sp_desktop.server.db import make_engine, write_transaction  # noqa: E402
from sp_desktop.server.testing import (  # noqa: E402
    postgres_schema,
    postgres_unavailable,
    start_server,
)

TARGET_MS = 1000.0
PRACTICES = [f"Practice {n:02d}" for n in range(30)]
ONS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
USE = ("gp", "ae", "admissions", "outpatient")
CONDITIONS = ([], ["copd"], ["diabetes"], ["copd", "diabetes"], ["hypertension", "diabetes"])


def fill(engine: Engine, people: int, seed: int = 1) -> int:
    """`people` people in one team with 4 questionnaires each; returns the last seq."""
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    with write_transaction(engine) as conn:
        team_id = int(
            conn.execute(
                text(
                    "INSERT INTO teams (name, created_at) VALUES ('Big team', '2026-01-01') "
                    "RETURNING id"
                )
            ).scalar_one()
        )
    seq = 0
    batch: list[tuple[object, ...]] = []

    def add(table: str, row_id: str, person: str, fields: dict[str, object]) -> None:
        nonlocal seq
        seq += 1
        stamp = f"{1_700_000_000_000 + seq:015d}-0000-bench"
        batch.append(
            (table, row_id, person, team_id, orjson.dumps(fields).decode(), "{}", "f",
             stamp, "bench", stamp, seq)
        )

    for n in range(people):
        person = f"p{n:08d}"
        received = start + timedelta(days=rng.randrange(600))
        add("people", person, person, {
            "given_name": "Bench", "family_name": "Person", "gp_practice": rng.choice(PRACTICES),
            "date_of_birth": f"{rng.randrange(1930, 2000)}-06-15",
            "gender": rng.choice(["female", "male"]),
            "ethnicity": rng.choice(["white_british", "asian_pakistani", "black_caribbean"]),
            "conditions": orjson.dumps(rng.choice(CONDITIONS)).decode()})
        add("referrals", f"r{n:08d}", person, {
            "person_id": person, "source": rng.choice(["gp", "self", "pharmacist"]),
            "received_on": received.isoformat(),
            "status": rng.choices(["active", "new", "closed", "declined"], [6, 1, 2, 1])[0]})
        add("visits", f"v{n:08d}", person, {
            "person_id": person,
            "visit_date": (received + timedelta(days=rng.randrange(40))).isoformat()})
        before = {k: rng.randrange(11) for k in ONS}
        after = {k: min(10, max(0, v + rng.randrange(-2, 4))) for k, v in before.items()}
        use = {k: rng.randrange(6) for k in USE}
        later = {k: max(0, v - rng.randrange(3)) for k, v in use.items()}
        for key, measure, context, days, answers in (
            ("a0", "ons4", "baseline", 0, before),
            ("a1", "ons4", "review", 90, after),
            ("h0", "health_use", "baseline", 0, use),
            ("h1", "health_use", "exit", 180, later),
        ):
            add("answers", f"{key}{n:08d}", person, {
                "person_id": person, "measure": measure, "context": context,
                "taken_on": (received + timedelta(days=days)).isoformat(),
                "answers": orjson.dumps(answers).decode()})
        add("concerns", f"c{n:08d}", person, {
            "person_id": person, "domain": "money", "words": "bench", "severity": 5})
        for k, value in enumerate((rng.randrange(3, 11), rng.randrange(11))):
            add("concern_ratings", f"cr{k}{n:08d}", person, {
                "person_id": person, "concern_id": f"c{n:08d}", "value": value,
                "rated_on": (received + timedelta(days=60 * k)).isoformat()})
        add("steps", f"s{n:08d}", person, {"person_id": person, "words": "bench", "progress": 0})
        add("step_progress", f"sp{n:08d}", person, {
            "person_id": person, "step_id": f"s{n:08d}", "value": rng.randrange(11),
            "rated_on": (received + timedelta(days=30)).isoformat()})
        if len(batch) >= 50_000:
            _copy_rows(engine, batch)
            batch.clear()
    _copy_rows(engine, batch)
    with write_transaction(engine) as conn:
        conn.execute(text("UPDATE counters SET value = :seq WHERE name = 'seq'"), {"seq": seq})
    return seq


def plain_aggregate(engine: Engine) -> Callable[[], object]:
    query = text(
        "SELECT measure, result, count(*), avg(before), avg(after) FROM outcome_pairs "
        "GROUP BY measure, result"
    )

    def run() -> object:
        with engine.connect() as conn:
            return conn.execute(query).all()

    return run


def analyze(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    reason = postgres_unavailable()
    if reason:
        print(f"skipped: {reason}")
        return 1
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on "
          f"{os.cpu_count()} cores; {args.people:,} people, {4 * args.people:,} "
          f"questionnaires, {args.runs} runs each")
    with postgres_schema() as url, tempfile.TemporaryDirectory() as folder:
        engine = make_engine(url, pool_size=2)
        migrations.upgrade(engine)
        started = time.perf_counter()
        seq = fill(engine, args.people)
        print(f"filled {seq:,} rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        rebuilt = outcome_lines.catch_up(engine)  # as `sp-server outcomes build` does
        analyze(engine)
        print(f"first catch-up of the outcome tables: {rebuilt:,} people in "
              f"{time.perf_counter() - started:.1f} s (once, after an upgrade)")
        password = "a long console password for the bench"
        with write_transaction(engine) as conn:
            lead = add_user(conn, "Bench lead", ConsoleRole.LEAD, password, [])
            commissioner = add_user(conn, "Bench commissioner", ConsoleRole.COMMISSIONER,
                                    password, [])
        server = start_server(url, Path(folder), log_level="warning")
        try:
            as_lead = sign_in(server.url, "Bench lead", password, lead.secret)
            as_commissioner = sign_in(server.url, "Bench commissioner", password,
                                      commissioner.secret)
            results = {
                "outcomes page, lead (HTTP)": timed(
                    page(as_lead, "/console/outcomes", "Life satisfaction"), args.runs),
                "outcomes page, commissioner (HTTP)": timed(
                    page(as_commissioner, "/console/outcomes", "Life satisfaction"), args.runs),
                "outcomes page, one practice (HTTP)": timed(
                    page(as_lead, "/console/outcomes?practice=Practice+07", "Life satisfaction"),
                    args.runs),
                "outcomes page, two or more conditions": timed(
                    page(as_lead, "/console/outcomes?conditions=-two-or-more", "Concerns"),
                    args.runs),
            }
            baseline = timed(plain_aggregate(engine), args.runs)
        finally:
            server.stop()
            engine.dispose()
    print()
    for name, values in results.items():
        verdict = "ok" if statistics.median(values) < TARGET_MS else "MISSED"
        print(f"  {name:40} {_stats(values)}  target < {TARGET_MS:.0f} ms: {verdict}")
    print(f"  {'baseline: one plain aggregate, same rows':40} {_stats(baseline)}")
    page_ms = statistics.median(results["outcomes page, lead (HTTP)"])
    print(f"\n  the page costs {page_ms / statistics.median(baseline):.1f}x the plain aggregate")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
