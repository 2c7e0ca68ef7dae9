"""The office's offline lease at unlock: warned before, closed after, opened again by a sync."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sp_desktop.server.testing import RunningServer, start_server
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import OPEN_MARKER_NAME
from sp_desktop.store.errors import LeaseExpired
from sp_desktop.sync import local
from sp_desktop.sync.client import ServerUnreachable, register_device
from tests.conftest import PASSPHRASE

DAY = 86_400


def _last_reached_office(ws: Workspace, ago: timedelta, lease_days: int = 30) -> None:
    """As if registered, with the office last reached `ago` (no waiting for real days)."""
    with ws.store.write() as conn:
        if local.get_meta(conn, local.META_TOKEN) is None:
            local.set_meta(conn, local.META_TOKEN, "a device token")
            local.set_meta(conn, local.META_SERVER_URL, "http://127.0.0.1:9")
        local.set_meta(conn, local.META_LEASE, str(lease_days * DAY))
        when = (datetime.now(UTC) - ago).isoformat(timespec="milliseconds")
        local.set_meta(conn, local.META_LAST_SUCCESS, when)


def test_an_unregistered_laptop_always_opens(workspace: Workspace, store_dir: Path) -> None:
    workspace.close()
    ws = Workspace.open(store_dir, PASSPHRASE)
    assert ws.lease_warning() is None
    ws.close()


def test_records_stay_closed_after_the_lease_and_the_store_is_left_closed(
    workspace: Workspace, store_dir: Path
) -> None:
    _last_reached_office(workspace, timedelta(days=31))
    workspace.close()
    with pytest.raises(LeaseExpired, match="longer than your office allows"):
        Workspace.open(store_dir, PASSPHRASE)
    assert not (store_dir / OPEN_MARKER_NAME).exists()  # closed cleanly, not as a crash
    with pytest.raises(ServerUnreachable):  # no office here: still closed, said calmly
        Workspace.open_and_sync(store_dir, PASSPHRASE, max_attempts=1, timeout=2)
    with pytest.raises(LeaseExpired):
        Workspace.open(store_dir, PASSPHRASE)


@pytest.mark.parametrize(("ago_days", "warned"), [(10, None), (27, "within 2 days"),
                                                   (29.9, "today")])
def test_a_warning_in_the_days_before_the_lease_ends(
    workspace: Workspace, store_dir: Path, ago_days: float, warned: str | None
) -> None:
    _last_reached_office(workspace, timedelta(days=ago_days))
    workspace.close()
    ws = Workspace.open(store_dir, PASSPHRASE)
    try:
        warning = ws.lease_warning()
        if warned is None:
            assert warning is None
        else:
            assert warning is not None and warned in warning
            assert "reach the office" in warning
    finally:
        ws.close()


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    monkeypatch.setenv("SP_SERVER_OFFLINE_LEASE_SECONDS", str(30 * DAY))
    running = start_server(f"sqlite+pysqlite:///{tmp_path / 'office.db'}", tmp_path / "srv")
    yield running
    running.stop()


def test_a_sync_with_the_office_renews_the_lease_and_opens(
    office: RunningServer, workspace: Workspace, store_dir: Path
) -> None:
    office.add_team("north")
    office.add_adviser("ann", "north", "a good password")
    register_device(workspace.store, office.url, "ann", "a good password")
    _last_reached_office(workspace, timedelta(days=45))
    workspace.close()
    with pytest.raises(LeaseExpired):
        Workspace.open(store_dir, PASSPHRASE)
    ws = Workspace.open_and_sync(store_dir, PASSPHRASE)
    try:
        assert ws.lease_warning() is None  # a full lease again
    finally:
        ws.close()
    Workspace.open(store_dir, PASSPHRASE).close()  # and opens as usual from now on
