"""A new data key: old keys open nothing, every row survives, and a kill at any step is safe."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from sp_desktop import cli
from sp_desktop.services.demo import populate
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import (
    BACKUP_FOLDER,
    REKEY_SUFFIX,
    Store,
    _keyed_connection,
    database_path,
    keyfile_path,
    list_backups,
)
from sp_desktop.store.errors import DamagedStore, WrongPassphrase, WrongRecoveryKey
from sp_desktop.store.keyfile import format_recovery_key, parse_recovery_key
from tests.conftest import FAST_KDF, PASSPHRASE

Rows = dict[str, list[tuple[object, ...]]]


def _every_row(store: Store) -> Rows:
    """Every row of every table, in a stable order."""
    with store.reader.connect() as conn:
        tables = [
            str(name)
            for (name,) in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: sorted(
                (tuple(row) for row in conn.exec_driver_sql(f'SELECT * FROM "{table}"')),
                key=repr,
            )
            for table in tables
        }


def _made(folder: Path, people: int = 8) -> tuple[Rows, str]:
    """A closed store with a little of everything and one backup; its rows and recovery key."""
    ws, recovery_key = Workspace.create(folder, PASSPHRASE, adviser="Ann", params=FAST_KDF)
    try:
        populate(ws, people, seed=3)
        ws.people.create(given_name="Zoë", family_name="Łukasz", date_of_birth=date(1939, 2, 3))
        ws.store.backup()
        rows = _every_row(ws.store)
    finally:
        ws.close()
    return rows, recovery_key


def test_rekey_changes_every_key_and_keeps_every_row(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    rows, old_recovery = _made(folder)
    database_before = database_path(folder).read_bytes()
    store = Store.open(folder, PASSPHRASE)
    old_key = bytearray(store._data_key or b"")
    with pytest.raises(WrongPassphrase):
        store.rekey("not my passphrase at all", params=FAST_KDF)
    new_recovery = store.rekey(PASSPHRASE, params=FAST_KDF)
    assert _every_row(store) == rows, "the open store carries on with the new key"
    store.close()

    assert new_recovery != old_recovery
    assert database_path(folder).read_bytes() != database_before
    assert not list(folder.glob(f"*{REKEY_SUFFIX}*")), "nothing half-made is left"
    with pytest.raises(WrongRecoveryKey):
        Store.recover(folder, old_recovery, "orchid lantern pebble mosaic", params=FAST_KDF)
    old = _keyed_connection(database_path(folder), old_key, 16384, verify=False)
    try:
        with pytest.raises(Exception, match="not a database"):
            old.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        old.close()

    reopened = Store.open(folder, PASSPHRASE)  # the passphrase stays
    assert _every_row(reopened) == rows
    assert reopened.integrity_report().ok
    reopened.close()
    recovered = Store.recover(folder, new_recovery, "orchid lantern pebble mosaic",
                              params=FAST_KDF)
    assert _every_row(recovered) == rows
    recovered.close()


def test_backups_are_made_again_with_the_new_key(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    rows, _old = _made(folder)
    old_backups = {b.path.name for b in list_backups(folder)}
    assert old_backups
    store = Store.open(folder, PASSPHRASE)
    store.rekey(PASSPHRASE, params=FAST_KDF)
    key = bytearray(store._data_key or b"")
    store.close()
    backups = list_backups(folder)
    assert len(backups) == 1 and backups[0].path.name not in old_backups
    copy = _keyed_connection(backups[0].path, key, 16384)
    try:
        assert copy.execute("SELECT count(*) FROM people").fetchone() == (len(rows["people"]),)
    finally:
        copy.close()


def test_recovery_keys_read_back_exactly() -> None:
    raw = bytearray(range(20))
    assert parse_recovery_key(format_recovery_key(raw).lower().replace("-", " ")) == raw


def test_cli_rekey_shows_the_new_key_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "store"
    rows, old_recovery = _made(folder, people=2)
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    assert cli.main(["rekey", "--data-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    shown = out.split("Your new recovery key:", 1)[1].split()[0]
    assert shown != old_recovery and "old recovery key no longer opens" in out
    Store.recover(folder, shown, "orchid lantern pebble mosaic", params=FAST_KDF).close()
    assert not [p for p in folder.rglob("*") if p.is_file() and shown.encode() in p.read_bytes()]


# --- killed at every step ------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from sp_desktop.store.database import Store
    from sp_desktop.store.keyfile import Argon2Params

    kill_at = int(sys.argv[3])
    steps = [0]
    counting = [False]

    def step(name, real):
        def wrapped(*args, **kwargs):
            if counting[0]:
                steps[0] += 1
                if steps[0] == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return wrapped

    for name in ("replace", "rename", "fsync", "unlink", "remove", "rmdir"):
        setattr(os, name, step(name, getattr(os, name)))

    store = Store.open(Path(sys.argv[1]), sys.argv[2])
    counting[0] = True
    key = store.rekey(sys.argv[2], params=Argon2Params(memory_kib=8192, iterations=1, lanes=1))
    counting[0] = False
    print("REKEYED", key, "STEPS", steps[0], flush=True)
    store.close()
    """
)


def test_a_kill_at_any_step_of_a_rekey_leaves_a_store_that_opens(tmp_path: Path) -> None:
    template = tmp_path / "template"
    rows, old_recovery = _made(template, people=3)
    old_keys = keyfile_path(template).read_bytes()
    outcomes: dict[str, int] = {"old key file": 0, "new key file": 0}
    kill_at = 0
    while True:
        kill_at += 1
        assert kill_at < 200, "the rekey never finished"
        folder = tmp_path / f"run{kill_at}"
        shutil.copytree(template, folder)
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(folder), PASSPHRASE, str(kill_at)],
            capture_output=True, text=True, timeout=120,
        )
        finished = child.returncode == 0
        assert finished or child.returncode == -signal.SIGKILL, child.stderr

        store = Store.open(folder, PASSPHRASE)  # finishes or undoes what the kill cut short
        try:
            assert _every_row(store) == rows
            assert store.integrity_report().ok
        finally:
            store.close()
        assert not list(folder.glob(f"*{REKEY_SUFFIX}*"))
        if keyfile_path(folder).read_bytes() == old_keys:
            outcomes["old key file"] += 1
            Store.recover(folder, old_recovery, "orchid lantern pebble mosaic",
                          params=FAST_KDF).close()
        else:
            outcomes["new key file"] += 1
            with pytest.raises(WrongRecoveryKey):
                Store.recover(folder, old_recovery, "x", params=FAST_KDF)
            for backup in list_backups(folder):  # never a backup the key file cannot open
                assert backup.path.parent == folder / BACKUP_FOLDER
        shutil.rmtree(folder)
        if finished:
            assert "REKEYED" in child.stdout
            break
    print(f"kill points: {kill_at - 1}, outcomes: {outcomes}")
    assert outcomes["old key file"] >= 3 and outcomes["new key file"] >= 2


def test_a_damaged_store_is_not_rekeyed(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    _made(folder)
    store = Store.open(folder, PASSPHRASE)
    keys_before = keyfile_path(folder).read_bytes()
    try:
        path = database_path(folder)
        store.writer.dispose()
        store.reader.dispose()
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        with pytest.raises(DamagedStore):
            store.rekey(PASSPHRASE, params=FAST_KDF)
    finally:
        store.close(clean=False)
    assert keyfile_path(folder).read_bytes() == keys_before
    assert not list(folder.glob(f"*{REKEY_SUFFIX}*"))
