"""An unlocked store plus who is working on it: the object every service hangs off.

Unlocking is also where the store's promises are kept: damage is found before anyone works on a
half-readable store (with the newest good backup offered), and the office's offline lease is
enforced, with a warning in the days before it runs out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from sp_desktop.store import audit
from sp_desktop.store.changes import ChangeWriter
from sp_desktop.store.check import CheckReport
from sp_desktop.store.database import Backup, Store, store_exists
from sp_desktop.store.errors import (
    DamagedStore,
    LeaseExpired,
    StoreLocked,
    WrongPassphrase,
    WrongRecoveryKey,
)
from sp_desktop.store.keyfile import Argon2Params

# Besides the workspace, what screens need of the store (its answers and errors) is given
# through this door, so the UI reaches the store only through services.
__all__ = [
    "Argon2Params",
    "Backup",
    "Changes",
    "DamagedStore",
    "LeaseExpired",
    "StoreLocked",
    "Workspace",
    "WrongPassphrase",
    "WrongRecoveryKey",
    "restore_warning",
]

# A lease this close to its end is mentioned at every unlock (a quarter of a short lease).
LEASE_WARNING = timedelta(days=7)
# A rolling backup is taken at unlock when the newest is older than this (BACKUPS_KEPT kept).
BACKUP_EVERY = timedelta(hours=12)


@dataclass(frozen=True)
class Changes:
    """What a use case changed, so a screen redraws only that (never reloads everything)."""

    people: frozenset[str] = frozenset()
    tables: frozenset[str] = frozenset()
    ids: tuple[str, ...] = field(default=())

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.people | other.people, self.tables | other.tables, self.ids + other.ids)

    @property
    def id(self) -> str:
        """The id of the one row created, for use cases that create exactly one."""
        return self.ids[0]


class Workspace:
    """The adviser's unlocked workspace. Services are attributes: `ws.people.create(...)`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.device = store.device_id
        self.adviser = store.meta("adviser") or ""
        with store.read() as conn:
            self.changes = ChangeWriter.load(conn, self.device)
        # Imported here: the service modules import Workspace for typing.
        from sp_desktop.services.caseload import CaseloadService
        from sp_desktop.services.closing import ClosingService
        from sp_desktop.services.consent import ConsentService
        from sp_desktop.services.directory import DirectoryService
        from sp_desktop.services.drafts import DraftService
        from sp_desktop.services.people import PeopleService
        from sp_desktop.services.prescribing import PrescribingService
        from sp_desktop.services.visits import VisitService
        from sp_desktop.services.wellbeing import WellbeingService

        self.people = PeopleService(self)
        self.consent = ConsentService(self)
        self.visits = VisitService(self)
        self.wellbeing = WellbeingService(self)
        self.prescribing = PrescribingService(self)
        self.closing = ClosingService(self)
        self.caseload = CaseloadService(self)
        self.directory = DirectoryService(self)
        self.drafts = DraftService(self)

    @property
    def store_id(self) -> str:
        """The store's own id: printed on the recovery sheet, so a key is matched to its laptop."""
        return self.store.store_id

    def rekey(self, passphrase: str, *, params: Argon2Params | None = None) -> str:
        """Re-encrypts under a new data key; returns the new recovery key, to be shown once."""
        return self.store.rekey(passphrase, params=params)

    @property
    def team(self) -> str:
        """Read each time: registering the laptop with the office can set it mid-session."""
        return self.store.meta("team") or ""

    @classmethod
    def create(
        cls,
        folder: Path,
        passphrase: str,
        *,
        adviser: str,
        team: str = "",
        params: Argon2Params | None = None,
    ) -> tuple[Workspace, str]:
        """A new store for this adviser; returns the workspace and the recovery key."""
        store, recovery_key = Store.create(folder, passphrase, adviser=adviser, params=params)
        with store.write() as conn:
            store.set_meta(conn, "team", team)
        return cls(store), recovery_key

    @staticmethod
    def exists(folder: Path) -> bool:
        """Whether `folder` holds a store (its key file), without opening it."""
        return store_exists(folder)

    @classmethod
    def recover(
        cls,
        folder: Path,
        recovery_key: str,
        new_passphrase: str,
        *,
        params: Argon2Params | None = None,
    ) -> Workspace:
        """Unlocks with the recovery key from the office and sets a new passphrase."""
        return cls(Store.recover(folder, recovery_key, new_passphrase, params=params))

    @classmethod
    def open(
        cls,
        folder: Path,
        passphrase: str,
        *,
        now: datetime | None = None,
        check_pages_later: bool = False,
    ) -> Workspace:
        """Unlocks, refusing (LeaseExpired) a laptop out of touch for longer than the office
        allows: people's records stay closed until it syncs (`open_and_sync`).

        `check_pages_later` (the app): the every-page check of a cleanly closed store is left
        to `check_and_back_up`, run in the background while the caseload is read, so the
        adviser does not wait a third of a second or more for it at each unlock."""
        store = Store.open(folder, passphrase, check_pages_later=check_pages_later)
        try:
            from sp_desktop.sync.client import LEASE_EXPIRED_MESSAGE, lease_expired

            if lease_expired(store, now):
                raise LeaseExpired(LEASE_EXPIRED_MESSAGE)
            return cls(store)
        except BaseException as error:
            if store.pages_unchecked and not isinstance(error, LeaseExpired):
                # A read failed before the check ran: the check says whether it was damage
                # (naming it, with the newest good backup); the store then closes leaving the
                # crash marker, so the next unlock runs the whole check first.
                try:
                    store.finish_page_check()
                except DamagedStore:
                    store.close(clean=False)
                    raise
            store.close()
            raise

    def check_and_back_up(self, now: datetime | None = None) -> Path | None:
        """After unlock, in the background: the every-page check left for later (if any), then
        the rolling backup when due, so a backup is never taken of a damaged store.

        Damage raises DamagedStore (findings and the newest good backup); the app then locks,
        and the next unlock runs the whole check first and offers that backup."""
        self.store.finish_page_check()
        return self.back_up_if_due(now)

    @classmethod
    def open_and_sync(cls, folder: Path, passphrase: str, **client_options: Any) -> Workspace:
        """Unlocks a laptop whose offline lease has run out by syncing with the office first;
        opens only if that renewed the lease. If the office has revoked the laptop, the sync
        wipes it (DeviceRevoked), as any sync would."""
        from sp_desktop.sync.client import LEASE_EXPIRED_MESSAGE, SyncClient, lease_expired

        store = Store.open(folder, passphrase)
        try:
            ws = cls(store)
            if lease_expired(store):
                with SyncClient(store, clock=ws.changes.clock, **client_options) as client:
                    client.sync_once()
                if lease_expired(store):
                    raise LeaseExpired(LEASE_EXPIRED_MESSAGE)
            return ws
        except BaseException:
            if store.is_open:
                store.close()
            raise

    @classmethod
    def check(cls, folder: Path, passphrase: str) -> CheckReport:
        """The whole check of a locked store (`sp-desktop check`); writes nothing. A damaged
        store's report carries the newest backup that passed the same check."""
        return Store.check(folder, passphrase)

    @classmethod
    def restore_backup(cls, folder: Path, passphrase: str, backup: Backup) -> Workspace:
        """Replaces a damaged store with `backup` (checked again first; the damaged file is kept
        aside) and unlocks it. Say `restore_warning(backup)` to the adviser before calling."""
        store = Store.restore(folder, passphrase, backup)
        try:
            return cls(store)
        except BaseException:
            store.close()
            raise

    def back_up_if_due(self, now: datetime | None = None) -> Path | None:
        """A new rolling backup when the newest is older than BACKUP_EVERY (run after unlock,
        once the store has passed its check, so a backup is never of a damaged store)."""
        newest = self.store.newest_backup()
        if newest is not None and (now or datetime.now(UTC)) - newest.taken_at < BACKUP_EVERY:
            return None
        return self.store.backup()

    def lease_warning(self, now: datetime | None = None) -> str | None:
        """A sentence when the office's offline lease ends soon, else None."""
        from sp_desktop.sync import local

        with self.store.read() as conn:
            token = local.get_meta(conn, local.META_TOKEN)
            lease = local.get_meta(conn, local.META_LEASE)
            since = local.get_meta(conn, local.META_LAST_SUCCESS) or local.get_meta(
                conn, local.META_REGISTERED_AT
            )
        if not token or not lease or not lease.isdigit() or not since:
            return None
        try:
            ends = datetime.fromisoformat(since) + timedelta(seconds=int(lease))
        except ValueError:
            return None
        left = ends - (now or datetime.now(UTC))
        if left > min(LEASE_WARNING, timedelta(seconds=int(lease)) / 4):
            return None
        when = ends.astimezone()
        days = left.days
        within = "today" if days < 1 else "within 1 day" if days == 1 else f"within {days} days"
        return (
            f"This laptop needs to reach the office {within} (by {when.day} {when:%B} at "
            f"{when:%H:%M}). After that, people's records stay closed until it syncs. Please "
            "sync when you are next on the office network."
        )

    def close(self, *, clean: bool = True) -> None:
        """`clean=False` (damage was met) keeps the crash marker: the next unlock checks all."""
        self.store.close(clean=clean)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        with self.store.write() as conn:
            yield conn

    def audit(
        self,
        conn: Connection,
        action: str,
        entity: str,
        entity_id: str | None,
        person_id: str | None,
    ) -> None:
        self.audit_many(conn, [(action, entity, entity_id, person_id)])

    def audit_many(
        self, conn: Connection, events: Iterable[tuple[str, str, str | None, str | None]]
    ) -> None:
        audit.record(
            conn,
            (
                audit.AuditEvent(self.adviser, self.device, action, entity, entity_id, person_id)
                for action, entity, entity_id, person_id in events
            ),
        )


def restore_warning(backup: Backup) -> str:
    """What restoring `backup` brings back and what it loses, said before anyone agrees."""
    return (
        f"The newest good backup was taken on {backup.describe()}. Restoring it brings back "
        "everything saved up to then. Anything saved on this laptop after that time would be "
        "lost, unless it had already reached the office (that comes back at the next sync). "
        "The damaged file is kept aside, unchanged."
    )
