"""Offline lease: a laptop out of touch longer than allowed stays closed until it syncs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from laptops import FAST_KEYS

from sp_desktop.server.testing import RunningServer, start_server
from sp_desktop.services.workspace import Workspace
from sp_desktop.sync import local
from sp_desktop.sync.client import SyncClient, lease_expired, register_device


@pytest.fixture
def short_lease_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    monkeypatch.setenv("SP_SERVER_OFFLINE_LEASE_SECONDS", "3600")
    running = start_server(f"sqlite+pysqlite:///{tmp_path / 'lease.db'}", tmp_path / "srv")
    yield running
    running.stop()


def test_a_laptop_out_of_touch_longer_than_the_lease_refuses_until_it_syncs(
    short_lease_server: RunningServer, tmp_path: Path
) -> None:
    server = short_lease_server
    server.add_team("north")
    server.add_adviser("ann", "north", "a good password")
    ws, _ = Workspace.create(tmp_path / "ann", "a long passphrase", adviser="ann",
                             params=FAST_KEYS)
    try:
        assert not lease_expired(ws.store)  # not registered: nothing to enforce
        register_device(ws.store, server.url, "ann", "a good password")
        assert ws.store.meta(local.META_LEASE) == "3600"
        now = datetime.now(UTC)
        assert not lease_expired(ws.store, now + timedelta(minutes=59))
        assert lease_expired(ws.store, now + timedelta(minutes=61))  # fake clock: an hour on

        with SyncClient(ws.store, clock=ws.changes.clock) as client:
            client.sync_once()
        synced = datetime.now(UTC)
        assert not lease_expired(ws.store, synced + timedelta(minutes=59))  # the sync renewed it
        assert lease_expired(ws.store, synced + timedelta(hours=2))
    finally:
        ws.close()
