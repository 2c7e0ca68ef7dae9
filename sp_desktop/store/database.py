"""Opening, creating and checking the encrypted store.

The data key is set as the first statement on every connection (never in a URL, where it would
leak into logs and reprs), the SQLCipher format is pinned, and a driver without SQLCipher is
refused before anything is written. Writes go through one writer connection (`writer`), reads
through a small pool (`reader`); WAL lets them run side by side.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.exc import DatabaseError as SqlDatabaseError
from sqlalchemy.pool import QueuePool

from sp_desktop.domain.ids import new_id
from sp_desktop.store import migrations
from sp_desktop.store.errors import (
    DamagedStore,
    NotEncrypted,
    StoreError,
    StoreExists,
    StoreLocked,
    StoreMissing,
)
from sp_desktop.store.keyfile import Argon2Params, KeyFile, atomic_write
from sp_desktop.store.schema import store_meta

log = logging.getLogger(__name__)
_DAMAGE_SIGNS = ("malformed", "not a database", "file is encrypted", "corrupt")

DATABASE_NAME = "sp-desktop.db"
KEYFILE_NAME = "sp-desktop.keys"
OPEN_MARKER_NAME = "sp-desktop.open"  # present while open: its presence at unlock means a crash
BACKUP_FOLDER = "backups"
BACKUPS_KEPT = 3


def database_path(folder: Path) -> Path:
    return folder / DATABASE_NAME


def keyfile_path(folder: Path) -> Path:
    return folder / KEYFILE_NAME


def store_exists(folder: Path) -> bool:
    return keyfile_path(folder).exists()


def _keyed_connection(path: Path, data_key: bytes, page_size: int) -> sqlcipher.Connection:
    """A connection whose very first statement sets the raw key; the key never leaves memory."""
    conn = sqlcipher.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    conn.execute("PRAGMA cipher_compatibility = 4")
    conn.execute(f"PRAGMA cipher_page_size = {int(page_size)}")
    cipher_version = conn.execute("PRAGMA cipher_version").fetchone()
    if not cipher_version or not cipher_version[0]:
        conn.close()
        raise NotEncrypted()
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError as exc:
        conn.close()
        raise DamagedStore(path, str(exc)) from exc
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    # Every page read from disk must be decrypted and checked: a larger page cache (32 MiB,
    # against SQLite's 2 MiB default) keeps the caseload's pages decrypted once per session.
    conn.execute("PRAGMA cache_size = -32768")
    return conn


def _engine(path: Path, data_key: Callable[[], bytes], page_size: int, *, writer: bool) -> Engine:
    """An engine whose connections fetch the key when made: once the store is locked, the
    engine holds no reference to key material and can make no new connection."""
    engine = create_engine(
        "sqlite://",
        creator=lambda: _keyed_connection(path, data_key(), page_size),
        module=sqlcipher,
        poolclass=QueuePool,
        # One writer connection serialises every write across threads; readers share a few.
        pool_size=1 if writer else 4,
        max_overflow=0 if writer else 4,
        pool_timeout=60,
    )
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:  # the driver runs in autocommit; we own BEGIN
        conn.exec_driver_sql(begin)

    return engine


@dataclass
class CheckReport:
    """What `sp-desktop check` found, in sentences a person can read."""

    ok: bool = True
    findings: list[str] = field(default_factory=list)

    def add(self, ok: bool, finding: str) -> None:
        self.ok = self.ok and ok
        self.findings.append(finding)


class Store:
    """An unlocked store. Dropping it (`close`) disposes the engines and forgets the key."""

    def __init__(self, folder: Path, keyfile: KeyFile, data_key: bytes) -> None:
        self.folder = folder
        self.store_id = keyfile.store_id
        self._keyfile = keyfile
        self._data_key: bytes | None = data_key
        self.page_size = keyfile.page_size
        self.writer = _engine(database_path(folder), self._require_key, self.page_size, writer=True)
        self.reader = _engine(
            database_path(folder), self._require_key, self.page_size, writer=False
        )

    # --- lifecycle -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        folder: Path,
        passphrase: str,
        *,
        device_id: str | None = None,
        adviser: str = "",
        params: Argon2Params | None = None,
    ) -> tuple[Store, str]:
        """A new empty store; returns it and the recovery key, to be shown once."""
        folder.mkdir(parents=True, exist_ok=True)
        if store_exists(folder) or database_path(folder).exists():
            raise StoreExists(folder)
        store_id = new_id()
        keyfile, data_key, recovery_key = KeyFile.create(store_id, passphrase, params)
        store = cls(folder, keyfile, data_key)
        try:
            migrations.upgrade(store.writer)
            with store.writer.begin() as conn:
                device = device_id or new_id().replace("-", "")
                conn.execute(
                    store_meta.insert(),
                    [
                        {"key": "store_id", "value": store_id},
                        {"key": "device_id", "value": device},
                        {"key": "adviser", "value": adviser},
                        {"key": "created_at", "value": _now()},
                    ],
                )
        except BaseException:
            store.close()
            shutil.rmtree(folder / BACKUP_FOLDER, ignore_errors=True)
            for leftover in folder.glob(DATABASE_NAME + "*"):
                leftover.unlink()
            raise
        # The key file is written last: a half-created store is never mistaken for a real one.
        keyfile.save(keyfile_path(folder))
        store._mark_open()
        return store, recovery_key

    @classmethod
    def open(cls, folder: Path, passphrase: str) -> Store:
        """Unlocks with the passphrase. A wrong one raises WrongPassphrase and touches nothing."""
        keyfile = cls._load_keyfile(folder)
        return cls._open(folder, keyfile, keyfile.unwrap_with_passphrase(passphrase))

    @classmethod
    def recover(cls, folder: Path, recovery_key: str, new_passphrase: str) -> Store:
        """Unlocks with the recovery key and sets a new passphrase; no data is lost."""
        keyfile = cls._load_keyfile(folder)
        data_key = keyfile.unwrap_with_recovery_key(recovery_key)
        store = cls._open(folder, keyfile, data_key)
        store._rewrap(new_passphrase)
        return store

    @classmethod
    def _load_keyfile(cls, folder: Path) -> KeyFile:
        if not store_exists(folder):
            raise StoreMissing(folder)
        if not database_path(folder).exists():
            raise DamagedStore(database_path(folder), "database file missing")
        return KeyFile.load(keyfile_path(folder))

    @classmethod
    def _open(cls, folder: Path, keyfile: KeyFile, data_key: bytes) -> Store:
        crashed = (folder / OPEN_MARKER_NAME).exists()
        store = cls(folder, keyfile, data_key)
        try:
            if crashed:
                report = store.integrity_report()
                if not report.ok:
                    raise DamagedStore(database_path(folder), "; ".join(report.findings))
            migrations.upgrade(store.writer)
        except StoreError:
            store.close(clean=False)
            raise
        except (sqlcipher.DatabaseError, SqlDatabaseError) as exc:
            store.close(clean=False)
            raise DamagedStore(database_path(folder), str(exc)) from exc
        store._mark_open()
        return store

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewraps the data key under the new passphrase; the database is not re-encrypted."""
        self._keyfile.unwrap_with_passphrase(old)  # proves the old one; raises if wrong
        self._rewrap(new)

    def _rewrap(self, passphrase: str) -> None:
        self._keyfile = self._keyfile.rewrapped(self._require_key(), passphrase)
        self._keyfile.save(keyfile_path(self.folder))

    def close(self, *, clean: bool = True) -> None:
        """Disposes the engines and drops the key, so a locked laptop holds no key material."""
        self.writer.dispose()
        self.reader.dispose()
        self._data_key = None
        if clean:
            with contextlib.suppress(FileNotFoundError):
                (self.folder / OPEN_MARKER_NAME).unlink()

    @property
    def is_open(self) -> bool:
        return self._data_key is not None

    def _require_key(self) -> bytes:
        if self._data_key is None:
            raise StoreLocked()
        return self._data_key

    def _mark_open(self) -> None:
        atomic_write(self.folder / OPEN_MARKER_NAME, b"")

    # --- metadata --------------------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self.reader.connect() as conn:
            value = conn.execute(select(store_meta.c.value).where(store_meta.c.key == key))
            found = value.scalar_one_or_none()
        return default if found is None else str(found)

    def set_meta(self, conn: Connection, key: str, value: str) -> None:
        """Upsert inside the caller's transaction, so metadata commits with what it describes."""
        updated = conn.execute(
            store_meta.update().where(store_meta.c.key == key).values(value=value)
        )
        if updated.rowcount == 0:
            conn.execute(store_meta.insert().values(key=key, value=value))

    @property
    def device_id(self) -> str:
        device = self.meta("device_id")
        if device is None:
            raise DamagedStore(database_path(self.folder), "no device id")
        return device

    # --- checks and backups ------------------------------------------------------------------

    def integrity_report(self) -> CheckReport:
        """Cipher page HMACs, SQLite structure and schema version, each as a sentence."""
        report = CheckReport()
        with self.reader.connect() as conn:
            cipher = conn.exec_driver_sql("PRAGMA cipher_version").scalar()
            report.add(bool(cipher), f"Encryption: SQLCipher {cipher}.")
            bad_pages = conn.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall()
            report.add(
                not bad_pages,
                "Encrypted pages: all intact."
                if not bad_pages
                else f"Encrypted pages: {len(bad_pages)} problem(s) found.",
            )
            quick = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
            report.add(
                quick == ["ok"],
                "Database structure: ok."
                if quick == ["ok"]
                else f"Database structure: {'; '.join(quick[:5])}.",
            )
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            report.add(
                not fk,
                "Links between records: ok."
                if not fk
                else f"Links between records: {len(fk)} broken.",
            )
            version = migrations.current_revision(conn)
        head = migrations.HEAD_REVISION
        report.add(
            version == head,
            f"Schema version: {version} (current)."
            if version == head
            else f"Schema version: {version}, expected {head}.",
        )
        return report

    def backup(self) -> Path:
        """An encrypted copy via the SQLite backup API; only the newest BACKUPS_KEPT are kept."""
        folder = self.folder / BACKUP_FOLDER
        folder.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        target_path = folder / f"{DATABASE_NAME}.{stamp}"
        target = _keyed_connection(target_path, self._require_key(), self.page_size)
        try:
            raw = self.reader.raw_connection()
            try:
                source: Any = raw.driver_connection
                source.backup(target)
            finally:
                raw.close()
        finally:
            target.close()
        for extra in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(str(target_path) + extra)
        for old in sorted(folder.glob(f"{DATABASE_NAME}.*"))[:-BACKUPS_KEPT]:
            old.unlink()
        return target_path

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction on the writer connection (BEGIN IMMEDIATE, durable on commit)."""
        with self._known_errors(), self.writer.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self._known_errors(), self.reader.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def _known_errors(self) -> Iterator[None]:
        """Damage found mid-session is a known error (calm message naming the file), not a bug."""
        try:
            yield
        except SqlDatabaseError as exc:
            text = str(exc.orig).lower()
            if isinstance(exc.orig, sqlcipher.DatabaseError) and any(
                sign in text for sign in _DAMAGE_SIGNS
            ):
                raise DamagedStore(database_path(self.folder), str(exc.orig)) from exc
            if "disk is full" in text or "database or disk is full" in text:
                raise StoreError(
                    "The laptop's disk is full, so this could not be saved. "
                    "Free some space and try again: nothing you typed has been lost."
                ) from exc
            if "readonly" in text or "read-only" in text:
                raise StoreError(
                    f"The store in {self.folder} cannot be written to (read-only). "
                    "Please contact your office."
                ) from exc
            raise


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def delete_store_files(folder: Path) -> None:
    """Crypto-shred: the key file goes first, so the database is unreadable even if its removal
    is interrupted; then the database, its journals and backups."""
    with contextlib.suppress(FileNotFoundError):
        keyfile_path(folder).unlink()
    for path in folder.glob(DATABASE_NAME + "*"):
        path.unlink()
    shutil.rmtree(folder / BACKUP_FOLDER, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (folder / OPEN_MARKER_NAME).unlink()
