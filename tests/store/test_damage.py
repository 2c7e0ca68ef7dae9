"""Damage is found and named, never shown as a traceback, and never built over.

Every test damages a real SQLCipher store on disk the way a failing disk, a cut copy or a
meddler would, then looks at what the adviser (or `sp-desktop check`) is told.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sp_desktop.services.workspace import Workspace, restore_warning
from sp_desktop.store.database import (
    DAMAGED_FOLDER,
    OPEN_MARKER_NAME,
    Store,
    database_path,
    list_backups,
)
from sp_desktop.store.errors import DamagedStore, NewerStore
from tests.conftest import FAST_KDF, PASSPHRASE, give_consent

PAGE = 16384  # new stores' SQLCipher page size


def fill(ws: Workspace, people: int = 3) -> list[str]:
    """A few people, each with a visit and a concern (so `concerns` has rows)."""
    ids = []
    for n in range(people):
        person = ws.people.create(
            given_name=f"Person{n}", family_name="Damagetest", date_of_birth=date(1950, 1, 1)
        ).id
        give_consent(ws, person)
        visit = ws.visits.start(person, date(2026, 11, 2)).id
        ws.visits.add_concern(visit, "connection", "Lonely since the move", 6)
        ids.append(person)
    return ids


def root_page(ws: Workspace, table: str) -> int:
    with ws.store.read() as conn:
        found = conn.exec_driver_sql(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).scalar_one()
    return int(found)


def flip(path: Path, page: int, at: int = 700) -> None:
    """One byte of page `page` (1-based) turned over, as a failing disk would."""
    data = bytearray(path.read_bytes())
    data[(page - 1) * PAGE + at] ^= 0x5A
    path.write_bytes(bytes(data))


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name.startswith("sp-desktop.db")
    }


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sp_desktop.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "SP_DESKTOP_PASSPHRASE": PASSPHRASE},
        timeout=120,
    )


@pytest.mark.parametrize("where", ["concerns", "audit_events"])
def test_check_names_the_damaged_table_without_traceback_or_library_log(
    workspace: Workspace, store_dir: Path, where: str
) -> None:
    fill(workspace)
    page = root_page(workspace, where)
    workspace.close()
    flip(database_path(store_dir), page)

    done = cli("check", "--data-dir", str(store_dir))

    assert done.returncode == 1
    assert done.stderr == ""  # no traceback, no SQLCipher log lines
    assert f"Table {where}" in done.stdout
    assert f"page {page}" in done.stdout
    assert "The store is damaged" in done.stdout
    assert "Table people" not in done.stdout  # the healthy tables are not blamed


def test_the_last_page_of_the_file_is_checked_too(workspace: Workspace, store_dir: Path) -> None:
    fill(workspace)
    workspace.close()
    path = database_path(store_dir)
    last = path.stat().st_size // PAGE
    flip(path, last)
    report = Workspace.check(store_dir, PASSPHRASE)
    assert not report.ok
    assert report.bad_pages == [last]


def test_unlock_finds_damage_before_anyone_works_on_the_store(
    workspace: Workspace, store_dir: Path
) -> None:
    """A clean shutdown, then a damaged page: unlock refuses (every page is checked at each
    unlock) instead of showing a caseload that fails on the first read of the damaged table."""
    fill(workspace)
    page = root_page(workspace, "concerns")
    workspace.close()
    assert not (store_dir / OPEN_MARKER_NAME).exists()
    flip(database_path(store_dir), page)
    before = digest(store_dir)
    with pytest.raises(DamagedStore) as caught:
        Workspace.open(store_dir, PASSPHRASE)
    assert any("concerns" in finding for finding in caught.value.findings)
    assert caught.value.backup is None  # none taken yet: nothing to offer
    assert "contact your office" in str(caught.value)
    assert digest(store_dir) == before  # left exactly as it was


def test_a_damaged_read_does_not_break_the_healthy_tables(
    workspace: Workspace, store_dir: Path
) -> None:
    people = fill(workspace)
    page = root_page(workspace, "concerns")
    workspace.close()
    ws = Workspace.open(store_dir, PASSPHRASE)
    try:
        flip(database_path(store_dir), page)  # goes bad while the store is open
        ws.store.reader.dispose()  # so the pages are read from disk, not a cache
        with pytest.raises(DamagedStore):
            ws.visits.concerns_of(people[0])
        for _ in range(10):  # more than the pool holds: no connection stays broken
            assert {row.person_id for row in ws.caseload.rows()} == set(people)
    finally:
        ws.close()


def test_an_empty_database_is_damage_and_gets_no_schema(
    workspace: Workspace, store_dir: Path
) -> None:
    workspace.close()
    path = database_path(store_dir)
    path.write_bytes(b"")
    with pytest.raises(DamagedStore) as caught:
        Workspace.open(store_dir, PASSPHRASE)
    assert "empty" in " ".join(caught.value.findings)
    assert "left exactly as it was" in str(caught.value)
    assert path.stat().st_size == 0  # still empty: nothing was built into it
    assert not any(p.name.endswith(("-wal", "-shm")) for p in store_dir.iterdir())

    done = cli("check", "--data-dir", str(store_dir))
    assert done.returncode == 1 and done.stderr == ""
    assert "empty (0 bytes)" in done.stdout
    assert path.stat().st_size == 0


@pytest.mark.parametrize("keep", ["half the pages", "half a page"])
def test_a_cut_short_database_is_damage(workspace: Workspace, store_dir: Path, keep: str) -> None:
    fill(workspace)
    workspace.close()
    path = database_path(store_dir)
    data = path.read_bytes()
    pages = len(data) // PAGE
    cut = (pages // 2) * PAGE if keep == "half the pages" else PAGE + PAGE // 2
    path.write_bytes(data[:cut])
    with pytest.raises(DamagedStore):
        Workspace.open(store_dir, PASSPHRASE)
    assert path.stat().st_size == cut
    report = Workspace.check(store_dir, PASSPHRASE)
    assert not report.ok and report.problems


def test_a_store_from_a_newer_version_is_left_alone_with_a_calm_message(
    workspace: Workspace, store_dir: Path
) -> None:
    with workspace.store.write() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    workspace.close()
    before = digest(store_dir)
    with pytest.raises(NewerStore, match="made by a newer version of SP Desktop"):
        Workspace.open(store_dir, PASSPHRASE)
    assert digest(store_dir) == before
    done = cli("check", "--data-dir", str(store_dir))
    assert "made by a newer version of SP Desktop" in done.stdout and done.stderr == ""


@pytest.mark.parametrize("meddling", ["delete a middle event", "delete the newest event",
                                      "change an event"])
def test_check_finds_a_meddled_audit_trail(
    workspace: Workspace, store_dir: Path, meddling: str
) -> None:
    fill(workspace)
    assert Workspace.check.__self__ is Workspace  # (a classmethod: works on a locked store)
    with workspace.store.write() as conn:
        seqs = [r[0] for r in conn.exec_driver_sql("SELECT seq FROM audit_events ORDER BY seq")]
        assert len(seqs) >= 3
        if meddling == "delete a middle event":
            conn.exec_driver_sql("DELETE FROM audit_events WHERE seq = ?", (seqs[1],))
        elif meddling == "delete the newest event":
            conn.exec_driver_sql("DELETE FROM audit_events WHERE seq = ?", (seqs[-1],))
        else:
            conn.exec_driver_sql("UPDATE audit_events SET action = 'viewed' WHERE seq = ?",
                                 (seqs[1],))
    workspace.close()
    report = Workspace.check(store_dir, PASSPHRASE)
    assert not report.ok
    assert [p for p in report.problems if p.startswith("Audit trail: damaged")]


def test_check_finds_a_damaged_outbox_entry(workspace: Workspace, store_dir: Path) -> None:
    fill(workspace)
    with workspace.store.write() as conn:
        conn.exec_driver_sql(
            "UPDATE outbox SET fields = '{not json' WHERE seq = (SELECT min(seq) FROM outbox)"
        )
    workspace.close()
    report = Workspace.check(store_dir, PASSPHRASE)
    assert not report.ok
    assert any(p.startswith("Changes waiting for the office: 1 of") for p in report.problems)


def test_a_healthy_store_checks_healthy(workspace: Workspace, store_dir: Path) -> None:
    fill(workspace)
    workspace.close()
    done = cli("check", "--data-dir", str(store_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The store is healthy." in done.stdout
    assert "Audit trail:" in done.stdout and "Changes waiting for the office:" in done.stdout


def test_the_newest_good_backup_is_offered_and_restored(store_dir: Path) -> None:
    ws, _ = Workspace.create(store_dir, PASSPHRASE, adviser="A", params=FAST_KDF)
    kept = fill(ws, 2)
    good = ws.back_up_if_due()
    assert good is not None and ws.back_up_if_due() is None  # one per BACKUP_EVERY
    later = fill(ws, 1)  # saved after the backup: restoring loses it
    damaged_backup = ws.store.backup()  # newer, but it will not pass its check
    page = root_page(ws, "concerns")
    ws.close()
    flip(damaged_backup, page)
    flip(database_path(store_dir), page)
    damaged = digest(store_dir)

    with pytest.raises(DamagedStore) as caught:
        Workspace.open(store_dir, PASSPHRASE)
    offer = caught.value.backup
    assert offer is not None and offer.path == good  # the newer one failed its own check
    assert "A good backup from before the damage can be restored" in str(caught.value)
    assert "after that time would be lost" in restore_warning(offer)

    told = cli("check", "--data-dir", str(store_dir))
    assert told.returncode == 1 and told.stderr == ""
    assert offer.describe() in told.stdout and "check --restore" in told.stdout
    assert digest(store_dir) == damaged  # only told, nothing changed

    ws = Workspace.restore_backup(store_dir, PASSPHRASE, offer)
    try:
        assert {row.person_id for row in ws.caseload.rows()} == set(kept)
        assert ws.visits.concerns_of(kept[0])
        assert ws.store.integrity_report().ok
    finally:
        ws.close()
    [aside] = (store_dir / DAMAGED_FOLDER).iterdir()
    assert digest(aside) == damaged  # the damaged file is kept, unchanged
    assert later[0] not in {p for p in kept}


def test_check_restore_from_the_command_line(store_dir: Path) -> None:
    ws, _ = Workspace.create(store_dir, PASSPHRASE, adviser="A", params=FAST_KDF)
    kept = fill(ws, 2)
    ws.store.backup()
    page = root_page(ws, "people")
    ws.close()
    flip(database_path(store_dir), page)

    done = cli("check", "--restore", "--data-dir", str(store_dir))

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    assert "Restored the backup from" in done.stdout
    assert cli("check", "--data-dir", str(store_dir)).returncode == 0
    ws = Workspace.open(store_dir, PASSPHRASE)
    try:
        assert {row.person_id for row in ws.caseload.rows()} == set(kept)
    finally:
        ws.close()


def test_a_backup_cut_short_is_never_taken_for_a_backup(workspace: Workspace) -> None:
    fill(workspace)
    folder = workspace.store.folder / "backups"
    folder.mkdir()
    (folder / "sp-desktop.db.20260101T000000000000.part").write_bytes(b"half a copy")
    assert list_backups(workspace.store.folder) == []
    made = workspace.store.backup()
    assert [b.path for b in list_backups(workspace.store.folder)] == [made]


def test_restore_refuses_a_backup_that_fails_its_check(store_dir: Path) -> None:
    ws, _ = Workspace.create(store_dir, PASSPHRASE, adviser="A", params=FAST_KDF)
    fill(ws, 1)
    backup_path = ws.store.backup()
    ws.close()
    [backup] = list_backups(store_dir)
    flip(backup_path, 2)
    before = digest(store_dir)
    with pytest.raises(DamagedStore):
        Store.restore(store_dir, PASSPHRASE, backup)
    assert digest(store_dir) == before
    assert not (store_dir / DAMAGED_FOLDER).exists()

