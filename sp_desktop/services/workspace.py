"""An unlocked store plus who is working on it: the object every service hangs off."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from sp_desktop.store import audit
from sp_desktop.store.changes import ChangeWriter
from sp_desktop.store.database import Store
from sp_desktop.store.keyfile import Argon2Params


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
        from sp_desktop.services.directory import DirectoryService
        from sp_desktop.services.drafts import DraftService
        from sp_desktop.services.people import PeopleService
        from sp_desktop.services.prescribing import PrescribingService
        from sp_desktop.services.visits import VisitService
        from sp_desktop.services.wellbeing import WellbeingService

        self.people = PeopleService(self)
        self.visits = VisitService(self)
        self.wellbeing = WellbeingService(self)
        self.prescribing = PrescribingService(self)
        self.caseload = CaseloadService(self)
        self.directory = DirectoryService(self)
        self.drafts = DraftService(self)

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

    @classmethod
    def open(cls, folder: Path, passphrase: str) -> Workspace:
        return cls(Store.open(folder, passphrase))

    def close(self) -> None:
        self.store.close()

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
