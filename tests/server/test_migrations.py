"""The server's migrations build exactly the declared schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select

from sp_desktop.server import db, migrations
from sp_desktop.server.testing import postgres_schema, postgres_unavailable


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = db.make_engine(f"sqlite+pysqlite:///{tmp_path / 'm.db'}", pool_size=1)
        yield made
        made.dispose()
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        made = db.make_engine(url, pool_size=1)
        yield made
        made.dispose()


def test_migrations_build_the_declared_schema(engine: Engine) -> None:
    assert not migrations.is_current(engine)
    migrations.upgrade(engine)
    migrations.upgrade(engine)  # a second run is a no-op
    assert migrations.is_current(engine)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert differences == []
        assert conn.execute(select(db.counters.c.value)).scalar_one() == 0


def test_head_revision_constant_matches_the_scripts() -> None:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    assert ScriptDirectory.from_config(config).get_current_head() == migrations.HEAD_REVISION
