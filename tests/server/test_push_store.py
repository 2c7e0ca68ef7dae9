"""The push's store path on SQLite and PostgreSQL: a batch larger than one statement's list of
ids, edits of rows already held, replays and the device's own line, all in one answer."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from sp_desktop.domain.hlc import HlcStamp, wall_now_ms
from sp_desktop.domain.ids import new_id
from sp_desktop.server.db import devices, make_engine
from sp_desktop.server.testing import Enrolled, RunningServer, enrol, stored_rows
from sp_desktop.sync.protocol import (
    OLDEST_WAITING_HEADER,
    PROTOCOL_VERSION,
    SYNC_PATH,
    WAITING_HEADER,
)

_wall = [wall_now_ms() - 3_600_000]  # an hour ago: never ahead of the office's clock
MANY = 450  # more ids than one IN (...) list holds on SQLite (400)


def _stamp(device: str) -> str:
    _wall[0] += 1
    return str(HlcStamp(_wall[0], 0, device))


def _new_person(who: Enrolled, n: int) -> dict[str, Any]:
    person = new_id()
    return {"op": new_id(), "table": "people", "row": person, "person": person,
            "kind": "upsert", "base": {}, "hlc": _stamp(who.device_id),
            "fields": {"given_name": f"Ada {n}", "family_name": "Lovelace",
                       "date_of_birth": "1941-02-03", "address": f"{n} Mill Lane"}}


def _sync(server: RunningServer, who: Enrolled, ops: list[dict[str, Any]], cursor: int = 0,
          headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = httpx.post(server.url + SYNC_PATH, timeout=60,
                        headers={**who.headers, **(headers or {})},
                        json={"protocol": PROTOCOL_VERSION, "cursor": cursor, "ops": ops})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _pull_all(server: RunningServer, who: Enrolled) -> dict[str, dict[str, Any]]:
    cursor, held = 0, {}
    while True:
        body = _sync(server, who, [], cursor)
        held.update({c["row"]: c for c in body["changes"]})
        cursor = body["cursor"]
        if not body["more"]:
            return held


def test_a_large_batch_of_new_rows_then_edits_and_replays_is_stored_and_answered_op_by_op(
    server: RunningServer,
) -> None:
    ann = enrol(server)
    made = [_new_person(ann, n) for n in range(MANY)]
    first = _sync(server, ann, made)
    assert [a["status"] for a in first["acks"]] == ["applied"] * MANY
    mine = {op["row"] for op in made}
    # all its own, stored as sent: none comes back (the shared office may hold others' rows)
    assert not [c for c in first["changes"] if c["row"] in mine]

    stored = stored_rows(server.database_url)
    seqs = [int(str(stored[("people", op["row"])]["seq"])) for op in made]
    assert len(set(seqs)) == MANY and max(seqs) <= first["cursor"]

    # Edits of every row held (based on the stamps held), a refused one, and replays.
    edits = [{"op": new_id(), "table": "people", "row": op["row"], "person": op["row"],
              "kind": "upsert", "fields": {"address": f"{n} New Road"},
              "base": {"address": op["hlc"]}, "hlc": _stamp(ann.device_id)}
             for n, op in enumerate(made[:MANY - 10])]
    edits[5]["fields"] = {"date_of_birth": "not a date"}
    replays = made[:10]
    second = _sync(server, ann, [*edits, *replays], first["cursor"])
    acks = second["acks"]
    assert acks[5]["status"] == "rejected" and acks[5]["reason"]
    assert [a["status"] for n, a in enumerate(acks[:len(edits)]) if n != 5] == (
        ["applied"] * (len(edits) - 1))
    assert acks[len(edits):] == first["acks"][:10]  # a replay gets its stored answer

    ben = enrol(server, team=ann.team, new_team=False)
    held = _pull_all(server, ben)
    assert mine <= set(held)  # every row reaches a teammate (the shared office may hold more)
    assert held[made[0]["row"]]["fields"]["address"] == "0 New Road"
    assert held[made[5]["row"]]["fields"]["date_of_birth"] == "1941-02-03"  # refused: as was
    assert held[made[-1]["row"]]["fields"]["address"] == f"{MANY - 1} Mill Lane"
    assert held[made[0]["row"]]["seq"] > held[made[-1]["row"]]["seq"]  # edited later


def test_a_push_notes_what_the_laptop_still_holds(server: RunningServer) -> None:
    ann = enrol(server)
    ops = [_new_person(ann, n) for n in range(3)]
    _sync(server, ann, ops, headers={WAITING_HEADER: "7",
                                     OLDEST_WAITING_HEADER: "2026-11-30T09:00:00.000+00:00",
                                     "User-Agent": "sp-desktop/0.3.0 sync"})
    engine = make_engine(server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            seen, waiting, version = conn.execute(
                select(devices.c.last_seen_at, devices.c.waiting, devices.c.app_version)
                .where(devices.c.id == ann.device_id)).one()
    finally:
        engine.dispose()
    assert seen and waiting == 4 and version == "0.3.0"
