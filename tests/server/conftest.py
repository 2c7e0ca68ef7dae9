"""A real server per database backend (SQLite file, PostgreSQL schema), started once a session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sp_desktop.server.testing import (
    RunningServer,
    postgres_schema,
    postgres_unavailable,
    start_server,
)


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
