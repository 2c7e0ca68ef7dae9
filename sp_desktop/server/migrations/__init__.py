"""Versioned migrations (Alembic) of the server database; `upgrade` brings it to head.

Several servers may start against one PostgreSQL database at once: the upgrade runs under an
advisory lock, so exactly one of them migrates and the others find the schema current.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text

HEAD_REVISION = "0008"
_HERE = Path(__file__).parent
_ADVISORY_LOCK = 0x5370_5379  # any fixed number; "SpSy"


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    return None if found is None else str(found)


def upgrade(engine: Engine) -> None:
    """Creates or upgrades the schema in one transaction; a no-op when already current."""
    from alembic import command
    from alembic.config import Config

    with engine.connect().execution_options(write=True) as conn, conn.begin():
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
        if current_revision(conn) == HEAD_REVISION:
            return
        config = Config()
        config.set_main_option("script_location", str(_HERE))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def is_current(engine: Engine) -> bool:
    with engine.connect() as conn:
        return current_revision(conn) == HEAD_REVISION
