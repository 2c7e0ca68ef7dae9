"""Accounts at the office, over real HTTP: leavers, password changes, token lifetimes, login
throttling that slows guessers without locking anyone out, a cap on Argon2 memory, and the
rules for serving without TLS."""

from __future__ import annotations

import secrets
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.hlc import HlcStamp
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.passwords import check_password
from sp_desktop.server import accounts, cli, db
from sp_desktop.server.testing import (
    Enrolled,
    RunningServer,
    enrol,
    start_server,
    stored_rows,
)
from sp_desktop.sync.protocol import PROTOCOL_VERSION, REGISTER_PATH, SYNC_PATH


def person_op(who: Enrolled) -> dict[str, Any]:
    """A new person, stamped by the device at the real time now."""
    person = new_id()
    return {"op": new_id(), "table": "people", "row": person, "person": person,
            "kind": "upsert", "fields": {"given_name": "Ada", "family_name": "Lovelace",
                       "date_of_birth": "1950-01-01"},
            "base": {}, "hlc": str(HlcStamp(int(time.time() * 1000), 0, who.device_id))}


def sync(server: RunningServer, who: Enrolled,
         ops: list[dict[str, Any]] | None = None) -> httpx.Response:
    body = {"protocol": PROTOCOL_VERSION, "cursor": 0, "ops": ops or []}
    return httpx.post(server.url + SYNC_PATH, json=body, headers=who.headers, timeout=30)


PROXY = "127.0.0.1"  # the test server believes X-Forwarded-For from loopback: the "TLS proxy"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server behind a (pretend) TLS proxy on loopback, so each test can come from its own
    addresses without sharing throttling counts with other tests."""
    work = tmp_path_factory.mktemp("proxied")
    running = start_server(f"sqlite+pysqlite:///{work / 'server.db'}", work,
                           extra_args=["--behind-tls-proxy", PROXY])
    yield running
    running.stop()


def address() -> str:
    """A made-up address from the documentation ranges, unique per call."""
    return f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def register(server: RunningServer, name: str, password: str, *, via: str | None = None,
             device_id: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": via} if via else {}
    return httpx.post(server.url + REGISTER_PATH, headers=headers, timeout=60, json={
        "protocol": PROTOCOL_VERSION, "adviser": name, "password": password,
        "device_id": device_id or secrets.token_hex(16)})


def in_parallel(count: int, call: Any) -> list[httpx.Response]:
    """Runs `call(i)` on `count` threads released together; their answers in order."""
    start = threading.Barrier(count)
    answers: list[httpx.Response | None] = [None] * count

    def run(i: int) -> None:
        start.wait()
        answers[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def peak_memory_mib(server: RunningServer) -> float:
    """The server process's peak resident memory so far (VmHWM), in MiB."""
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


# --- passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password", "12345678", "passwordpassword",
                                      "qwertyuiop123", "P@ssw0rd12345"])
def test_short_or_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_password(password, ["Ann Adviser"])
    assert refused.value.field == "password"


@pytest.mark.parametrize("password", ["a good password", "rita's long password",
                                      "copper kettle drizzle"])
def test_a_few_ordinary_words_make_a_good_password(password: str) -> None:
    check_password(password, ["Ann Adviser"])


def test_the_same_rule_holds_at_every_entry_point_of_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*args: str) -> tuple[int, str]:
        code = cli.main([*args, "--data-dir", str(tmp_path)])
        return code, capsys.readouterr().err

    secret = tmp_path / "pw"
    assert run("team", "add", "North")[0] == 0
    for weak in ("password", "12345678", "Summer2024"):
        secret.write_text(weak + "\n")
        code, err = run("adviser", "add", "Ann", "--team", "North", "--password-file",
                        str(secret))
        assert code == 1 and "password" in err.lower() and "Traceback" not in err
    secret.write_text("copper kettle drizzle\n")
    assert run("adviser", "add", "Ann", "--team", "North", "--password-file", str(secret))[0] == 0
    secret.write_text("password1\n")
    code, err = run("adviser", "password", "Ann", "--password-file", str(secret))
    assert code == 1 and "at least 12 characters" in err


