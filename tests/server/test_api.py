"""The sync endpoint over real HTTP, on SQLite and PostgreSQL: what a device is told and what
the server stores (or, for refused requests, does not)."""

from __future__ import annotations

import gzip
import secrets
from typing import Any

import httpx
import orjson
import pytest

from sp_desktop.domain.hlc import HlcStamp, wall_now_ms
from sp_desktop.domain.ids import new_id
from sp_desktop.server.testing import Enrolled, RunningServer, enrol, stored_count, stored_rows
from sp_desktop.sync.protocol import (
    MAX_BODY_BYTES,
    PROTOCOL_VERSION,
    REGISTER_PATH,
    SYNC_PATH,
)

_wall = [wall_now_ms() - 3_600_000]  # an hour ago, so a test's stamps are never ahead of now
PERSON = {"given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "1941-02-03",
          "address": "1 Mill Lane"}


def stamp(device: str) -> str:
    _wall[0] += 1
    return str(HlcStamp(_wall[0], 0, device))


def person_op(who: Enrolled, person: str | None = None, **fields: Any) -> dict[str, Any]:
    """A new person (a valid row), or with `person` an edit of just the fields given."""
    fields = fields if person else {**PERSON, **fields}
    person = person or new_id()
    return {"op": new_id(), "table": "people", "row": person, "person": person, "kind": "upsert",
            "fields": fields, "base": {},
            "hlc": stamp(who.device_id)}


def sync(server: RunningServer, who: Enrolled, ops: list[dict[str, Any]] | None = None,
         cursor: int = 0, **extra: Any) -> httpx.Response:
    body = {"protocol": PROTOCOL_VERSION, "cursor": cursor, "ops": ops or [], **extra}
    return httpx.post(server.url + SYNC_PATH, json=body, headers=who.headers, timeout=30)


def rows_of(server: RunningServer, row_ids: set[str]) -> dict[str, dict[str, Any]]:
    return {key[1]: row for key, row in stored_rows(server.database_url).items()
            if key[1] in row_ids}


def test_health_answers(server: RunningServer) -> None:
    answer = httpx.get(server.url + "/health")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_push_then_pull_round_trip_is_acknowledged_and_stored(server: RunningServer) -> None:
    ann = enrol(server)
    op = person_op(ann)
    answer = sync(server, ann, [op])
    assert answer.status_code == 200
    body = answer.json()
    assert body["acks"] == [{"op": op["op"], "status": "applied"}]
    stored = rows_of(server, {op["row"]})[op["row"]]
    assert stored["fields"] == op["fields"] and stored["seq"] <= body["cursor"]
    # The device holds what it sent: its own write is not sent back to it...
    assert not [c for c in body["changes"] if c["row"] == op["row"]]
    # ...and a teammate's device pulls it.
    ben = enrol(server, team=ann.team, new_team=False)
    theirs = [c for c in sync(server, ben).json()["changes"] if c["row"] == op["row"]]
    assert theirs and theirs[0]["fields"] == op["fields"]


def test_a_retried_op_gets_the_same_answer_and_is_stored_once(server: RunningServer) -> None:
    ann = enrol(server)
    op = person_op(ann)
    first = sync(server, ann, [op]).json()
    seq = rows_of(server, {op["row"]})[op["row"]]["seq"]
    again = sync(server, ann, [op, op]).json()
    assert again["acks"] == [first["acks"][0], first["acks"][0]]
    assert rows_of(server, {op["row"]})[op["row"]]["seq"] == seq  # not re-applied


