"""Opening, creating and checking the encrypted store.

The data key is set as the first statement on every connection (never in a URL, where it would
leak into logs and reprs), the SQLCipher format is pinned, and a driver without SQLCipher is
refused before anything is written. Writes go through one writer connection (`writer`), reads
through a small pool (`reader`); WAL lets them run side by side.

One process at a time holds a store (an operating-system file lock, from unlock to lock), and
nothing here ever creates a schema inside a file that already exists: an empty, cut-short or
damaged file is reported, with the newest backup that passes the same check.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hmac
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, ExceptionContext, create_engine, event, select
from sqlalchemy.exc import DatabaseError as SqlDatabaseError
from sqlalchemy.pool import QueuePool

from sp_desktop.domain.ids import new_id
from sp_desktop.domain.passphrase import require_strong
from sp_desktop.store import migrations
from sp_desktop.store.check import CheckReport, check_file, check_pages
from sp_desktop.store.errors import (
    DamagedStore,
    DiskFull,
    NewerStore,
    NotEncrypted,
    StoreError,
    StoreExists,
    StoreInUse,
    StoreLocked,
    StoreMissing,
    StoreReadOnly,
    WrongPassphrase,
)
from sp_desktop.store.files import DATABASE_NAME as DATABASE_NAME  # re-exported, as before
from sp_desktop.store.files import KEYFILE_NAME as KEYFILE_NAME
from sp_desktop.store.files import database_path as database_path
from sp_desktop.store.files import keyfile_path as keyfile_path
from sp_desktop.store.files import store_exists as store_exists
from sp_desktop.store.keyfile import (
    Argon2Params,
    KeyFile,
    atomic_write,
    fsync_folder,
    sqlcipher_raw_key,
    wipe,
)
from sp_desktop.store.schema import store_meta

log = logging.getLogger(__name__)
_DAMAGE_SIGNS = ("malformed", "not a database", "file is encrypted", "corrupt")

OPEN_MARKER_NAME = "sp-desktop.open"  # present while open: its presence at unlock means a crash
LOCK_NAME = "sp-desktop.lock"  # the operating-system lock: one process per store
BACKUP_FOLDER = "backups"
DAMAGED_FOLDER = "damaged"  # a damaged file replaced by a backup is kept here, as it was
BACKUPS_KEPT = 3
_BACKUP_STAMP = "%Y%m%dT%H%M%S%f"


# Decrypted pages each connection may keep. The writer's is large (a sync's bulk writes reach
# every index); a reader's is small, because up to eight readers each keep their own copy of
# the same pages for the whole session, and a write in WAL mode makes them all read again
# anyway (32 MiB each left ~16 MiB more in the app after the caseload's first read).
WRITER_CACHE_KIB = 32 * 1024
READER_CACHE_KIB = 4 * 1024
BACKUP_CACHE_KIB = 1024  # a backup reads each page once


def _keyed_connection(
    path: Path,
    data_key: bytearray,
    page_size: int,
    *,
    verify: bool = True,
    cache_kib: int = WRITER_CACHE_KIB,
) -> sqlcipher.Connection:
    """A connection whose very first statement sets the raw key; the key never leaves memory.

    `verify=False` (the damage check only) skips reading the list of tables and every setting
    that could write, so the pages can be checked even when that list is damaged."""
    conn = sqlcipher.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    # sqlite3_key with the raw-key text built in a buffer that is zeroed at once: no SQL text
    # (which the driver caches) and no hex string of the key is ever made.
    key_text = sqlcipher_raw_key(data_key)
    try:
        conn.set_key(key_text)
    finally:
        wipe(key_text)
    conn.execute("PRAGMA cipher_compatibility = 4")
    conn.execute(f"PRAGMA cipher_page_size = {int(page_size)}")
    cipher_version = conn.execute("PRAGMA cipher_version").fetchone()
    if not cipher_version or not cipher_version[0]:
        conn.close()
        raise NotEncrypted()
    if not verify:
        return conn
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError as exc:
        conn.close()
        raise _known(path, exc) or DamagedStore(path, str(exc)) from exc
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    return conn


def _known(path: Path, exc: BaseException) -> StoreError | None:
    """The known error a driver error stands for (read-only, disk full, damage), or None."""
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return DiskFull()
    if "readonly" in text or "read-only" in text or "unable to open database file" in text:
        return StoreReadOnly(path.parent)
    if isinstance(exc, sqlcipher.DatabaseError) and any(s in text for s in _DAMAGE_SIGNS):
        return DamagedStore(path, str(exc))
    return None


def _os_known(folder: Path, exc: OSError) -> StoreError | None:
    """A full disk or a read-only place, from a file operation of our own."""
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreReadOnly(folder)
    if exc.errno == errno.ENOSPC:
        return DiskFull()
    return None


@functools.cache
def _quiet_cipher_log() -> None:
    """SQLCipher writes ~100 lines to stderr on a damaged page; the check says it in words
    instead. The setting is process-wide, so one in-memory connection sets it."""
    conn = sqlcipher.connect(":memory:")
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
    finally:
        conn.close()


def _engine(
    path: Path, data_key: Callable[[], bytearray], page_size: int, *, writer: bool
) -> Engine:
    """An engine whose connections fetch the key when made: once the store is locked, the
    engine holds no reference to key material and can make no new connection."""
    _quiet_cipher_log()
    engine = create_engine(
        "sqlite://",
        creator=lambda: _keyed_connection(
            path, data_key(), page_size, cache_kib=WRITER_CACHE_KIB if writer else READER_CACHE_KIB
        ),
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

    @event.listens_for(engine, "handle_error")
    def _drop_damaged(context: ExceptionContext) -> None:
        # A connection that met a damaged page refuses every later read, healthy tables too:
        # it is thrown away (only it), so the next read gets a fresh one.
        text = str(context.original_exception).lower()
        if any(sign in text for sign in _DAMAGE_SIGNS):
            context.is_disconnect = True
            context.invalidate_pool_on_disconnect = False

    return engine


def _checker(
    path: Path, data_key: bytearray, page_size: int
) -> Callable[[bool], sqlcipher.Connection]:
    """Keyed connections for the check; the argument says whether to verify the key."""
    _quiet_cipher_log()

    def connect(verify: bool) -> sqlcipher.Connection:
        conn = _keyed_connection(path, data_key, page_size, verify=verify)
        if verify:
            # The check reads every page once: a small cache, or unlocking would leave a whole
            # cache of decrypted pages (32 MiB) behind in the app's memory.
            conn.execute("PRAGMA cache_size = -1024")
        return conn

    return connect


class ProcessLock:
    """One process per store: an operating-system lock on a file in the store's folder (filelock
    works the same on Windows, macOS and Linux), held from unlock to lock.

    Inside one process the lock is counted, so a test or a tool may open the same store twice;
    `release` says whether this was the last holder, the only one that may remove the crash
    marker.
    """

    _held: dict[Path, tuple[FileLock, int]] = {}  # one table per process: folder -> (lock, holders)
    _guard = threading.Lock()

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self._released = False

    @classmethod
    def acquire(cls, folder: Path) -> ProcessLock:
        """Raises StoreInUse when another process holds the store."""
        lock = cls(folder)
        with cls._guard:
            held = cls._held.get(lock.folder)
            if held is None:
                # thread_local=False: unlock runs on a worker thread, lock on the writer thread.
                file_lock = FileLock(str(lock.folder / LOCK_NAME), timeout=0, thread_local=False)
                try:
                    file_lock.acquire()
                except Timeout:
                    raise StoreInUse(folder) from None
                except OSError as exc:
                    known = _os_known(folder, exc)
                    if known is None:
                        raise
                    raise known from exc
                cls._held[lock.folder] = (file_lock, 1)
            else:
                cls._held[lock.folder] = (held[0], held[1] + 1)
        return lock

    def release(self) -> bool:
        """True if no other holder in this process remains (the lock is free for others)."""
        if self._released:
            return False
        self._released = True
        with self._guard:
            file_lock, count = self._held[self.folder]
            if count > 1:
                self._held[self.folder] = (file_lock, count - 1)
                return False
            del self._held[self.folder]
            file_lock.release()
            return True


@dataclass(frozen=True)
class Backup:
    """One rolling backup: an encrypted copy of the whole store, as it was at `taken_at` (UTC)."""

    path: Path
    taken_at: datetime

    def describe(self) -> str:
        """'3 March 2026 at 14:02', in the laptop's time zone."""
        local = self.taken_at.astimezone()
        return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def list_backups(folder: Path) -> list[Backup]:
    """The store's backups, newest first; copies never finished (`.part`) are not backups."""
    found = []
    for path in (folder / BACKUP_FOLDER).glob(f"{DATABASE_NAME}.*"):
        stamp = path.name[len(DATABASE_NAME) + 1 :]
        try:
            taken = datetime.strptime(stamp, _BACKUP_STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        found.append(Backup(path, taken))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def newest_good_backup(folder: Path, data_key: bytearray, page_size: int) -> Backup | None:
    """The newest backup that passes the full check itself (a damaged copy is no rescue)."""
    for backup in list_backups(folder):
        if check_file(backup.path, page_size, _checker(backup.path, data_key, page_size)).ok:
            return backup
    return None


class Store:
    """An unlocked store. Dropping it (`close`) disposes the engines, forgets the key and lets
    go of the process lock."""

    def __init__(
        self, folder: Path, keyfile: KeyFile, data_key: bytearray, lock: ProcessLock | None = None
    ) -> None:
        self.folder = folder
        self._lock = lock
        self.store_id = keyfile.store_id
        self._keyfile = keyfile
        self._data_key: bytearray | None = data_key  # zeroed by close(); never copied
        self.page_size = keyfile.page_size
        self.writer = _engine(database_path(folder), self._require_key, self.page_size, writer=True)
        self.reader = _engine(
            database_path(folder), self._require_key, self.page_size, writer=False
        )
        self._pages_unchecked = False  # opened with check_pages_later, check not yet done
        self._damage_found = False  # found after opening: closing keeps the crash marker

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
        require_strong(passphrase, [adviser])
        folder.mkdir(parents=True, exist_ok=True)
        if store_exists(folder) or database_path(folder).exists():
            raise StoreExists(folder)
        with cls._locked(folder) as lock:
            if store_exists(folder) or database_path(folder).exists():  # made meanwhile
                raise StoreExists(folder)
            store_id = new_id()
            keyfile, data_key, recovery_key = KeyFile.create(store_id, passphrase, params)
            store = cls(folder, keyfile, data_key, lock)
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
    def open(cls, folder: Path, passphrase: str, *, check_pages_later: bool = False) -> Store:
        """Unlocks with the passphrase. A wrong one raises WrongPassphrase and touches nothing.

        `check_pages_later`: the every-page cipher check of a cleanly closed store (a third of
        a second at 10,000 people, 1.5 s at 50,000) is left to `finish_page_check`, run in the
        background once the caseload is on its way. A store that crashed, or whose schema must
        be brought up to date, is still checked in full before anything is read or written."""
        keyfile = cls._load_keyfile(folder)
        with cls._locked(folder) as lock:
            data_key = keyfile.unwrap_with_passphrase(passphrase)
            try:
                return cls._open(folder, keyfile, data_key, lock, defer_pages=check_pages_later)
            except BaseException:
                wipe(data_key)
                raise

    @classmethod
    def recover(
        cls,
        folder: Path,
        recovery_key: str,
        new_passphrase: str,
        *,
        params: Argon2Params | None = None,
    ) -> Store:
        """Unlocks with the recovery key and sets a new passphrase; no data is lost."""
        keyfile = cls._load_keyfile(folder)
        with cls._locked(folder) as lock:
            data_key = keyfile.unwrap_with_recovery_key(recovery_key)
            try:
                require_strong(new_passphrase)
                store = cls._open(folder, keyfile, data_key, lock)
            except BaseException:
                wipe(data_key)
                raise
        try:
            store._rewrap(new_passphrase, params)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def check(cls, folder: Path, passphrase: str) -> CheckReport:
        """`sp-desktop check`: the whole check of a locked store, writing nothing and creating
        nothing; when it finds damage, the report carries the newest good backup."""
        keyfile = cls._load_keyfile(folder, database_needed=False)
        with cls._locked(folder) as lock:
            try:
                data_key = keyfile.unwrap_with_passphrase(passphrase)
                try:
                    path, page_size = database_path(folder), keyfile.page_size
                    report = check_file(path, page_size, _checker(path, data_key, page_size))
                    if not report.ok:
                        report.backup = newest_good_backup(folder, data_key, page_size)
                    return report
                finally:
                    wipe(data_key)
            finally:
                lock.release()

    @classmethod
    def restore(cls, folder: Path, passphrase: str, backup: Backup) -> Store:
        """Puts `backup` in place of a damaged store and unlocks it.

        The backup is checked again first; the damaged file (with its journal) is moved, as it
        was, into `damaged/`, never deleted. Everything saved after `backup.taken_at` that had
        not reached the office is lost: the caller says so before asking.
        """
        keyfile = cls._load_keyfile(folder, database_needed=False)
        with cls._locked(folder) as lock:
            data_key = keyfile.unwrap_with_passphrase(passphrase)
            page_size = keyfile.page_size
            report = check_file(backup.path, page_size, _checker(backup.path, data_key, page_size))
            if not report.ok:
                raise DamagedStore(backup.path, findings=report.problems)
            aside = folder / DAMAGED_FOLDER / datetime.now(UTC).strftime(_BACKUP_STAMP)
            aside.mkdir(parents=True)
            for path in sorted(folder.glob(DATABASE_NAME + "*")):
                os.replace(path, aside / path.name)
            part = database_path(folder).with_name(DATABASE_NAME + ".part")
            shutil.copyfile(backup.path, part)
            with open(part, "rb+") as copied:
                os.fsync(copied.fileno())
            os.replace(part, database_path(folder))
            # The copy opens as a store that was shut down cleanly: checked just now.
            with contextlib.suppress(FileNotFoundError):
                (folder / OPEN_MARKER_NAME).unlink()
            return cls._open(folder, keyfile, data_key, lock)

    @classmethod
    @contextlib.contextmanager
    def _locked(cls, folder: Path) -> Iterator[ProcessLock]:
        """The process lock, handed to the store made inside; let go if that fails."""
        lock = ProcessLock.acquire(folder)
        try:
            yield lock
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _load_keyfile(cls, folder: Path, *, database_needed: bool = True) -> KeyFile:
        finish_interrupted_rekey(folder)
        if not store_exists(folder):
            raise StoreMissing(folder)
        if database_needed and not database_path(folder).exists():
            raise DamagedStore(database_path(folder), "database file missing")
        return KeyFile.load(keyfile_path(folder))

    @classmethod
    def _open(
        cls,
        folder: Path,
        keyfile: KeyFile,
        data_key: bytearray,
        lock: ProcessLock,
        *,
        defer_pages: bool = False,
    ) -> Store:
        """Checks before anything is written: every page's cipher check at each unlock (now, or
        in the background with `defer_pages`), the whole check after an unclean shutdown.
        Never creates a schema in an existing file."""
        path = database_path(folder)
        crashed = (folder / OPEN_MARKER_NAME).exists()
        deferred = defer_pages and not crashed
        if not deferred:
            _raise_if_damaged(folder, data_key, keyfile.page_size, crashed=crashed)
        store = cls(folder, keyfile, data_key, lock)
        try:
            with store.reader.connect() as conn:
                revision = migrations.current_revision(conn)
            if revision is None:
                findings = ["The file holds no SP Desktop data (no schema): it is empty."]
                backup = newest_good_backup(folder, data_key, keyfile.page_size)
                raise DamagedStore(path, "no schema", findings=findings, backup=backup)
            if revision not in migrations.REVISIONS:
                raise NewerStore(folder)
            if deferred and revision != migrations.HEAD_REVISION:
                # Bringing the schema up to date writes: never over pages not yet checked.
                _raise_if_damaged(folder, data_key, keyfile.page_size, crashed=False)
                deferred = False
            store._pages_unchecked = deferred
            migrations.upgrade(store.writer)
            store._mark_open()
        except StoreError:
            store.close(clean=False)
            raise
        except (sqlcipher.DatabaseError, SqlDatabaseError) as exc:
            store.close(clean=False)
            orig = exc.orig if isinstance(exc, SqlDatabaseError) else exc
            raise _known(path, orig or exc) or DamagedStore(path, str(exc)) from exc
        except OSError as exc:
            store.close(clean=False)
            known = _os_known(folder, exc)
            if known is None:
                raise
            raise known from exc
        return store

    def change_passphrase(self, old: str, new: str, *, params: Argon2Params | None = None) -> None:
        """Rewraps the data key under the new passphrase; the database is not re-encrypted."""
        wipe(self._keyfile.unwrap_with_passphrase(old))  # proves the old one; raises if wrong
        require_strong(new)
        self._rewrap(new, params)

    def _rewrap(self, passphrase: str, params: Argon2Params | None = None) -> None:
        """The key file is replaced whole (or, on a full disk, left exactly as it was)."""
        rewrapped = self._keyfile.rewrapped(self._require_key(), passphrase, params)
        rewrapped.save(keyfile_path(self.folder))
        self._keyfile = rewrapped

    def rekey(self, passphrase: str, *, params: Argon2Params | None = None) -> str:
        """Re-encrypts the database under a new random data key and returns a new recovery key,
        to be shown once. Afterwards the old data key and the old recovery key open nothing.

        The passphrase (the current one, which stays) proves the adviser is here. The database
        is copied into `sp-desktop.db.rekeyed` under the new key and checked; the new key file
        is written beside it as `sp-desktop.keys.rekeyed`; then the two are renamed into place,
        database first. A kill at any moment leaves a store that opens: before the database's
        rename with the old key file (the new files are removed at the next open), after it
        with the new one (the key file's rename is finished at the next open). Backups made
        with the old key are removed and one fresh backup is taken with the new key.
        """
        proved = self._keyfile.unwrap_with_passphrase(passphrase)
        same = hmac.compare_digest(proved, self._require_key())
        wipe(proved)
        if not same:
            raise WrongPassphrase()
        require_strong(passphrase)
        keyfile, new_key, recovery_key = KeyFile.create(
            self.store_id, passphrase, params, page_size=self.page_size
        )
        new_database, new_keys = _rekey_paths(self.folder)
        old_key: bytearray | None = None
        try:
            _remove_rekey_files(self.folder)
            # The one writer connection, held throughout: nothing can be saved meanwhile.
            raw = self.writer.raw_connection()
            try:
                target = _keyed_connection(new_database, new_key, self.page_size)
                try:
                    source: Any = raw.driver_connection
                    source.backup(target)
                    checked = target.execute("PRAGMA quick_check").fetchall()
                finally:
                    target.close()
                if [tuple(row) for row in checked] != [("ok",)]:
                    # The copy reads what the store holds: the store itself is damaged.
                    raise DamagedStore(database_path(self.folder), "re-encrypted copy damaged")
                with open(new_database, "rb+") as copied:
                    os.fsync(copied.fileno())
                keyfile.save(new_keys)
                # No connection may be made with the old key from here on.
                old_key, self._data_key = self._data_key, None
            finally:
                raw.close()
            self.writer.dispose()
            self.reader.dispose()
            database = database_path(self.folder)
            if any(Path(str(database) + extra).exists() for extra in ("-wal", "-shm")):
                # A read elsewhere in the app still holds the old file open.
                raise StoreError(
                    "SP Desktop was busy with the store, so the new key was not put in place. "
                    "Nothing was changed: please try again in a moment."
                )
            os.replace(new_database, database)  # the commit point
        except BaseException as exc:
            # Before the commit point: the old store is whole; the new key is forgotten.
            _remove_rekey_files(self.folder)
            if old_key is not None:
                self._data_key = old_key
            wipe(new_key)
            known: StoreError | None = None
            if isinstance(exc, sqlcipher.DatabaseError):
                known = _known(database_path(self.folder), exc)
            elif isinstance(exc, OSError):
                known = _os_known(self.folder, exc)
            if known is None:
                raise
            raise known from exc
        self._data_key = new_key
        self._keyfile = keyfile
        if old_key is not None:
            wipe(old_key)
        fsync_folder(self.folder)
        os.replace(new_keys, keyfile_path(self.folder))
        fsync_folder(self.folder)
        # Backups made with the old key open with nothing now: one fresh backup replaces them.
        shutil.rmtree(self.folder / BACKUP_FOLDER, ignore_errors=True)
        try:
            self.backup()
        except StoreError as exc:  # the new recovery key must still reach the adviser
            log.warning("no backup after the new data key: %s", type(exc).__name__)
        return recovery_key

    def close(self, *, clean: bool = True) -> None:
        """Disposes the engines and drops the key, so a locked laptop holds no key material.

        Only the last holder of the process lock removes the crash marker: a store still open
        elsewhere keeps it, so a crash there is still checked for at the next unlock."""
        self.writer.dispose()
        self.reader.dispose()
        key, self._data_key = self._data_key, None
        if key is not None:
            wipe(key)
        last = self._lock.release() if self._lock is not None else True
        if clean and last and not self._damage_found:
            with contextlib.suppress(FileNotFoundError):
                (self.folder / OPEN_MARKER_NAME).unlink()

    @property
    def is_open(self) -> bool:
        return self._data_key is not None

    def _require_key(self) -> bytearray:
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

    def finish_page_check(self) -> None:
        """The every-page cipher check left for later by `open(check_pages_later=True)`, on
        its own connections (the session's are not touched); nothing when none is pending.

        Damage raises DamagedStore with the findings and the newest good backup, as an unlock
        would, and the store remembers it: when it is closed the crash marker stays, so the
        next unlock runs the whole check before opening and offers that backup. A store locked
        while the check ran (its key gone) reports nothing."""
        if not self._pages_unchecked:
            return
        path = database_path(self.folder)
        try:
            report = check_pages(
                path, self.page_size, _checker(path, self._require_key(), self.page_size)
            )
        except StoreError:
            if not self.is_open:
                return  # locked meanwhile: the key went from under the check
            raise
        if not self.is_open:
            return
        self._pages_unchecked = False
        if not report.ok:
            self._damage_found = True
            backup = newest_good_backup(self.folder, self._require_key(), self.page_size)
            raise DamagedStore(path, "check failed", findings=report.problems, backup=backup)

    @property
    def pages_unchecked(self) -> bool:
        """Opened with the every-page check left for later, and that check not yet done."""
        return self._pages_unchecked

    def integrity_report(self) -> CheckReport:
        """The whole check (`store.check`) on fresh connections, each finding a sentence; the
        session's pooled connections are not touched, so damage cannot break them."""
        path = database_path(self.folder)
        return check_file(path, self.page_size, _checker(path, self._require_key(), self.page_size))

    def backup(self) -> Path:
        """An encrypted copy via the SQLite backup API; only the newest BACKUPS_KEPT are kept.

        Written under a `.part` name and renamed when whole, so a copy cut short (or stopped by
        a damaged page, which the copy reads like every other) is never taken for a backup."""
        folder = self.folder / BACKUP_FOLDER
        folder.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime(_BACKUP_STAMP)
        target_path = folder / f"{DATABASE_NAME}.{stamp}"
        part_path = folder / f"{DATABASE_NAME}.{stamp}.part"
        target = _keyed_connection(
            part_path, self._require_key(), self.page_size, cache_kib=BACKUP_CACHE_KIB
        )
        try:
            with self._known_errors():
                # Its own connection with a small cache, closed after: a pooled reader would
                # keep the whole store's pages, decrypted, for the rest of the session.
                source = _keyed_connection(
                    database_path(self.folder),
                    self._require_key(),
                    self.page_size,
                    cache_kib=BACKUP_CACHE_KIB,
                )
                try:
                    source.backup(target)
                except sqlcipher.DatabaseError as exc:
                    known = _known(database_path(self.folder), exc)
                    if known is None:
                        raise
                    raise known from exc
                finally:
                    source.close()
        except BaseException:
            target.close()
            for leftover in folder.glob(part_path.name + "*"):
                leftover.unlink()
            raise
        target.close()
        for extra in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(str(part_path) + extra)
        os.replace(part_path, target_path)
        for old in list_backups(self.folder)[BACKUPS_KEPT:]:
            old.path.unlink()
        return target_path

    def newest_backup(self) -> Backup | None:
        found = list_backups(self.folder)
        return found[0] if found else None

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
        """Damage, a full disk or a read-only file found mid-session is a known error (a calm
        message naming the file), not a bug."""
        try:
            yield
        except SqlDatabaseError as exc:
            known = _known(database_path(self.folder), exc.orig) if exc.orig else None
            if known is not None:
                raise known from exc
            raise


def _raise_if_damaged(folder: Path, data_key: bytearray, page_size: int, *, crashed: bool) -> None:
    """The unlock check: every page's cipher check, or the whole check after a crash; damage
    raises DamagedStore with the findings and the newest backup that passes the same check."""
    path = database_path(folder)
    connect = _checker(path, data_key, page_size)
    report = (check_file if crashed else check_pages)(path, page_size, connect)
    if not report.ok:
        backup = newest_good_backup(folder, data_key, page_size)
        raise DamagedStore(path, "check failed", findings=report.problems, backup=backup)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def delete_store_files(folder: Path) -> None:
    """Crypto-shred: the key file goes first, so the database is unreadable even if its removal
    is interrupted; then the database, its journals and backups."""
    with contextlib.suppress(FileNotFoundError):
        keyfile_path(folder).unlink()
    _remove_rekey_files(folder)
    for path in folder.glob(DATABASE_NAME + "*"):
        path.unlink()
    shutil.rmtree(folder / BACKUP_FOLDER, ignore_errors=True)
    shutil.rmtree(folder / DAMAGED_FOLDER, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (folder / OPEN_MARKER_NAME).unlink()


REKEY_SUFFIX = ".rekeyed"  # the new database and key file while a rekey is under way


def _rekey_paths(folder: Path) -> tuple[Path, Path]:
    return (
        database_path(folder).with_name(DATABASE_NAME + REKEY_SUFFIX),
        keyfile_path(folder).with_name(KEYFILE_NAME + REKEY_SUFFIX),
    )


def _remove_rekey_files(folder: Path) -> None:
    new_database, new_keys = _rekey_paths(folder)
    for path in (new_keys, new_keys.with_name(new_keys.name + ".tmp")):
        path.unlink(missing_ok=True)
    for path in folder.glob(new_database.name + "*"):
        path.unlink(missing_ok=True)


def finish_interrupted_rekey(folder: Path) -> None:
    """After a rekey cut short, leaves the store with one database and the key file it opens
    with. If the database was already swapped (only the new key file is left), the key file
    follows it and the backups, made with the old key, go; otherwise the half-made new files
    are removed and the store stays as it was. Needs no key."""
    new_database, new_keys = _rekey_paths(folder)
    pending = [new_keys, new_keys.with_name(new_keys.name + ".tmp"), new_database]
    if not any(path.exists() for path in pending) and not any(folder.glob(new_database.name + "*")):
        return
    lock = ProcessLock.acquire(folder)  # never under a rekey still running elsewhere
    try:
        if new_keys.exists() and not new_database.exists():
            os.replace(new_keys, keyfile_path(folder))
            fsync_folder(folder)
            shutil.rmtree(folder / BACKUP_FOLDER, ignore_errors=True)
        _remove_rekey_files(folder)
    except OSError as exc:
        known = _os_known(folder, exc)
        if known is None:
            raise
        raise known from exc
    finally:
        lock.release()
