"""Real servers for the client tests: SQLite file and PostgreSQL schema, one each a session."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sp_desktop.server.testing import (
    RunningServer,
    postgres_schema,
    postgres_unavailable,
    start_server,
    team_rows,
)
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.changes import wire_value
from sp_desktop.store.database import Store
from sp_desktop.store.keyfile import Argon2Params
from sp_desktop.store.schema import LOCAL_ONLY_COLUMNS, SYNC_COLUMNS, SYNCED_TABLES
from sp_desktop.sync.client import SyncClient, SyncResult, register_device


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    work = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "sqlite":
        running = start_server(f"sqlite+pysqlite:///{work / 'server.db'}", work)
        yield running
        running.stop()
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        running = start_server(url, work)
        yield running
        running.stop()


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


@pytest.fixture
def make_laptop(server: RunningServer, tmp_path: Path) -> Iterator[LaptopFactory]:
    made: list[Laptop] = []

    def make(team: str | None = None, *, role: str = "adviser") -> Laptop:
        if team is None:
            team = f"team_{secrets.token_hex(4)}"
            server.add_team(team)
        name = f"adviser_{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(12)
        server.add_adviser(name, team, password, role)
        folder = tmp_path / name
        ws, _recovery = Workspace.create(folder, "a long passphrase", adviser=name,
                                         params=FAST_KEYS)
        register_device(ws.store, server.url, name, password)
        laptop = Laptop(name, folder, ws, server.url)
        made.append(laptop)
        return laptop

    yield make
    for laptop in made:
        if laptop.ws.store.is_open:
            laptop.ws.close()


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
            assert ours["versions"] == row["versions"], key
            assert ours["deleted"] == row["deleted"], key
