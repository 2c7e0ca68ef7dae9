"""Sync benchmarks on loopback: a day's work, a first sync of a large caseload, and server
throughput under concurrent advisers against a bare FastAPI endpoint measured in the same run.

Run: .venv/bin/python bench/bench_sync.py [--database-url postgresql+psycopg://...] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from sp_desktop.domain.choices import ReferralSource
from sp_desktop.domain.hlc import HybridClock
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.wellbeing import AssessmentContext, Ons4Scores
from sp_desktop.server.testing import RunningServer, enrol, free_port, start_server
from sp_desktop.services.resources import conversation_guide
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params
from sp_desktop.sync.client import SyncClient, register_device, sync_status
from sp_desktop.sync.protocol import PROTOCOL_VERSION, SYNC_PATH

FAST_KEYS = Argon2Params(memory_kib=8 * 1024, iterations=1, lanes=1)  # the KDF is not measured


def bare_app() -> Any:
    """The same framework with nothing behind it: reads a JSON body, answers a small JSON."""
    import orjson
    from fastapi import FastAPI, Request, Response

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/bare")
    async def bare(request: Request) -> Response:
        body = orjson.loads(await request.body())
        return Response(orjson.dumps({"ok": True, "ops": len(body.get("ops", []))}),
                        media_type="application/json")

    return app


def _laptop(server: RunningServer, folder: Path, team: str) -> Workspace:
    name = f"bench_{new_id()[-8:]}"
    server.add_adviser(name, team, "bench password 1")
    ws, _ = Workspace.create(folder / name, "bench passphrase", adviser=name, params=FAST_KEYS)
    register_device(ws.store, server.url, name, "bench password 1")
    return ws


def days_work(server: RunningServer, folder: Path, team: str) -> None:
    ws = _laptop(server, folder, team)
    with SyncClient(ws.store, clock=ws.changes.clock) as client:
        client.sync_once()
    domain = conversation_guide().domains[0].key
    today = date(2026, 3, 2)
    for n in range(20):
        person = ws.people.create(given_name=f"Person {n}", family_name="Day",
                                  date_of_birth=date(1940, 1, 1) + timedelta(days=n),
                                  address=f"{n} High Street").id
        ws.people.record_referral(person, source=ReferralSource.GP, received_on=today,
                                  reason="Feeling isolated since moving")
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
        took = time.perf_counter() - started
    print(f"day's work: {waiting} changes for 20 people pushed and pulled in "
          f"{result.round_trips} round trip(s): {took * 1000:.0f} ms "
          f"(target <= 1000 ms) {'OK' if took <= 1.0 and result.round_trips == 1 else 'MISSED'}")
    ws.close()


def _person_ops(device: str, clock: HybridClock, count: int) -> list[dict[str, Any]]:
    """A person as the app sends one: the person, a referral, a first follow-up, an ONS4."""
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
        ]
        ops.extend({"op": new_id(), "table": table, "row": row, "person": person, "kind": kind,
                    "fields": fields, "base": {}, "hlc": str(clock.now())}
                   for table, row, kind, fields in made)
    return ops


def first_sync(server: RunningServer, folder: Path, team: str, people: int) -> None:
    seeder = enrol(server, team=team, new_team=False)
    clock = HybridClock(seeder.device_id)
    started = time.perf_counter()
    with httpx.Client(base_url=server.url, headers=seeder.headers, timeout=120) as http:
        done = 0
        while done < people:
            chunk = min(100, people - done)
            answer = http.post(SYNC_PATH, json={"protocol": PROTOCOL_VERSION, "cursor": 0,
                                                "ops": _person_ops(seeder.device_id, clock, chunk),
                                                "pull": False})
            answer.raise_for_status()
            done += chunk
    seeded = time.perf_counter() - started
    print(f"seeded {people} people ({people * 4} rows) in {seeded:.1f} s "
          f"({people * 4 / seeded:.0f} ops/s pushed)")
    ws = _laptop(server, folder, team)
    with SyncClient(ws.store, clock=ws.changes.clock) as client:
        started = time.perf_counter()
        result = client.sync_once()
        took = time.perf_counter() - started
    print(f"first sync: {result.pulled} rows ({people} people) in {result.round_trips} "
          f"round trips: {took:.1f} s (target <= 20 s) {'OK' if took <= 20 else 'MISSED'}")
    ws.close()


def _hammer(url: str, path: str, bodies: list[dict[str, Any]], headers: dict[str, str],
            seconds: float, latencies: list[float], errors: list[int]) -> None:
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        deadline = time.perf_counter() + seconds
        n, cursor = 0, 0
        while time.perf_counter() < deadline:
            body = {**bodies[n % len(bodies)], "cursor": cursor}
            n += 1
            began = time.perf_counter()
            answer = http.post(path, json=body)
            latencies.append(time.perf_counter() - began)
            if answer.status_code != 200:
                errors.append(answer.status_code)
                continue
            cursor = answer.json().get("cursor", cursor)  # the bare endpoint has none


def _rate(url: str, path: str, per_thread: list[tuple[dict[str, str], list[dict[str, Any]]]],
          seconds: float) -> tuple[float, float, int]:
    latencies: list[float] = []
    errors: list[int] = []
    threads = [threading.Thread(target=_hammer, args=(url, path, bodies, headers, seconds,
                                                      latencies, errors))
               for headers, bodies in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / seconds, statistics.median(latencies) * 1000, len(errors)


def throughput(server: RunningServer, team: str, advisers: int, seconds: float,
               workers: int) -> None:
    """Each simulated adviser syncs over and over: 10 fresh changes pushed, its team pulled."""
    per_thread = []
    for _ in range(advisers):
        who = enrol(server, team=team, new_team=False)
        clock = HybridClock(who.device_id)
        bodies = []
        for _ in range(400):
            ops = _person_ops(who.device_id, clock, 1)[:2] + _person_ops(who.device_id, clock,
                                                                          2)[:8]
            bodies.append({"protocol": PROTOCOL_VERSION, "ops": ops[:10]})
        per_thread.append((who.headers, bodies))
    port = free_port()
    bare = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench_sync:bare_app", "--factory", "--app-dir",
         str(Path(__file__).parent), "--port", str(port), "--log-level", "warning",
         "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                httpx.post(f"http://127.0.0.1:{port}/bare", json={})
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        sync_rate, sync_ms, sync_errors = _rate(server.url, SYNC_PATH, per_thread, seconds)
        bare_rate, bare_ms, _ = _rate(f"http://127.0.0.1:{port}", "/bare", per_thread, seconds)
    finally:
        bare.terminate()
        bare.wait(10)
    print(f"throughput, {advisers} concurrent advisers, each sync = 10 changes pushed + the "
          "team's changes since its cursor pulled: "
          f"{sync_rate:.0f} syncs/s ({sync_rate * 10:.0f} changes/s), median {sync_ms:.1f} ms, "
          f"{sync_errors} errors")
    print(f"bare FastAPI endpoint, same bodies and load: {bare_rate:.0f} requests/s, "
          f"median {bare_ms:.1f} ms")
    print(f"ratio sync/bare: {sync_rate / bare_rate:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--advisers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1,
                        help="server worker processes (the bare app gets as many)")
    parser.add_argument("--quick", action="store_true", help="1,000 people, 2 s of load")
    args = parser.parse_args()
    if args.quick:
        args.people, args.seconds = 1000, 2.0
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        url = args.database_url or f"sqlite+pysqlite:///{folder / 'bench.db'}"
        server = start_server(url, folder / "server", log_level="warning", workers=args.workers)
        print(f"server: {url.split('://')[0]}, {args.workers} worker(s), "
              f"{os.cpu_count()} CPUs, loopback")
        try:
            server.add_team("day")
            days_work(server, folder, "day")
            server.add_team("big")
            first_sync(server, folder, "big", args.people)
            server.add_team("load")
            throughput(server, "load", args.advisers, args.seconds, args.workers)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
