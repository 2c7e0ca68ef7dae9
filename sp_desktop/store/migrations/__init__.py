"""Versioned schema migrations (Alembic), run on open.

Alembic itself is imported only when the store is behind HEAD_REVISION, so a normal unlock does
not pay for it. A test keeps HEAD_REVISION equal to Alembic's own head.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:  # keeps alembic out of start-up imports
    from alembic.config import Config

HEAD_REVISION = "0009"
# Every released revision, oldest first (a test keeps it equal to Alembic's list). A store at a
# revision not listed here was written by a newer SP Desktop and is left untouched.
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")
_HERE = Path(__file__).parent


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    return None if found is None else str(found)


def upgrade(engine: Engine, target: str = "head") -> None:
    """Brings the schema to `target` in one transaction; a no-op when already current."""
    with engine.connect() as conn:
        if target == "head" and current_revision(conn) == HEAD_REVISION:
            return
    from alembic import command

    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, target)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_HERE))
    return config