# --- leavers and password changes ---------------------------------------------------------


def test_a_password_change_ends_every_token_of_that_adviser(server: RunningServer) -> None:
    ann = enrol(server)
    second = register(server, ann.name, ann.password)
    assert second.status_code == 200
    other = Enrolled(ann.name, ann.team, ann.password, second.json()["device_id"],
                     second.json()["token"])
    assert sync(server, ann).status_code == 200 and sync(server, other).status_code == 200
    secret = server.work_dir / f"pw-{secrets.token_hex(4)}"
    secret.write_text("a brand new passphrase here\n")
    changed = server.cli("adviser", "password", ann.name, "--password-file", str(secret))
    assert "2 laptop(s) must register again" in changed.stdout
    for device in (ann, other):
        answer = sync(server, device, [person_op(device)])
        assert answer.status_code == 401 and answer.json()["code"] == "unknown_device"
        assert "password changed" in answer.json()["detail"]
    assert register(server, ann.name, ann.password).status_code == 401  # the old password
    again = register(server, ann.name, "a brand new passphrase here", device_id=ann.device_id)
    assert again.status_code == 200
    fresh = Enrolled(ann.name, ann.team, "", ann.device_id, again.json()["token"])
    assert sync(server, fresh).status_code == 200


def test_a_disabled_adviser_cannot_register_and_their_laptops_only_hand_in(
    server: RunningServer,
) -> None:
    ann = enrol(server)
    colleague = enrol(server, team=ann.team, new_team=False)
    teammates_person = person_op(colleague)
    assert sync(server, colleague, [teammates_person]).status_code == 200
    server.cli("adviser", "disable", ann.name)
    assert "adviser disabled" in server.cli("device", "list").stdout

    waiting = person_op(ann)
    answer = sync(server, ann, [waiting])
    assert answer.status_code == 200
    body = answer.json()
    assert body["retired"] is True and body["changes"] == []  # nothing more reaches the laptop
    assert body["acks"][0]["status"] == "applied"
    assert waiting["row"] in {key[1] for key in stored_rows(server.database_url)}  # kept
    refused = register(server, ann.name, ann.password)
    assert refused.status_code == 403 and refused.json()["code"] == "adviser_disabled"
    # A wrong password says no more than for anyone: being disabled is told only to the owner.
    assert register(server, ann.name, "not her password at all").status_code == 401
    directory = httpx.post(server.url + "/directory", headers=ann.headers,
                           json={"protocol": PROTOCOL_VERSION, "entries": []})
    assert directory.status_code == 403 and directory.json()["code"] == "device_revoked"

    server.cli("adviser", "enable", ann.name)
    assert register(server, ann.name, ann.password).status_code == 200
    assert sync(server, ann).json()["retired"] is False


def test_a_retired_device_hands_in_and_a_lost_one_is_refused_outright(
    server: RunningServer,
) -> None:
    ann, ben = enrol(server), enrol(server)
    server.cli("device", "revoke", ann.device_id, "--kind", "retired")
    server.cli("device", "revoke", ben.device_id, "--kind", "lost")
    handed = person_op(ann)
    answer = sync(server, ann, [handed])
    assert answer.status_code == 200 and answer.json()["retired"] is True
    lost = person_op(ben)
    refused = sync(server, ben, [lost])
    assert refused.status_code == 403 and refused.json()["kind"] == "lost"
    held = {key[1] for key in stored_rows(server.database_url)}
    assert handed["row"] in held and lost["row"] not in held
    # A retired laptop reported lost afterwards uploads nothing more; never the other way.
    server.cli("device", "revoke", ann.device_id, "--kind", "lost")
    assert sync(server, ann).status_code == 403
    assert server.cli("device", "revoke", ben.device_id, "--kind", "retired",
                      check=False).returncode == 1
    listing = server.cli("device", "list").stdout
    assert "revoked (lost)" in listing


