"""Sync benchmarks on loopback: a day's work, a first sync of a real-sized caseload, and the
office's ingest rate against a validate-only ceiling measured in the same run.

Run: .venv/bin/python bench/bench_sync.py [--people 10000] [--runs 5] [--database-url ...]

- A day's work: 20 people seen (220 changes) pushed and pulled by the app's own SyncClient.
  Target <= 250 ms.
- First sync: an adviser's laptop holding --people demo people (the demo generator's whole
  journeys, ~17 rows a person: referrals, visits, concerns and ratings, steps, assessments,
  prescriptions, follow-ups) uploads them through the app's SyncClient, exactly as a laptop
  does; then fresh laptops of the same team each make their first sync and receive all of
  it. Targets: <= 10 s at 10,000 people (<= 60 s at 50,000), growing linearly (run it at two
  sizes to see the growth), and the uploading laptop gets none of its own rows back.
- Ingest: separate client processes (never threads under one GIL) push 250-op batches, as
  the app's batches are, each process its own registered device, against (a) the real sync
  endpoint and (b) a ceiling served by a process with the same worker count: the same auth
  lookup, the same gzip body, the same reading, protocol check, typed validation and per-op
  rule checks as the real endpoint (the office's own functions), then an answer of acks
  without storing anything. The ratio is what storing costs. Target ingest >= 0.5x ceiling.
  Each client process makes its fresh bodies before the clock starts; neither side runs dry
  (the ceiling, which stores nothing, sends its bodies again if it gets through them all).

Each figure is the median of --runs runs with its spread (min-max); the two ingest endpoints
alternate round by round so machine load falls on both alike.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response  # module level: FastAPI reads the annotations

from sp_desktop.domain.choices import ReferralSource
from sp_desktop.domain.hlc import HybridClock
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.wellbeing import AssessmentContext, Ons4Scores
from sp_desktop.server.testing import RunningServer, enrol, free_port, start_server
from sp_desktop.services import demo
from sp_desktop.services.resources import conversation_guide
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params
from sp_desktop.sync.client import SyncClient, register_device, sync_status
from sp_desktop.sync.protocol import PROTOCOL_VERSION, SYNC_PATH

FAST_KEYS = Argon2Params(memory_kib=8 * 1024, iterations=1, lanes=1)  # the KDF is not measured
BATCH_OPS = 250
CEILING_PATH = "/ceiling"
BODY_RATE = 150  # 250-op bodies made per client and second of a round


def ceiling_app() -> Any:
    """The validate-only ceiling: everything the sync endpoint does before it stores anything.

    Built from the office's own pieces, so the two cannot drift apart: `_device` (auth),
    `_read_json` (size limit, gunzip, JSON), `_protocol`, `SyncIn` (typed validation) and the
    per-op `_refusal` rules; answered with acks through the same `_json` (gzip when large)."""
    from datetime import UTC, datetime

    from starlette.concurrency import run_in_threadpool

    from sp_desktop.domain.hlc import wall_now_ms
    from sp_desktop.domain.rows import office_today
    from sp_desktop.server import app as office
    from sp_desktop.server import sync as office_sync
    from sp_desktop.server.db import make_engine
    from sp_desktop.server.models import SyncIn
    from sp_desktop.sync.protocol import MAX_BODY_BYTES, OLDEST_PUSH_VERSION

    engine = make_engine(os.environ["SP_SERVER_DATABASE_URL"])
    settings = office.Settings()
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(office.ApiError)
    async def refused(request: Request, exc: office.ApiError) -> Response:
        return office._json(request, {"code": exc.code.value, "detail": exc.detail}, exc.status)

    @app.post(CEILING_PATH)
    async def ceiling(request: Request) -> Response:
        ctx = await office._device(engine, request, settings, hand_in=True)
        body = await office._read_json(request, MAX_BODY_BYTES)
        office._protocol(body, OLDEST_PUSH_VERSION)
        wanted = SyncIn.model_validate(body).to_request()

        def check() -> list[dict[str, Any]]:
            now_ms, today = wall_now_ms(), office_today(datetime.now(UTC).date())
            acks = []
            for op in wanted.ops:
                refusal = office_sync._refusal(ctx, op, now_ms, today)
                acks.append(office_sync._rejected(op.op_id, refusal) if refusal else
                            {"op": op.op_id, "status": "applied"})
            return acks

        acks = await run_in_threadpool(check)
        return office._json(request, {"cursor": wanted.cursor, "acks": acks, "changes": []})

    return app


def _laptop(server: RunningServer, folder: Path, team: str) -> Workspace:
    name = f"bench_{new_id()[-8:]}"
    server.add_adviser(name, team, "bench password 1")
    ws, _ = Workspace.create(folder / name, "bench passphrase", adviser=name, params=FAST_KEYS)
    register_device(ws.store, server.url, name, "bench password 1")
    return ws


def _stats(values: list[float], unit: str) -> str:
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}-{max(values):.2f})"


def days_work(server: RunningServer, folder: Path, team: str, runs: int) -> None:
    domain = conversation_guide().domains[0].key
    today = date(2026, 3, 2)
    times, waiting, trips = [], 0, 0
    for _ in range(runs):
        ws = _laptop(server, folder, team)
        with SyncClient(ws.store, clock=ws.changes.clock) as client:
            client.sync_once()
        for n in range(20):
            person = ws.people.create(given_name=f"Person {n}", family_name="Day",
                                      date_of_birth=date(1940, 1, 1) + timedelta(days=n),
                                      address=f"{n} High Street").id
            ws.people.record_referral(person, source=ReferralSource.GP, received_on=today,
                                      reason="Feeling isolated since moving")
            # Consent first, as the office's rules now ask before any note is kept.
            ws.consent.record(person, "given", method="in_person", recording=True,
                              share_gp=True, share_services=True)
            visit = ws.visits.start(person, today).id
            ws.visits.add_concern(visit, domain, "Not seeing anyone most days", 7)
            ws.visits.add_step(person, "Phone the allotment society", visit_id=visit, on=today)
            ws.wellbeing.record(person, Ons4Scores(4, 5, 4, 6), on=today,
                                context=AssessmentContext.BASELINE)
            ws.people.update(person, phone=f"0113 496 {n:04d}")
        waiting = sync_status(ws.store).waiting
        with SyncClient(ws.store, clock=ws.changes.clock) as client:
            started = time.perf_counter()
            result = client.sync_once()
            times.append((time.perf_counter() - started) * 1000)
            trips = result.round_trips
        ws.close()
    median = statistics.median(times)
    print(f"day's work: {waiting} changes for 20 people pushed and pulled, {trips} round "
          f"trip(s): {_stats(times, 'ms')}  target <= 250 ms: "
          f"{'ok' if median <= 250 else 'MISSED'}")


def first_sync(server: RunningServer, folder: Path, team: str, people: int, runs: int) -> None:
    seeder = _laptop(server, folder, team)
    started = time.perf_counter()
    demo.populate(seeder, people, seed=7)
    made = time.perf_counter() - started
    waiting = sync_status(seeder.store).waiting
    with SyncClient(seeder.store, clock=seeder.changes.clock) as client:
        started = time.perf_counter()
        result = client.sync_once()
        upload = time.perf_counter() - started
    print(f"first sync, {people:,} demo people ({waiting:,} rows, "
          f"{waiting / people:.1f} a person; store made in {made:.0f} s)")
    print(f"  the laptop holding them uploads: {upload:.1f} s, {result.round_trips} round trips, "
          f"{result.pushed:,} pushed, {result.pulled:,} of its own rows sent back to it "
          f"(target 0)")
    seeder.close()
    print(f"  then the office caught its console report tables up in {_settle(server):.1f} s")
    times, pulled, trips = [], 0, 0
    for _ in range(runs):
        ws = _laptop(server, folder, team)
        with SyncClient(ws.store, clock=ws.changes.clock) as client:
            started = time.perf_counter()
            result = client.sync_once()
            times.append(time.perf_counter() - started)
        pulled, trips = result.pulled, result.round_trips
        ws.close()
    median = statistics.median(times)
    target = 10 * max(1.0, people / 10_000) if people <= 10_000 else 60 * people / 50_000
    print(f"  a new laptop of the team receives {pulled:,} rows in {trips} round trips: "
          f"{_stats(times, 's')}, {median / pulled * 1e6:.0f} us a row  target <= "
          f"{target:.0f} s: {'ok' if median <= target else 'MISSED'}")


def _client(url: str, path: str, headers: dict[str, str], device_id: str, count: int,
            cycle: bool, seconds: float, ready: Any, go: Any, out: Any) -> None:
    """One adviser's laptop in its own process: makes its bodies, says it is ready, then on
    the word posts them back to back for `seconds`."""
    try:
        bodies = _bodies(device_id, count)
        ready.put(True)
        go.wait()
        out.put(_post_all(url, path, headers, bodies, cycle, seconds))
    except Exception as exc:  # the parent must hear back either way, or it waits for ever
        ready.put(False)
        out.put(([], 1, False, f"{type(exc).__name__}: {exc}"))


def _post_all(url: str, path: str, headers: dict[str, str], bodies: list[bytes], cycle: bool,
              seconds: float) -> tuple[list[float], int, bool, str]:
    """Posts until the time is up. `cycle`: start the bodies again when they run out (the
    ceiling stores nothing, so a body sent again is exactly the same work); otherwise running
    out ends the round early and is reported (the office would answer a replay cheaply)."""
    latencies: list[float] = []
    errors = 0
    first_error = ""
    ran_out = False
    send = {**headers, "Content-Type": "application/json", "Content-Encoding": "gzip",
            "Accept-Encoding": "gzip"}
    with httpx.Client(base_url=url, headers=send, timeout=120) as http:
        deadline = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < deadline:
            if n == len(bodies):
                if not cycle:
                    ran_out = True
                    break
                n = 0
            began = time.perf_counter()
            answer = http.post(path, content=bodies[n])
            latencies.append(time.perf_counter() - began)
            n += 1
            if answer.status_code != 200:
                errors += 1
                first_error = first_error or f"HTTP {answer.status_code}: {answer.text[:300]}"
    return latencies, errors, ran_out, first_error


def _bodies(device_id: str, count: int) -> list[bytes]:
    """Fresh 250-op batches of new demo-like people (no op repeats, so none is a replay)."""
    import gzip

    import orjson

    clock = HybridClock(device_id)
    out = []
    for _ in range(count):
        ops = _person_ops(device_id, clock, BATCH_OPS // 5 + 1)[:BATCH_OPS]
        body = {"protocol": PROTOCOL_VERSION, "cursor": 0, "ops": ops, "pull": False}
        out.append(gzip.compress(orjson.dumps(body), compresslevel=5))
    return out


def _person_ops(device: str, clock: HybridClock, count: int) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    for n in range(count):
        person = new_id()
        made = [
            ("people", person, "upsert", {
                "given_name": f"Given{n}", "family_name": "Family", "preferred_name": None,
                "date_of_birth": "1941-02-03", "nhs_number": None, "gender": "female",
                "ethnicity": None, "gp_practice": "Valley Surgery", "address": f"{n} Long Road",
                "postcode": "LS1 1AA", "phone": "0113 496 0000", "email": "",
                "preferred_contact": "phone", "carer_of_id": None, "large_print": False,
                "interpreter_language": None, "hearing_needs": None, "sight_needs": None,
                "team": "", "adviser": "bench"}),
            ("referrals", new_id(), "upsert", {
                "person_id": person, "source": "gp", "referrer_name": "Dr Who",
                "referrer_organisation": "Valley Surgery", "reason": "Lonely since bereavement",
                "received_on": "2026-01-05", "consent": "given", "consent_on": "2026-01-06",
                "status": "active"}),
            ("follow_ups", new_id(), "upsert", {
                "person_id": person, "prescription_id": None, "due_on": "2026-01-12",
                "kind": "first_contact", "done_on": None, "notes": ""}),
            ("assessments", new_id(), "append", {
                "person_id": person, "assessed_on": "2026-01-12", "context": "baseline",
                "life_satisfaction": 4, "worthwhile": 5, "happiness": 4, "anxiety": 6}),
            ("follow_ups", new_id(), "upsert", {
                "person_id": person, "prescription_id": None, "due_on": "2026-02-12",
                "kind": "review", "done_on": None, "notes": "Ring first"}),
        ]
        ops.extend({"op": new_id(), "table": table, "row": row, "person": person, "kind": kind,
                    "fields": fields, "base": {}, "hlc": str(clock.now())}
                   for table, row, kind, fields in made)
    return ops


def _round(url: str, path: str, devices: list[Any], seconds: float, per_client: int,
           cycle: bool) -> tuple[float, float, int, bool]:
    """One timed round: every client process makes its own bodies first (in parallel, before
    the clock starts), then all start together."""
    ctx = multiprocessing.get_context("spawn")
    queue, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_client, args=(url, path, d.headers, d.device_id, per_client,
                                               cycle, seconds, ready, go, queue))
             for d in devices]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=600)
    go.set()
    results = [queue.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    for result in results:
        if result[3]:
            raise SystemExit(f"a client failed: {result[3]}")
    latencies = [x for r in results for x in r[0]]
    errors = sum(r[1] for r in results)
    ran_out = any(r[2] for r in results)
    return len(latencies) * BATCH_OPS / seconds, statistics.median(latencies) * 1000, errors, \
        ran_out


def _settle(server: RunningServer) -> float:
    """Waits until the office has caught its console report tables up with every row stored
    (it does once pushes pause), so that work never falls into the next round; seconds."""
    from sqlalchemy import select

    from sp_desktop.server.db import CONSOLE_SEQ_COUNTER, SEQ_COUNTER, counters, make_engine

    engine = make_engine(server.database_url, pool_size=1)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < 60:  # a server that never catches up
            with engine.connect() as conn:
                held = dict(conn.execute(select(counters.c.name, counters.c.value)).all())
            if held.get(CONSOLE_SEQ_COUNTER, 0) >= held.get(SEQ_COUNTER, 0):
                break
            time.sleep(0.2)
    finally:
        engine.dispose()
    return time.perf_counter() - started


def ingest(server: RunningServer, team: str, clients: int, seconds: float, workers: int,
           runs: int) -> None:
    port = free_port()
    env = {**os.environ, "SP_SERVER_DATABASE_URL": server.database_url}
    ceiling = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench_sync:ceiling_app", "--factory", "--app-dir",
         str(Path(__file__).parent), "--port", str(port), "--log-level", "warning",
         "--workers", str(workers)],
        stdout=subprocess.DEVNULL, env=env)
    ceiling_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            if ceiling.poll() is not None:
                raise SystemExit("the ceiling server did not start")
            try:
                httpx.post(ceiling_url + CEILING_PATH, content=b"{}")
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        rates: dict[str, list[float]] = {"ingest": [], "ceiling": []}
        latency: dict[str, list[float]] = {"ingest": [], "ceiling": []}
        errors = 0
        ran_out = False
        settling: list[float] = []
        for n in range(runs):
            order = [("ingest", server.url, SYNC_PATH), ("ceiling", ceiling_url, CEILING_PATH)]
            for name, url, path in order if n % 2 == 0 else order[::-1]:
                devices = [enrol(server, team=team, new_team=False) for _ in range(clients)]
                # Fresh bodies for up to BODY_RATE batches a second per client (far beyond
                # either side); only the ceiling may send one again (see `_post_all`).
                rate, ms, errs, out = _round(url, path, devices, seconds,
                                             int(seconds * BODY_RATE) + 20, name == "ceiling")
                rates[name].append(rate)
                if name == "ingest":
                    settling.append(_settle(server))
                latency[name].append(ms)
                errors += errs
                ran_out |= out
    finally:
        ceiling.terminate()
        ceiling.wait(10)
    problems = f"; errors: {errors}" if errors else ""
    if ran_out:
        problems += " (an ingest client ran out of bodies: raise BODY_RATE)"
    print(f"ingest: {clients} client processes, {BATCH_OPS}-op gzip batches, {seconds:.0f} s "
          f"rounds, {workers} server worker(s) each side{problems}")
    for name, words in (("ingest", "real sync endpoint (stores)"),
                        ("ceiling", "validate-only ceiling")):
        print(f"  {words:30} {_stats(rates[name], 'ops/s')}, median latency "
              f"{statistics.median(latency[name]):.0f} ms")
    print(f"  then the office caught its console report tables up (outside the rounds): "
          f"{_stats(settling, 's')} after each ingest round")
    ratio = statistics.median(rates["ingest"]) / statistics.median(rates["ceiling"])
    print(f"  ratio ingest/ceiling: {ratio:.2f}  target >= 0.5: "
          f"{'ok' if ratio >= 0.5 else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--first-sync-runs", type=int, help="default: --runs")
    parser.add_argument("--clients", type=int, default=2, help="client processes for ingest")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--skip", action="append", default=[],
                        choices=["day", "first", "ingest"])
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        url = args.database_url or f"sqlite+pysqlite:///{folder / 'bench.db'}"
        server = start_server(url, folder / "server", log_level="warning", workers=args.workers)
        print(f"server: {url.split('://')[0]}, {args.workers} worker(s), loopback")
        try:
            if "day" not in args.skip:
                server.add_team("day")
                days_work(server, folder, "day", args.runs)
            if "first" not in args.skip:
                server.add_team("big")
                first_sync(server, folder, "big", args.people,
                           args.first_sync_runs or args.runs)
            if "ingest" not in args.skip:
                server.add_team("load")
                ingest(server, "load", args.clients, args.seconds, args.workers, args.runs)
        finally:
            server.stop()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
