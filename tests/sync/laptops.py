"""Laptops for the sync tests: real encrypted stores registered with a real server."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sp_desktop.server.testing import RunningServer, team_rows
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.changes import ALL_FIELDS, field_version, wire_value
from sp_desktop.store.database import Store
from sp_desktop.store.keyfile import Argon2Params
from sp_desktop.store.schema import LOCAL_ONLY_COLUMNS, SYNC_COLUMNS, SYNCED_TABLES
from sp_desktop.sync.client import SyncClient, SyncResult

FAST_KEYS = Argon2Params(memory_kib=1024, iterations=1, lanes=1)  # tests need no slow KDF


@dataclass
class Laptop:
    """An adviser's laptop: a real encrypted store, registered with the office server."""

    name: str
    folder: Path
    ws: Workspace
    server_url: str

    @property
    def store(self) -> Store:
        return self.ws.store

    def client(self, **options: Any) -> SyncClient:
        return SyncClient(self.ws.store, clock=self.ws.changes.clock, **options)

    def sync(self, **options: Any) -> SyncResult:
        with self.client(**options) as client:
            return client.sync_once()


LaptopFactory = Callable[..., Laptop]


def team_of(laptop: Laptop) -> str:
    return laptop.store.meta("team") or ""


def local_rows(laptop: Laptop) -> dict[tuple[str, str], dict[str, Any]]:
    """Every synced row on the laptop, in wire form (dates as ISO text), like the server's."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    with laptop.store.read() as conn:
        for table in SYNCED_TABLES:
            if table.name == "services":
                continue
            for row in conn.execute(select(table)).mappings():
                fields = {name: wire_value(value) for name, value in row.items()
                          if name not in SYNC_COLUMNS and name not in LOCAL_ONLY_COLUMNS}
                found[(table.name, row["id"])] = {
                    "fields": fields, "versions": json.loads(row["versions"]),
                    "deleted": bool(row["deleted"]), "hlc": row["hlc"]}
    return found


def assert_same_data(server: RunningServer, *laptops: Laptop) -> None:
    """Each laptop holds exactly the rows the server holds for its team, field for field."""
    for laptop in laptops:
        held = team_rows(server.database_url, team_of(laptop))
        mine = local_rows(laptop)
        assert set(mine) == set(held), laptop.name
        for key, row in held.items():
            ours = mine[key]
            for name, value in row["fields"].items():  # type: ignore[union-attr]
                assert ours["fields"].get(name) == value, (key, name)
            # The same stamp for every field: a laptop keeps fields it never edited under
            # the insert's stamp ("*"), the office spells each one out.
            for name in {*row["versions"], *ours["versions"]} - {ALL_FIELDS}:
                assert field_version(ours["versions"], name) == field_version(
                    row["versions"], name), (key, name)
            assert ours["deleted"] == row["deleted"], key