# --- token lifetime -----------------------------------------------------------------------


def _set_expiry(server: RunningServer, device_id: str, seconds_from_now: float) -> None:
    engine = db.make_engine(server.database_url, pool_size=1)
    try:
        with db.write_transaction(engine) as conn:
            conn.execute(update(db.devices).where(db.devices.c.id == device_id)
                         .values(token_expires_at=accounts.wall_now() + seconds_from_now))
    finally:
        engine.dispose()


def test_a_token_near_its_end_is_renewed_in_a_sync_answer_and_an_old_one_expires(
    server: RunningServer,
) -> None:
    ann = enrol(server)
    first = sync(server, ann).json()
    assert first["token"] is None  # a fresh token needs no renewal
    _set_expiry(server, ann.device_id, 3600)  # an hour left of thirty days
    answer = sync(server, ann).json()
    renewed = answer["token"]
    assert renewed and renewed != ann.token
    # Say that answer was lost on the way: the old token still works and brings another.
    again = sync(server, ann)
    assert again.status_code == 200
    latest = again.json()["token"]
    assert latest not in (None, renewed)
    fresh = Enrolled(ann.name, ann.team, ann.password, ann.device_id, latest)
    used = sync(server, fresh)
    assert used.status_code == 200 and used.json()["token"] is None  # good for a lifetime
    for stale in (ann.token, renewed):  # once the fresh one is used, the others stop
        gone = sync(server, Enrolled(ann.name, ann.team, "", ann.device_id, stale))
        assert gone.status_code == 401 and gone.json()["code"] == "unknown_device"
    _set_expiry(server, ann.device_id, -1)
    expired = sync(server, fresh)
    assert expired.status_code == 401 and "run out" in expired.json()["detail"]


# --- throttling and memory ----------------------------------------------------------------


def test_parallel_wrong_passwords_for_one_name_check_at_most_five(
    proxied: RunningServer,
) -> None:
    ann = enrol(proxied)
    answers = in_parallel(60, lambda _i: register(proxied, ann.name, "wrong password guess",
                                                   via=address()))
    statuses = [a.status_code for a in answers]
    assert statuses.count(401) <= accounts.NAME_FREE_ATTEMPTS  # checked and wrong
    assert statuses.count(429) >= 60 - accounts.NAME_FREE_ATTEMPTS  # refused before hashing
    assert set(statuses) <= {401, 429}
    waits = [int(a.headers["retry-after"]) for a in answers if a.status_code == 429]
    assert max(waits) <= accounts.MAX_WAIT_SECONDS  # slowed, never locked out for long


def test_argon2_memory_stays_bounded_under_sixty_concurrent_logins(
    proxied: RunningServer,
) -> None:
    before = peak_memory_mib(proxied)
    answers = in_parallel(60, lambda i: register(proxied, f"nobody_{secrets.token_hex(6)}",
                                                  "some guess or other", via=address()))
    assert [a.status_code for a in answers] == [401] * 60  # every one was checked
    grown = peak_memory_mib(proxied) - before
    # Each check takes 64 MiB; 60 at once took the server from 72 to 1,159 MiB. Capped at
    # MAX_CONCURRENT_HASHES, the peak grows by at most that many hashes (plus slack).
    assert grown < (accounts.MAX_CONCURRENT_HASHES + 2) * 64, grown


def test_failures_under_made_up_names_cannot_lock_out_an_office(proxied: RunningServer) -> None:
    office = address()
    ann = enrol(proxied)
    assert register(proxied, ann.name, ann.password, via=office).status_code == 200
    for _ in range(40):
        register(proxied, f"made_up_{secrets.token_hex(4)}", "guess number one", via=office)
    slowed = register(proxied, f"made_up_{secrets.token_hex(4)}", "guess", via=office)
    assert slowed.status_code == 429  # the address is slowed for names it has not seen work
    assert int(slowed.headers["retry-after"]) <= accounts.MAX_WAIT_SECONDS
    # An adviser who has registered from the office before is not held up by it.
    assert register(proxied, ann.name, ann.password, via=office).status_code == 200
    # Another address is not affected at all.
    bob = enrol(proxied)
    assert register(proxied, bob.name, bob.password, via=address()).status_code == 200


