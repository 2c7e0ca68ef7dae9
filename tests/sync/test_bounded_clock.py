"""A laptop never adopts a pulled stamp far ahead of its own clock (issue 18: a year-2100 stamp
dragged teammates' clocks to 2100), yet still moves past stamps within the margin."""

from __future__ import annotations

from sqlalchemy import select

from sp_desktop.domain.hlc import MAX_CLOCK_AHEAD_MS, HlcStamp, wall_now_ms
from sp_desktop.domain.ids import new_id
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.changes import HLC_META_KEY
from sp_desktop.store.schema import store_meta
from sp_desktop.sync.local import apply_answer, sync_transaction


def _pulled(stamp: str) -> dict[str, object]:
    row = new_id()
    return {"table": "people", "row": row, "person": row,
            "fields": {"given_name": "Ada", "family_name": "Lovelace",
                       "date_of_birth": "1941-02-03"},
            "versions": {"*": stamp}, "deleted": False, "hlc": stamp, "seq": 1,
            "origin": "teammate", "created_at": "", "updated_at": ""}


def _apply(ws: Workspace, stamp: str) -> None:
    with sync_transaction(ws.store) as conn:
        apply_answer(conn, sent=[], acks=[], changes=[_pulled(stamp)], logged=[], cursor=1,
                     resolved_sent=[], clock=ws.changes.clock)


def _stored_last(ws: Workspace) -> str | None:
    with ws.store.read() as conn:
        found = conn.execute(select(store_meta.c.value).where(store_meta.c.key == HLC_META_KEY))
        return found.scalar_one_or_none()


def test_a_pulled_year_2100_stamp_moves_neither_the_clock_nor_its_stored_last_stamp(
    workspace: Workspace,
) -> None:
    before = _stored_last(workspace)
    _apply(workspace, str(HlcStamp(4_102_444_800_000, 0, "fastlaptop")))
    assert _stored_last(workspace) == before
    mine = HlcStamp.parse(str(workspace.changes.clock.now()))
    assert mine.wall_ms < wall_now_ms() + 60_000  # still this year, not 2100


def test_a_pulled_stamp_within_the_margin_is_absorbed(workspace: Workspace) -> None:
    ahead = HlcStamp(wall_now_ms() + MAX_CLOCK_AHEAD_MS // 2, 7, "skewed")
    _apply(workspace, str(ahead))
    assert _stored_last(workspace) == str(ahead)
    assert workspace.changes.clock.now() > ahead