def test_responses_are_gzipped_when_asked_and_gzipped_requests_are_accepted(
    server: RunningServer,
) -> None:
    ann = enrol(server)
    ops = [person_op(ann) for _ in range(30)]
    raw = httpx.post(server.url + SYNC_PATH, headers={
        **ann.headers, "Content-Encoding": "gzip", "Accept-Encoding": "gzip"},
        content=gzip.compress(orjson.dumps({"protocol": PROTOCOL_VERSION, "cursor": 0,
                                            "ops": ops})))
    assert raw.status_code == 200
    assert raw.headers["content-encoding"] == "gzip"
    assert len(raw.json()["acks"]) == 30


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (orjson.dumps({"cursor": 0, "ops": []}), 400, "protocol version"),
    ],
)
def test_unparseable_bodies_get_400(server: RunningServer, body: bytes, status: int,
                                    words: str) -> None:
    ann = enrol(server)
    answer = httpx.post(server.url + SYNC_PATH, content=body, headers=ann.headers)
    assert answer.status_code == status
    assert answer.json()["code"] == "bad_request" and words in answer.json()["detail"]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda op: op.update(kind="rename"),
        lambda op: op.update(hlc="yesterday"),
        lambda op: op["fields"].update(id="x"),
        lambda op: op["fields"].update(address={"nested": "object"}),
        lambda op: op.update(extra="field"),
        lambda op: op.pop("row"),
    ],
    ids=["kind", "stamp", "reserved-field", "nested-value", "unknown-key", "missing-row"],
)
def test_one_malformed_op_is_refused_on_its_own_in_words_and_the_rest_applies(
    server: RunningServer, spoil: Any
) -> None:
    ann = enrol(server)
    good, bad, after = person_op(ann), person_op(ann), person_op(ann)
    spoil(bad)
    answer = sync(server, ann, [good, bad, after])
    assert answer.status_code == 200
    acks = {a["op"]: a for a in answer.json()["acks"]}
    assert acks[bad["op"]]["status"] == "rejected" and acks[bad["op"]]["code"] == "unreadable"
    reason = acks[bad["op"]]["reason"]
    assert reason.startswith("The ") and reason.endswith(".")
    assert "Input should" not in reason and "pydantic" not in reason.lower()
    assert acks[good["op"]]["status"] == acks[after["op"]]["status"] == "applied"
    assert set(rows_of(server, {good["row"], bad.get("row", ""), after["row"]})) == {
        good["row"], after["row"]}


@pytest.mark.parametrize("spoil", [lambda op: op.pop("op"), lambda op: op.update(op=["x"])],
                         ids=["no-id", "id-not-text"])
def test_an_op_whose_id_cannot_be_read_refuses_the_request_in_words(
    server: RunningServer, spoil: Any
) -> None:
    ann = enrol(server)
    good, bad = person_op(ann), person_op(ann)
    spoil(bad)
    answer = sync(server, ann, [good, bad])
    assert answer.status_code == 422 and answer.json()["code"] == "bad_request"
    assert rows_of(server, {good["row"]}) == {}


def test_fields_that_are_not_an_object_are_refused_on_their_own(server: RunningServer) -> None:
    ann = enrol(server)
    good = person_op(ann)
    bad = {**person_op(ann), "fields": ["given_name", "Ada"]}
    acks = {a["op"]: a for a in sync(server, ann, [bad, good]).json()["acks"]}
    assert [acks[op["op"]]["status"] for op in (bad, good)] == ["rejected", "applied"]
    assert acks[bad["op"]]["reason"] == (
        "The change's fields are not names with values, or one of them is reserved.")


def test_oversized_batches_are_refused_and_store_nothing(server: RunningServer) -> None:
    ann = enrol(server)
    ops = [person_op(ann, address="x" * 150_000) for _ in range(30)]  # ~4.5 MB of text
    answer = sync(server, ann, ops)
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"
    assert rows_of(server, {op["row"] for op in ops}) == {}
    too_many = [person_op(ann) for _ in range(501)]
    answer = sync(server, ann, too_many)
    assert answer.status_code == 422 and "ops" in answer.json()["detail"]
    assert rows_of(server, {op["row"] for op in too_many}) == {}


def test_a_gzip_bomb_is_refused(server: RunningServer) -> None:
    ann = enrol(server)
    padding = " " * (20 * 1024 * 1024)  # inflates past the limit, compresses to ~20 kB
    body = gzip.compress(b'{"protocol": 1, "cursor": 0, "ops": []' + padding.encode() + b"}")
    assert len(body) < MAX_BODY_BYTES
    answer = httpx.post(server.url + SYNC_PATH, content=body,
                        headers={**ann.headers, "Content-Encoding": "gzip"})
    assert answer.status_code == 413


def test_wrong_protocol_version_gets_426_saying_who_must_update(server: RunningServer) -> None:
    ann = enrol(server)
    op = person_op(ann)
    newer = sync(server, ann, [op], protocol=PROTOCOL_VERSION + 1).json()
    assert newer["code"] == "protocol_mismatch"
    assert "update the SP Desktop server" in newer["detail"]
    older = sync(server, ann, [op], protocol=PROTOCOL_VERSION - 2)
    assert older.status_code == 426 and "Please update SP Desktop" in older.json()["detail"]
    assert rows_of(server, {op["row"]}) == {}


