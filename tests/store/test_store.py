"""The encrypted store: keys, passphrases, recovery, damage, and nothing readable on disk."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import Store, database_path, keyfile_path
from sp_desktop.store.errors import (
    DamagedStore,
    StoreExists,
    StoreLocked,
    WrongPassphrase,
    WrongRecoveryKey,
)
from tests.conftest import FAST_KDF, PASSPHRASE

NAMES = ["Zoë", "Siobhán", "Łukasz", "Dvořák", "Featherstonehaugh"]


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _fill(ws: Workspace) -> str:
    person = ws.people.create(
        given_name="Zoë Siobhán",
        family_name="Łukasz-Dvořák Featherstonehaugh",
        date_of_birth=date(1939, 2, 3),
        address="12 Featherstonehaugh Street",
    )
    return person.id


def test_created_store_reopens_with_its_passphrase(workspace: Workspace, store_dir: Path) -> None:
    person_id = _fill(workspace)
    workspace.close()
    reopened = Workspace.open(store_dir, PASSPHRASE)
    assert reopened.people.get(person_id).given_name == "Zoë Siobhán"
    reopened.close()


def test_wrong_passphrase_says_so_and_touches_no_file(
    workspace: Workspace, store_dir: Path
) -> None:
    _fill(workspace)
    workspace.close()
    before = _digest(store_dir)
    with pytest.raises(WrongPassphrase, match="did not unlock"):
        Store.open(store_dir, "not the passphrase")
    assert _digest(store_dir) == before


def test_files_on_disk_contain_none_of_the_names(workspace: Workspace, store_dir: Path) -> None:
    _fill(workspace)
    written = b"".join(p.read_bytes() for p in store_dir.rglob("*") if p.is_file())
    workspace.close()
    written += b"".join(p.read_bytes() for p in store_dir.rglob("*") if p.is_file())
    for name in NAMES:
        for encoding in ("utf-8", "utf-16-le"):
            assert name.encode(encoding) not in written


def test_data_folder_holds_only_the_store_files(workspace: Workspace, store_dir: Path) -> None:
    _fill(workspace)
    workspace.store.backup()
    names = {p.name for p in store_dir.iterdir()}
    assert names <= {
        "sp-desktop.db",
        "sp-desktop.db-wal",
        "sp-desktop.db-shm",
        "sp-desktop.keys",
        "sp-desktop.open",
        "sp-desktop.lock",
        "backups",
    }
    assert all(p.name.startswith("sp-desktop.db.") for p in (store_dir / "backups").iterdir())


def test_changing_the_passphrase_rewraps_without_reencrypting(
    workspace: Workspace, store_dir: Path
) -> None:
    person_id = _fill(workspace)
    workspace.close()
    store = Store.open(store_dir, PASSPHRASE)
    database_before = hashlib.sha256(database_path(store_dir).read_bytes()).hexdigest()
    keys_before = keyfile_path(store_dir).read_bytes()
    with pytest.raises(WrongPassphrase):
        store.change_passphrase("wrong old passphrase", "new passphrase for winter")
    assert keyfile_path(store_dir).read_bytes() == keys_before
    store.change_passphrase(PASSPHRASE, "new passphrase for winter")
    store.close()
    assert hashlib.sha256(database_path(store_dir).read_bytes()).hexdigest() == database_before
    assert keyfile_path(store_dir).read_bytes() != keys_before
    with pytest.raises(WrongPassphrase):
        Store.open(store_dir, PASSPHRASE)
    ws = Workspace.open(store_dir, "new passphrase for winter")
    assert ws.people.get(person_id).family_name.startswith("Łukasz")
    ws.close()


def test_recovery_key_sets_a_new_passphrase_and_loses_nothing(store_dir: Path) -> None:
    ws, recovery_key = Workspace.create(store_dir, PASSPHRASE, adviser="A", params=FAST_KDF)
    person_id = _fill(ws)
    ws.close()
    with pytest.raises(WrongRecoveryKey):
        Store.recover(store_dir, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", "whatever new")
    typed = recovery_key.lower().replace("-", " ")  # as read over the phone
    Store.recover(store_dir, typed, "my fresh passphrase").close()
    ws = Workspace.open(store_dir, "my fresh passphrase")
    assert ws.people.get(person_id).given_name == "Zoë Siobhán"
    ws.close()


def test_damaged_database_is_reported_by_name_and_left_as_it_was(
    workspace: Workspace, store_dir: Path
) -> None:
    _fill(workspace)
    workspace.close()
    path = database_path(store_dir)
    data = bytearray(path.read_bytes())
    data[4096 + 200] ^= 0xFF  # flip a byte inside the second page
    path.write_bytes(bytes(data))
    before = _digest(store_dir)
    with pytest.raises(DamagedStore) as caught:
        ws = Workspace.open(store_dir, PASSPHRASE)
        ws.caseload.rows()  # page 2 is read at the latest here
    assert str(path) in str(caught.value)
    assert _digest(store_dir) == before


def test_tampered_key_file_is_reported_calmly(workspace: Workspace, store_dir: Path) -> None:
    workspace.close()
    body = json.loads(keyfile_path(store_dir).read_text())
    body["passphrase"]["sealed"] = body["passphrase"]["sealed"][:-4] + "AAA="
    keyfile_path(store_dir).write_text(json.dumps(body))
    with pytest.raises(WrongPassphrase):
        Store.open(store_dir, PASSPHRASE)
    keyfile_path(store_dir).write_text("{not json")
    with pytest.raises(DamagedStore, match="sp-desktop.keys"):
        Store.open(store_dir, PASSPHRASE)


def test_a_store_is_never_created_over_another(workspace: Workspace, store_dir: Path) -> None:
    with pytest.raises(StoreExists):
        Store.create(store_dir, "another passphrase", params=FAST_KDF)


def test_pragmas_protect_what_the_adviser_typed(workspace: Workspace) -> None:
    with workspace.store.writer.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("temp_store") == 2  # MEMORY
        assert pragma("cipher_version")
        assert pragma("cipher_page_size") == "16384"  # recorded in the key file for later opens


def test_integrity_report_and_backup_open_with_the_same_key(workspace: Workspace) -> None:
    _fill(workspace)
    report = workspace.store.integrity_report()
    assert report.ok, report.findings
    assert any("Schema version" in f for f in report.findings)
    backup = workspace.store.backup()
    assert backup.exists() and b"Featherstonehaugh" not in backup.read_bytes()


def test_locking_drops_the_key_and_refuses_new_connections(workspace: Workspace) -> None:
    _fill(workspace)
    workspace.close()
    assert not workspace.store.is_open
    with pytest.raises(StoreLocked):
        workspace.caseload.rows()