def test_only_the_named_proxy_is_believed_about_addresses(server: RunningServer,
                                                          tmp_path: Path) -> None:
    """Without --behind-tls-proxy, X-Forwarded-For is anyone's to write and is ignored: a
    guesser cannot spread attempts over made-up addresses."""
    alone = start_server(f"sqlite+pysqlite:///{tmp_path / 's.db'}", tmp_path)
    try:
        ann = enrol(alone)
        for _ in range(accounts.NAME_FREE_ATTEMPTS):
            assert register(alone, ann.name, "wrong guess", via=address()).status_code == 401
        attempts = [register(alone, f"made_up_{i}", "guess", via=address()) for i in range(30)]
        # The 30 attempts all count against the one real address, whatever the header said.
        assert attempts[-1].status_code == 429
    finally:
        alone.stop()


# --- transport and the database file ------------------------------------------------------


def test_serve_refuses_a_network_address_without_tls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for host in ("0.0.0.0", "192.0.2.10", "sync.example.org"):
        code = cli.main(["serve", "--host", host, "--data-dir", str(tmp_path)])
        err = capsys.readouterr().err
        assert code == 1 and "without TLS" in err and "--behind-tls-proxy" in err
    code = cli.main(["serve", "--host", "0.0.0.0", "--behind-tls-proxy", "not an address",
                     "--data-dir", str(tmp_path)])
    assert code == 1 and "IP address" in capsys.readouterr().err


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    assert cli.main(["init", "--data-dir", str(tmp_path)]) == 0
    engine = db.make_engine(db.default_database_url(tmp_path), pool_size=1)
    try:
        with db.write_transaction(engine) as conn:  # a write makes the WAL file too
            accounts.add_team(conn, "North")
        made = [tmp_path / db.SQLITE_NAME, *tmp_path.glob(db.SQLITE_NAME + "-*")]
        assert len(made) >= 2
        for path in made:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        engine.dispose()
    # A file an older version left world-readable is tightened at the next start.
    (tmp_path / db.SQLITE_NAME).chmod(0o644)
    engine = db.make_engine(db.default_database_url(tmp_path), pool_size=1)
    engine.dispose()
    assert stat.S_IMODE((tmp_path / db.SQLITE_NAME).stat().st_mode) == 0o600


def test_a_training_store_is_refused_at_registration_and_sync(server: RunningServer) -> None:
    ann = enrol(server)
    refused = httpx.post(server.url + REGISTER_PATH, json={
        "protocol": PROTOCOL_VERSION, "adviser": ann.name, "password": ann.password,
        "device_id": secrets.token_hex(16), "training": True})
    assert refused.status_code == 403 and refused.json()["code"] == "training_store"
    assert "training copy" in refused.json()["detail"]
    op = person_op(ann)
    answer = httpx.post(server.url + SYNC_PATH, headers=ann.headers, json={
        "protocol": PROTOCOL_VERSION, "cursor": 0, "ops": [op], "training": True})
    assert answer.status_code == 403 and answer.json()["code"] == "training_store"
    assert op["row"] not in {key[1] for key in stored_rows(server.database_url)}


def test_no_password_reaches_the_log(proxied: RunningServer) -> None:
    marker = f"Unmistakable{secrets.token_hex(4)}"
    register(proxied, f"made_up_{new_id()[:8]}", marker, via=address())
    assert marker not in proxied.log_text()


def test_tokens_of_the_database_are_never_stored_in_clear(server: RunningServer) -> None:
    ann = enrol(server)
    sync(server, ann)
    engine = db.make_engine(server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            held = conn.execute(select(db.devices.c.token_hash, db.devices.c.pending_token_hash)
                                .where(db.devices.c.id == ann.device_id)).one()
    finally:
        engine.dispose()
    assert ann.token not in held and held[0] == accounts.token_hash(ann.token)