def test_pushes_from_the_previous_protocol_version_still_upload(server: RunningServer) -> None:
    ann = enrol(server)
    op = person_op(ann)
    body = sync(server, ann, [op], protocol=PROTOCOL_VERSION - 1).json()
    assert body["acks"][0]["status"] == "applied"
    assert body["changes"] == [] and "update" in body["notice"]
    assert op["row"] in rows_of(server, {op["row"]})


def test_unknown_and_missing_tokens_get_401(server: RunningServer) -> None:
    for headers in ({}, {"Authorization": "Bearer " + secrets.token_urlsafe(32)}):
        answer = httpx.post(server.url + SYNC_PATH, headers=headers,
                            json={"protocol": PROTOCOL_VERSION, "cursor": 0})
        assert answer.status_code == 401 and answer.json()["code"] == "unknown_device"


def test_a_revoked_device_is_refused_with_its_own_code(server: RunningServer) -> None:
    ann = enrol(server)
    assert sync(server, ann).status_code == 200
    listing = server.cli("device", "list").stdout
    assert ann.device_id in listing and "active" in listing
    server.cli("device", "revoke", ann.device_id, "--kind", "lost")
    op = person_op(ann)
    answer = sync(server, ann, [op])
    assert answer.status_code == 403 and answer.json()["code"] == "device_revoked"
    assert answer.json()["kind"] == "lost"
    assert rows_of(server, {op["row"]}) == {}
    again = httpx.post(server.url + REGISTER_PATH, json={
        "protocol": PROTOCOL_VERSION, "adviser": ann.name, "password": ann.password,
        "device_id": ann.device_id})
    assert again.status_code == 403 and again.json()["code"] == "device_revoked"
    assert "revoked" in server.cli("device", "list").stdout


def test_team_a_cannot_write_team_b_people_and_only_those_changes_are_refused(
    server: RunningServer,
) -> None:
    alice, bob = enrol(server), enrol(server)
    bobs_person = person_op(bob)
    assert sync(server, bob, [bobs_person]).status_code == 200
    own = person_op(alice)
    sneaky = person_op(alice, person=bobs_person["row"], address="changed by team A")
    sneaky["base"] = {"address": None}
    child = {"op": new_id(), "table": "referrals", "row": new_id(), "person": bobs_person["row"],
             "kind": "upsert", "fields": {"reason": "x"}, "base": {}, "hlc": stamp(alice.device_id)}
    answer = sync(server, alice, [own, sneaky, child])
    assert answer.status_code == 200
    acks = {ack["op"]: ack for ack in answer.json()["acks"]}
    assert acks[own["op"]]["status"] == "applied"  # her own change is stored
    for refused in (sneaky, child):
        assert acks[refused["op"]]["status"] == "rejected"
        assert "another team" in acks[refused["op"]]["reason"]
    assert own["row"] in rows_of(server, {own["row"]})
    assert rows_of(server, {child["row"]}) == {}
    held = rows_of(server, {bobs_person["row"]})[bobs_person["row"]]
    assert held["fields"]["address"] == "1 Mill Lane"


def test_team_a_cannot_read_team_b_people(server: RunningServer) -> None:
    alice, bob = enrol(server), enrol(server)
    bobs = person_op(bob, given_name="Bobs person")
    sync(server, bob, [bobs])
    colleague = enrol(server, team=bob.team, new_team=False)
    pulled_by_alice = sync(server, alice).json()["changes"]
    assert bobs["row"] not in {c["row"] for c in pulled_by_alice}
    assert bobs["row"] in {c["row"] for c in sync(server, colleague).json()["changes"]}


def test_the_directory_is_read_only_for_advisers_and_published_by_managers(
    server: RunningServer,
) -> None:
    ann = enrol(server)
    service = {"op": new_id(), "table": "services", "row": new_id(), "person": None,
               "kind": "upsert", "fields": {"name": "Knit and natter"}, "base": {},
               "hlc": stamp(ann.device_id)}
    own = person_op(ann)
    body = sync(server, ann, [service, own]).json()
    assert body["acks"][0]["status"] == "rejected" and "read-only" in body["acks"][0]["reason"]
    assert body["acks"][1]["status"] == "applied"  # a refused op never blocks the rest
    assert rows_of(server, {service["row"]}) == {}
    refused = httpx.post(server.url + "/directory", headers=ann.headers,
                         json={"protocol": PROTOCOL_VERSION, "entries": []})
    assert refused.status_code == 403 and refused.json()["code"] == "read_only"

    manager = enrol(server, role="manager")
    entry = {"id": new_id(), "name": "Walking group", "category": "physical_activity",
             "free": True}
    published = httpx.post(server.url + "/directory", headers=manager.headers,
                           json={"protocol": PROTOCOL_VERSION, "entries": [entry]})
    assert published.status_code == 200 and published.json()["published"] == 1
    pulled = {c["row"]: c for c in sync(server, ann).json()["changes"]}
    assert pulled[entry["id"]]["fields"]["name"] == "Walking group"
    assert pulled[entry["id"]]["fields"]["free"] is True


