"""What a laptop does when the office changes its mind about it, against the real server:
retired or lost, a forged "revoked" over plain http, a password change, a token renewed in
passing, a team move with changes waiting, and a training store knocking at the office."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import httpx
import pytest
from laptops import FAST_KEYS, Laptop, LaptopFactory, team_of
from sqlalchemy import update

from sp_desktop.domain.errors import ValidationError
from sp_desktop.server import accounts, db
from sp_desktop.server.testing import RunningServer, stored_rows, team_rows
from sp_desktop.services.demo import create_demo_store, is_training_copy
from sp_desktop.services.sync_status import server_address
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import database_path, keyfile_path
from sp_desktop.sync import local
from sp_desktop.sync.client import (
    DeviceRevoked,
    InsecureAddress,
    NotRegistered,
    SyncClient,
    SyncRefused,
    register_device,
    sync_status,
)
from sp_desktop.sync.conflicts import rejected_changes


def add_people(laptop: Laptop, count: int, family: str = "Waiting") -> list[str]:
    return [laptop.ws.people.create(given_name=f"Person{n}", family_name=family,
                                    date_of_birth=date(1950, 1, 1 + n)).id
            for n in range(count)]


def wiped(laptop: Laptop) -> bool:
    return not keyfile_path(laptop.folder).exists() and not database_path(laptop.folder).exists()


def office_ids(server: RunningServer) -> set[str]:
    return {row_id for _table, row_id in stored_rows(server.database_url)}


# --- revocation -----------------------------------------------------------------------------


def test_a_retired_laptop_hands_in_its_waiting_changes_then_wipes(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ann.sync()
    made = add_people(ann, 5)
    waiting = sync_status(ann.store).waiting
    assert waiting >= 5
    server.cli("device", "revoke", ann.store.device_id, "--kind", "retired")
    with pytest.raises(DeviceRevoked) as raised:
        ann.sync(batch_size=2)  # several round trips of handing in
    assert raised.value.retired and raised.value.unsent == 0
    assert raised.value.handed_in == waiting
    assert f"sent the office {waiting} changes" in str(raised.value)
    assert "Every change made on this laptop had reached the office" in str(raised.value)
    assert set(made) <= office_ids(server)
    assert wiped(ann)


def test_a_lost_laptop_wipes_at_once_and_says_how_many_changes_are_gone(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ann.sync()
    made = add_people(ann, 5)
    waiting = sync_status(ann.store).waiting
    server.cli("device", "revoke", ann.store.device_id, "--kind", "lost")
    with pytest.raises(DeviceRevoked) as raised:
        ann.sync()
    assert not raised.value.retired and raised.value.unsent == waiting
    message = str(raised.value)
    assert f"{waiting} changes made on this laptop had not reached the office" in message
    assert "safe at the office" not in message
    assert not set(made) & office_ids(server)
    assert wiped(ann)


def test_a_leavers_laptop_hands_in_then_wipes(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    made = add_people(ann, 2)
    server.cli("adviser", "disable", ann.name)
    with pytest.raises(DeviceRevoked) as raised:
        ann.sync()
    assert raised.value.retired and raised.value.unsent == 0
    assert set(made) <= office_ids(server)
    assert wiped(ann)


def test_a_forged_revoke_over_plain_http_wipes_nothing(tmp_path: Path) -> None:
    """An older copy kept an http:// address of another machine: anyone on the way could
    answer 403 device_revoked. The app now sends nothing there and wipes nothing."""
    ws, _ = Workspace.create(tmp_path / "ws", "passphrase here", adviser="Ann", params=FAST_KEYS)
    try:
        with ws.store.write() as conn:
            local.set_meta(conn, local.META_SERVER_URL, "http://192.0.2.10:8443")
            local.set_meta(conn, local.META_TOKEN, "token")
        ws.people.create(given_name="Kept", family_name="Safe", date_of_birth=date(1950, 1, 1))
        asked: list[httpx.Request] = []

        def forged(request: httpx.Request) -> httpx.Response:
            asked.append(request)
            return httpx.Response(403, json={"code": "device_revoked", "detail": "revoked"})

        with pytest.raises(InsecureAddress) as raised:
            SyncClient(ws.store, transport=httpx.MockTransport(forged)).sync_once()
        assert "https://" in str(raised.value)
        assert asked == []
        assert keyfile_path(ws.store.folder).exists() and ws.store.is_open
        assert sync_status(ws.store).waiting > 0
    finally:
        ws.close()


def test_registration_never_sends_a_password_over_plain_http_to_another_machine(
    tmp_path: Path,
) -> None:
    ws, _ = Workspace.create(tmp_path / "ws", "passphrase here", adviser="Ann", params=FAST_KEYS)
    asked: list[httpx.Request] = []
    try:
        with pytest.raises(InsecureAddress):
            register_device(ws.store, "http://192.0.2.10:8443", "Ann", "her long password",
                            transport=httpx.MockTransport(lambda r: asked.append(r) or
                                                          httpx.Response(500)))
        assert asked == []
        assert ws.store.meta(local.META_SERVER_URL) is None
    finally:
        ws.close()


@pytest.mark.parametrize(("typed", "kept"), [
    ("sync.example.org:8443", "https://sync.example.org:8443"),
    ("https://sync.example.org/", "https://sync.example.org"),
    ("http://127.0.0.1:8443", "http://127.0.0.1:8443"),
    ("http://localhost:8443", "http://localhost:8443"),
    ("http://[::1]:8443", "http://[::1]:8443"),
])
def test_the_form_takes_https_anywhere_and_http_only_to_this_computer(
    typed: str, kept: str
) -> None:
    assert server_address(typed) == kept


@pytest.mark.parametrize("typed", ["http://192.0.2.10:8443", "http://sync.example.org",
                                   "HTTP://10.0.0.5"])
def test_the_form_refuses_plain_http_to_another_machine(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        server_address(typed)
    assert refused.value.field == "server" and "https://" in refused.value.message


# --- accounts -----------------------------------------------------------------------------


def test_a_password_change_asks_the_laptop_to_register_again_and_keeps_its_work(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ann.sync()
    made = add_people(ann, 1)
    secret = server.work_dir / f"pw-{secrets.token_hex(4)}"
    secret.write_text("a fresh and long password\n")
    server.cli("adviser", "password", ann.name, "--password-file", str(secret))
    with pytest.raises(NotRegistered) as raised:
        ann.sync()
    assert "register the laptop again" in str(raised.value)
    assert sync_status(ann.store).waiting >= 1  # nothing lost
    register_device(ann.store, server.url, ann.name, "a fresh and long password")
    ann.sync()
    assert set(made) <= office_ids(server)


def test_a_laptop_in_use_gets_a_fresh_token_without_noticing(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    ann.sync()
    old = ann.store.meta(local.META_TOKEN)
    engine = db.make_engine(server.database_url, pool_size=1)
    try:
        with db.write_transaction(engine) as conn:  # a day left of its lifetime
            conn.execute(update(db.devices).where(db.devices.c.id == ann.store.device_id)
                         .values(token_expires_at=accounts.wall_now() + 86_400))
    finally:
        engine.dispose()
    add_people(ann, 1)
    ann.sync()
    fresh = ann.store.meta(local.META_TOKEN)
    assert fresh and fresh != old
    add_people(ann, 1, family="Later")
    assert ann.sync().pushed >= 1  # the fresh token works, and it was kept
    refused = httpx.post(server.url + "/sync", headers={"Authorization": f"Bearer {old}"},
                         json={"protocol": 1, "cursor": 0})
    assert refused.status_code == 401


# --- team moves -----------------------------------------------------------------------------


def test_a_team_move_sends_the_new_teams_changes_and_sets_the_old_teams_aside(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    ann = make_laptop()
    old_team = team_of(ann)
    stays = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                 date_of_birth=date(1940, 2, 2)).id
    ann.sync()
    ann.ws.people.update(stays, preferred_name="Edie")
    ann.ws.people.update(stays, email="edie@example.org")
    new_team = f"team_{secrets.token_hex(4)}"
    server.add_team(new_team)
    server.cli("adviser", "move", ann.name, "--team", new_team)
    after = ann.ws.people.create(given_name="New", family_name="Person",
                                 date_of_birth=date(1960, 6, 6)).id

    result = ann.sync()
    assert result.restored == "team_changed"
    assert sync_status(ann.store).waiting == 0  # nothing stuck: every change went or was set aside
    assert ("people", after) in team_rows(server.database_url, new_team)
    old_rows = team_rows(server.database_url, old_team)
    assert old_rows[("people", stays)]["fields"].get("preferred_name") is None  # not stored
    refused = rejected_changes(ann.store)
    assert len(refused) == 2 and all("another team" in r.reason for r in refused)
    assert {r.row_id for r in refused} == {stays}
    # The old team's person has left the laptop; the new team's stays.
    with pytest.raises(ValidationError, match="no longer on this caseload"):
        ann.ws.people.get(stays)
    assert ann.ws.people.get(after).given_name == "New"
    assert team_of(ann) == new_team
    ann.sync()  # and the next sync is an ordinary one
    assert sync_status(ann.store).waiting == 0


# --- training stores ------------------------------------------------------------------------


def test_a_training_store_is_refused_by_the_office_with_the_reason(
    server: RunningServer, make_laptop: LaptopFactory, tmp_path: Path
) -> None:
    team = f"team_{secrets.token_hex(4)}"
    trainee = "trainee_" + secrets.token_hex(3)
    server.add_team(team)
    server.add_adviser(trainee, team, "copper kettle drizzle")
    demo = create_demo_store(tmp_path / "demo", "demo passphrase here", 2, params=FAST_KEYS)
    try:
        assert is_training_copy(demo)
        with pytest.raises(SyncRefused) as raised:  # the right name and password, even
            register_device(demo.store, server.url, trainee, "copper kettle drizzle")
        assert raised.value.code == "training_store" and "training copy" in str(raised.value)
        assert demo.store.meta(local.META_TOKEN) is None
    finally:
        demo.close()

    # A registered store marked as training afterwards is refused at sync, nothing stored.
    ann = make_laptop()
    made = add_people(ann, 1)
    with ann.store.write() as conn:
        local.set_meta(conn, "store.training", "1")
    with pytest.raises(SyncRefused) as raised:
        ann.sync()
    assert raised.value.code == "training_store"
    assert not set(made) & office_ids(server)
    assert sync_status(ann.store).waiting >= 1
