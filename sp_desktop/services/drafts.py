"""Autosaved drafts of text being typed, kept inside the encrypted store (never a temp file)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from sp_desktop.store.changes import now_text
from sp_desktop.store.schema import drafts

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace


class DraftService:
    """Drafts are keyed by what they belong to (e.g. 'visit:<id>'); saving replaces the last."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def save(self, key: str, content: dict[str, Any]) -> None:
        body = json.dumps(content, ensure_ascii=False, sort_keys=True)
        with self.ws.write() as conn:
            updated = conn.execute(
                drafts.update()
                .where(drafts.c.key == key)
                .values(content=body, updated_at=now_text())
            )
            if updated.rowcount == 0:
                conn.execute(drafts.insert().values(key=key, content=body, updated_at=now_text()))

    def load(self, key: str) -> dict[str, Any] | None:
        with self.ws.store.read() as conn:
            found = conn.execute(select(drafts.c.content).where(drafts.c.key == key)).scalar()
        return None if found is None else dict(json.loads(found))

    def pending(self) -> list[tuple[str, str]]:
        """(key, saved at) of every draft left behind, newest first, to offer on unlock."""
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(drafts.c.key, drafts.c.updated_at).order_by(drafts.c.updated_at.desc())
            ).all()
        return [(str(k), str(t)) for k, t in rows]

    def discard(self, key: str) -> None:
        with self.ws.write() as conn:
            conn.execute(delete(drafts).where(drafts.c.key == key))
