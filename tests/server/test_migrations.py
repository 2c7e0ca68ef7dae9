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


def test_ons4_assessments_held_by_the_office_become_answers(engine: Engine) -> None:
    """Migration 0004: the office's ONS4 rows become the answers rows the laptops' store
    migration 0007 makes of their copies (same id, stamps, sequence), so the content agrees."""
    import json

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from sp_desktop.domain.measures import catalogue
    from sp_desktop.sync.protocol import legacy_ons4_fields, legacy_ons4_stamps

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    fields = {"person_id": "p1", "assessed_on": "2026-01-05", "context": "baseline",
              "life_satisfaction": 4, "worthwhile": None, "happiness": 7, "anxiety": 2}
    stamp = "001767600000000-0000-dev1"
    versions = dict.fromkeys(fields, stamp)
    with engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(text("INSERT INTO teams (name, created_at) VALUES ('North', 'now')"))
        conn.execute(
            text("INSERT INTO rows (table_name, row_id, person_id, team_id, fields, versions,"
                 " deleted, hlc, origin_device, created_hlc, seq) VALUES ('assessments', 'a1',"
                 " 'p1', 1, :fields, :versions, false, :hlc, 'dev1', :hlc, 7)"),
            {"fields": json.dumps(fields), "versions": json.dumps(versions), "hlc": stamp},
        )
    migrations.upgrade(engine)
    with engine.connect() as conn:
        [row] = conn.execute(select(db.rows)).mappings().all()
    assert (row["table_name"], row["row_id"], row["seq"], row["hlc"]) == ("answers", "a1", 7,
                                                                          stamp)
    moved = json.loads(row["fields"])
    assert moved == legacy_ons4_fields(fields)
    assert moved["taken_on"] == "2026-01-05" and moved["measure"] == "ons4"
    assert json.loads(moved["answers"]) == {"life_satisfaction": 4, "worthwhile": None,
                                            "happiness": 7, "anxiety": 2}
    catalogue()["ons4"].check(json.loads(moved["answers"]))
    assert json.loads(row["versions"]) == legacy_ons4_stamps(versions)
    assert set(json.loads(row["versions"])) == set(moved)
