"""The sync client as the app uses it: registration, revocation, team scope, and (against a
scripted transport) retries, refusals, cancelling and changes the office refuses."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from laptops import FAST_KEYS, LaptopFactory, team_of
from sqlalchemy import select

from sp_desktop.server.testing import RunningServer, team_rows
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import Store, database_path, keyfile_path
from sp_desktop.store.errors import StoreMissing
from sp_desktop.store.schema import people, store_meta
from sp_desktop.sync import local
from sp_desktop.sync.client import (
    DeviceRevoked,
    LoginFailed,
    LoginThrottled,
    NotRegistered,
    ServerUnreachable,
    SyncCancelled,
    SyncClient,
    SyncProgress,
    SyncRefused,
    UpdateRequired,
    register_device,
    sync_status,
)
from sp_desktop.sync.conflicts import dismiss_rejected, rejected_changes
from sp_desktop.sync.protocol import AUDIT_PATH, ERASURES_PATH

# --- against the real server --------------------------------------------------------------


def test_a_revoked_laptop_is_refused_and_wipes_its_store(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    team = team_of(ann)
    ann.ws.people.create(given_name="Before", family_name="Revoke",
                         date_of_birth=date(1950, 1, 1))
    ann.sync()
    server.cli("device", "revoke", ann.store.device_id, "--kind", "lost")
    late = ann.ws.people.create(given_name="After", family_name="Revoke",
                                date_of_birth=date(1950, 1, 1)).id
    with pytest.raises(DeviceRevoked) as raised:
        ann.sync()
    assert "removed" in str(raised.value)
    assert not keyfile_path(ann.folder).exists()
    assert not list(ann.folder.glob(database_path(ann.folder).name + "*"))
    with pytest.raises(StoreMissing):
        Store.open(ann.folder, "a long passphrase")
    assert ("people", late) not in team_rows(server.database_url, team)


def test_registration_keeps_the_token_never_the_password(
    server: RunningServer, tmp_path: Path
) -> None:
    server.add_team("Riverside")
    server.add_adviser("Rita Riverside", "Riverside", "rita's long password")
    ws, _ = Workspace.create(tmp_path / "rita", "passphrase here", adviser="Rita",
                             params=FAST_KEYS)
    try:
        with pytest.raises(NotRegistered):
            SyncClient(ws.store)
        with pytest.raises(LoginFailed):
            register_device(ws.store, server.url, "Rita Riverside", "not her password")
        registration = register_device(ws.store, server.url + "/", "Rita Riverside",
                                       "rita's long password", label="Rita's laptop")
        assert registration.team == "Riverside" and registration.server_url == server.url
        with ws.store.read() as conn:
            meta = {k: v for k, v in conn.execute(select(store_meta.c.key, store_meta.c.value))}
        assert meta[local.META_TOKEN] and meta[local.META_SERVER_URL] == server.url
        assert meta["team"] == "Riverside"
        assert not any("rita's long password" in value for value in meta.values())
        assert sync_status(ws.store).registered
        for _ in range(5):
            with pytest.raises(LoginFailed):
                register_device(ws.store, server.url, "Rita Riverside", "wrong again")
        with pytest.raises(LoginThrottled) as throttled:
            register_device(ws.store, server.url, "Rita Riverside", "wrong again")
        assert throttled.value.retry_after >= 1
    finally:
        ws.close()


def test_another_teams_people_never_reach_a_laptop(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann, zed = make_laptop(), make_laptop()  # two teams
    theirs = ann.ws.people.create(given_name="Only", family_name="Ours",
                                  date_of_birth=date(1944, 4, 4)).id
    ann.sync()
    zed.sync()
    with zed.store.read() as conn:
        assert conn.execute(select(people.c.id).where(people.c.id == theirs)).first() is None


# --- against a scripted transport ---------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def offline_ws(tmp_path: Path) -> Iterator[Workspace]:
    ws, _ = Workspace.create(tmp_path / "ws", "passphrase here", adviser="Ann", params=FAST_KEYS)
    with ws.store.write() as conn:
        local.set_meta(conn, local.META_SERVER_URL, "https://office.invalid")
        local.set_meta(conn, local.META_TOKEN, "token")
        local.set_meta(conn, local.META_CURSOR, "0")
    for n in range(3):
        ws.people.create(given_name=f"P{n}", family_name="Smith", date_of_birth=date(1950, 1, 1))
    yield ws
    if ws.store.is_open:
        ws.close()


def _body(request: httpx.Request) -> dict[str, Any]:
    raw = request.content
    if request.headers.get("content-encoding") == "gzip":
        raw = gzip.decompress(raw)
    parsed: dict[str, Any] = orjson.loads(raw)
    return parsed


def _ok(request: httpx.Request, status: str = "applied", **extra: Any) -> httpx.Response:
    body = _body(request)
    acks = [{"op": op["op"], "status": status, **extra} for op in body["ops"]]
    return httpx.Response(200, json={"protocol": 1, "acks": acks, "changes": [],
                                     "conflicts": [], "cursor": body["cursor"], "more": False})


def _client(ws: Workspace, handler: Handler, **options: Any) -> SyncClient:
    """A client whose /sync requests the handler answers; the governance doors (audit trail,
    erasures) answer 404, as an office not yet updated does."""
    options.setdefault("backoff", 0.001)
    options.setdefault("backoff_cap", 0.002)

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path in (AUDIT_PATH, ERASURES_PATH):
            return httpx.Response(404, json={"code": "not_found", "detail": "Not Found"})
        return handler(request)

    return SyncClient(ws.store, transport=httpx.MockTransport(route), **options)


def test_network_errors_and_5xx_are_retried_until_the_office_answers(
    offline_ws: Workspace,
) -> None:
    script = iter(["503", "drop", "500"])

    def handler(request: httpx.Request) -> httpx.Response:
        step = next(script, "ok")
        if step == "drop":
            raise httpx.ConnectError("no signal", request=request)
        if step != "ok":
            return httpx.Response(int(step), text="busy")
        return _ok(request)

    with _client(offline_ws, handler) as client:
        result = client.sync_once()
        assert client.attempts == 4 + 2  # three refused tries and the answer; audit, erasures
    assert result.pushed == 3 and sync_status(offline_ws.store).waiting == 0
    assert sync_status(offline_ws.store).last_success_at is not None


def test_giving_up_keeps_every_change_waiting(offline_ws: Workspace) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with _client(offline_ws, handler, max_attempts=3) as client, \
            pytest.raises(ServerUnreachable):
        client.sync_once()
    status = sync_status(offline_ws.store)
    assert status.waiting == 3 and status.last_success_at is None
    assert status.last_attempt_at is not None  # tried and failed: the app can say so


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [(426, "protocol_mismatch", UpdateRequired), (403, "other_team", SyncRefused),
     (422, "bad_request", SyncRefused), (401, "unknown_device", NotRegistered)],
)
def test_refusals_raise_a_readable_error_and_keep_the_outbox(
    offline_ws: Workspace, status: int, code: str, error: type[Exception]
) -> None:
    detail = "Please update SP Desktop."

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"code": code, "detail": detail})

    with _client(offline_ws, handler) as client, pytest.raises(error) as raised:
        client.sync_once()
    assert str(raised.value) == detail
    assert sync_status(offline_ws.store).waiting == 3
    assert keyfile_path(offline_ws.store.folder).exists()  # only revocation wipes


def test_cancelling_stops_between_round_trips_and_keeps_what_was_exchanged(
    offline_ws: Workspace,
) -> None:
    cancel = threading.Event()
    seen: list[SyncProgress] = []

    def progress(report: SyncProgress) -> None:
        seen.append(report)
        if report.round_trips == 1:
            cancel.set()

    with _client(offline_ws, _ok, batch_size=1) as client, pytest.raises(SyncCancelled):
        client.sync_once(progress=progress, cancel=cancel)
    assert [report.waiting for report in seen] == [3, 2]
    assert sync_status(offline_ws.store).waiting == 2


def test_a_refused_change_is_moved_aside_and_never_blocks_the_queue(
    offline_ws: Workspace,
) -> None:
    refuse_first = {"done": False}

    def handler(request: httpx.Request) -> httpx.Response:
        body = _body(request)
        acks = []
        for op in body["ops"]:
            if not refuse_first["done"]:
                refuse_first["done"] = True
                acks.append({"op": op["op"], "status": "rejected", "reason": "not allowed"})
            else:
                acks.append({"op": op["op"], "status": "applied"})
        return httpx.Response(200, json={"protocol": 1, "acks": acks, "changes": [],
                                         "conflicts": [], "cursor": 0, "more": False})

    with _client(offline_ws, handler) as client:
        result = client.sync_once()
    assert (result.pushed, result.rejected) == (3, 1)
    status = sync_status(offline_ws.store)
    assert status.waiting == 0 and status.rejected == 1
    (refused,) = rejected_changes(offline_ws.store)
    assert refused.reason == "not allowed" and refused.table == "people"
    dismiss_rejected(offline_ws.store, refused.op_id)
    assert rejected_changes(offline_ws.store) == []


def test_the_request_says_its_protocol_and_cursor_and_is_compressed(
    offline_ws: Workspace,
) -> None:
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return _ok(request)

    with _client(offline_ws, handler) as client:
        client.sync_once()
    (request,) = captured
    assert request.headers["content-encoding"] == "gzip"
    assert request.headers["authorization"] == "Bearer token"
    body = _body(request)
    assert body["protocol"] == 1 and body["cursor"] == 0 and len(body["ops"]) == 3


def test_a_revoked_answer_wipes_the_store(offline_ws: Workspace) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"code": "device_revoked", "detail": "revoked"})

    folder = offline_ws.store.folder
    with _client(offline_ws, handler) as client, pytest.raises(DeviceRevoked):
        client.sync_once()
    assert not keyfile_path(folder).exists() and not database_path(folder).exists()