def test_concurrent_edits_produce_a_conflict_copy_for_the_team(server: RunningServer) -> None:
    ann = enrol(server)
    ben = enrol(server, team=ann.team, new_team=False)
    created = person_op(ann, address="1 Mill Lane", given_name="Ada")
    sync(server, ann, [created])
    base = {"address": sync(server, ben).json()["changes"][-1]["versions"]["address"]}
    person = created["row"]
    mine = {**person_op(ann, person=person, address="Flat 2, 1 Mill Lane"), "base": base}
    theirs = {**person_op(ben, person=person, address="1 Mill Lane, Leeds"), "base": base}
    assert sync(server, ann, [mine]).json()["acks"][0]["status"] == "applied"
    answer = sync(server, ben, [theirs]).json()
    ack = answer["acks"][0]
    assert ack["status"] == "merged" and len(ack["conflicts"]) == 1  # ben's stamp is later
    conflict = next(c for c in answer["conflicts"] if c["id"] == ack["conflicts"][0])
    assert conflict["kind"] == "text" and conflict["other"] == "Flat 2, 1 Mill Lane"
    assert rows_of(server, {person})[person]["fields"]["address"] == "1 Mill Lane, Leeds"
    # Ann's laptop is told about it too (same team), and pulls the winning text.
    hers = sync(server, ann).json()
    assert conflict["id"] in {c["id"] for c in hers["conflicts"]}


def test_registration_slows_repeated_failures(server: RunningServer) -> None:
    ann = enrol(server)
    statuses = []
    for _ in range(7):
        answer = httpx.post(server.url + REGISTER_PATH, json={
            "protocol": PROTOCOL_VERSION, "adviser": ann.name, "password": "wrong password",
            "device_id": secrets.token_hex(16)})
        statuses.append(answer.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    assert int(answer.headers["retry-after"]) >= 1
    # Even the right password waits its turn while throttled.
    right = httpx.post(server.url + REGISTER_PATH, json={
        "protocol": PROTOCOL_VERSION, "adviser": ann.name, "password": ann.password,
        "device_id": secrets.token_hex(16)})
    assert right.status_code == 429


def test_the_log_holds_no_names_and_no_field_values(server: RunningServer) -> None:
    ann = enrol(server)
    marker = f"Unmistakable{secrets.token_hex(4)}"
    sync(server, ann, [person_op(ann, given_name=marker, address=marker + " Street")])
    httpx.post(server.url + REGISTER_PATH, json={
        "protocol": PROTOCOL_VERSION, "adviser": ann.name, "password": "wrong",
        "device_id": secrets.token_hex(16)})
    log = server.log_text()
    assert "POST /sync" in log  # the log is being written
    assert marker not in log and ann.name not in log and ann.password not in log


def test_stored_counts_match_what_was_acknowledged(server: RunningServer) -> None:
    before = stored_count(server.database_url, "receipts")
    ann = enrol(server)
    sync(server, ann, [person_op(ann) for _ in range(5)])
    assert stored_count(server.database_url, "receipts") >= before + 5


def test_ops_that_cannot_be_stored_are_refused_one_by_one(server: RunningServer) -> None:
    ann = enrol(server)
    wrong_person = {**person_op(ann), "person": new_id()}
    someone_elses_stamp = {**person_op(ann), "hlc": stamp("otherdevice")}
    unknown_table = {**person_op(ann), "table": "tomorrows_table"}
    no_person = {"op": new_id(), "table": "referrals", "row": new_id(), "person": None,
                 "kind": "upsert", "fields": {"reason": "x"}, "base": {},
                 "hlc": stamp(ann.device_id)}
    fine = person_op(ann)
    acks = sync(server, ann, [wrong_person, someone_elses_stamp, unknown_table, no_person,
                              fine]).json()["acks"]
    assert [a["status"] for a in acks] == ["rejected"] * 4 + ["applied"]
    assert all(a["reason"] for a in acks[:4])
    assert set(rows_of(server, {op["row"] for op in (wrong_person, someone_elses_stamp,
                                                      unknown_table, no_person, fine)})) == {
        fine["row"]}
