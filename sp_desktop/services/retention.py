"""Laptop retention, the use case: purge the people whose case closed more than the laptop's
set number of days ago (`settings.KEEP_CLOSED_DAYS`), run at the start of the day and after a
sync. Each purge is audited by the person's id alone (no name, no content), and the rolling
backups are replaced by one taken after it, as after an erasure: a stolen laptop's older backups
would otherwise still hold the people it no longer needs."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sp_desktop.services.settings import KEEP_CLOSED_DAYS, Settings
from sp_desktop.sync import erasure, retention

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

RETIRED_ACTION = "retired_locally"


def retire_closed(ws: Workspace, settings: Settings, today: date | None = None) -> int:
    """Purges the people out of this laptop's window (the office keeps them); returns how
    many. People with changes still waiting to be sent stay until the office has them."""
    keep_days = settings.get(KEEP_CLOSED_DAYS)
    with ws.write() as conn:
        gone = retention.retire_closed(conn, today or date.today(), keep_days)
        ws.audit_many(conn, ((RETIRED_ACTION, "people", None, person) for person in gone))
    if gone:
        erasure.replace_backups(ws.store)
    return len(gone)
