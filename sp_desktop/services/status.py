"""Small facts for the status bar: how many changes are waiting to go to the office."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from sp_desktop.store.schema import outbox

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace


def changes_waiting(ws: Workspace) -> int:
    """Entries in the outbox: each leaves only once the office has acknowledged it."""
    with ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())
