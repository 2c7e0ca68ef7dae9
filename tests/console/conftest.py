"""The console's offices: one per database backend (SQLite file, PostgreSQL schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from console_office import Office

from sp_desktop.server.testing import postgres_schema, postgres_unavailable


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Office]:
    if request.param == "sqlite":
        made = Office.open(f"sqlite+pysqlite:///{tmp_path / 'office.db'}", tmp_path)
        yield made
        made.close()
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        made = Office.open(url, tmp_path)
        yield made
        made.close()
