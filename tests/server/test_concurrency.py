"""Several server workers on one database, many devices pushing at once, one device pulling all
the while: the puller's cursor never skips a change, and sequence numbers are never reused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sp_desktop.domain.hlc import HybridClock
from sp_desktop.domain.ids import new_id
from sp_desktop.server.testing import (
    Enrolled,
    RunningServer,
    enrol,
    postgres_schema,
    postgres_unavailable,
    start_server,
    team_rows,
)
from sp_desktop.sync.protocol import PROTOCOL_VERSION, SYNC_PATH

PUSHERS = 6
BATCHES = 12
OPS_PER_BATCH = 10


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def busy_server(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    work: Path = tmp_path_factory.mktemp(f"workers-{request.param}")
    if request.param == "sqlite":
        running = start_server(f"sqlite+pysqlite:///{work / 'busy.db'}", work, workers=3,
                               log_level="warning")
        yield running
        running.stop()
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        running = start_server(url, work, workers=3, log_level="warning")
        yield running
        running.stop()


def _push(server: RunningServer, who: Enrolled, errors: list[BaseException],
          created: list[str]) -> None:
    clock = HybridClock(who.device_id)
    mine: list[str] = []
    try:
        with httpx.Client(base_url=server.url, headers=who.headers, timeout=60) as http:
            for batch in range(BATCHES):
                ops: list[dict[str, Any]] = []
                for n in range(OPS_PER_BATCH):
                    if mine and n % 3 == 0:  # an edit of one of ours
                        person, fields = mine[n % len(mine)], {"phone": f"{batch}-{n}"}
                    else:
                        person = new_id()
                        mine.append(person)
                        fields = {"given_name": f"P{batch}-{n}", "family_name": "Concurrent",
                                  "date_of_birth": "1950-01-01", "phone": ""}
                    ops.append({"op": new_id(), "table": "people", "row": person,
                                "person": person, "kind": "upsert", "fields": fields,
                                "base": {}, "hlc": str(clock.now())})
                answer = http.post(SYNC_PATH, json={"protocol": PROTOCOL_VERSION, "cursor": 0,
                                                    "ops": ops, "pull": False})
                answer.raise_for_status()
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        errors.append(exc)
    created.extend(mine)


def test_concurrent_pushes_never_make_a_cursor_skip(busy_server: RunningServer) -> None:
    pushers = [enrol(busy_server)]
    pushers += [enrol(busy_server, team=pushers[0].team, new_team=False)
                for _ in range(PUSHERS - 1)]
    puller = enrol(busy_server, team=pushers[0].team, new_team=False)
    errors: list[BaseException] = []
    created: list[str] = []
    threads = [threading.Thread(target=_push, args=(busy_server, who, errors, created))
               for who in pushers]
    seen: dict[str, tuple[int, dict[str, Any]]] = {}
    cursor = 0
    pulls = 0
    with httpx.Client(base_url=busy_server.url, headers=puller.headers, timeout=60) as http:

        def pull_once() -> bool:
            nonlocal cursor, pulls
            answer = http.post(SYNC_PATH, json={"protocol": PROTOCOL_VERSION, "cursor": cursor,
                                                "limit": 25})
            answer.raise_for_status()
            body = answer.json()
            pulls += 1
            for change in body["changes"]:
                assert change["seq"] > cursor  # strictly after the cursor, never before
                seen[change["row"]] = (change["seq"], change["fields"])
            assert body["cursor"] >= cursor
            cursor = body["cursor"]
            return bool(body["more"])

        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            pull_once()
        for thread in threads:
            thread.join()
        while pull_once():
            pass
    assert not errors, errors
    held = {row_id: (row["seq"], row["fields"])
            for (_table, row_id), row in team_rows(busy_server.database_url,
                                                   pushers[0].team).items()}
    assert set(held) == set(created)
    assert seen == held  # every row, at its latest change: nothing skipped
    seqs = [seq for seq, _ in held.values()]
    assert len(set(seqs)) == len(seqs)
    assert pulls > 5
