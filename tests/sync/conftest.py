"""Real servers for the client tests (SQLite file, PostgreSQL schema) and laptops for them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from laptops import FAST_KEYS, Laptop, LaptopFactory

from sp_desktop.server.testing import (
    RunningServer,
    postgres_schema,
    postgres_unavailable,
    start_server,
)
from sp_desktop.services.workspace import Workspace
from sp_desktop.sync.client import register_device


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
