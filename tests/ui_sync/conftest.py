"""Sync in the app: offscreen Qt, a real server subprocess (SQLite in tmp), a window per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import secrets  # noqa: E402 - the platform must be set first
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from sp_desktop.server.testing import RunningServer, start_server  # noqa: E402
from sp_desktop.services.workspace import Workspace  # noqa: E402
from sp_desktop.store.keyfile import Argon2Params  # noqa: E402

from sp_desktop.ui.main_window import MainWindow  # noqa: E402

FAST = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
PASSPHRASE = "kettle violet harbour spoon"
# Quick retries: a cut connection is reported in well under a second, not after a minute.
FAST_CLIENT = {"max_attempts": 2, "backoff": 0.05, "backoff_cap": 0.2, "timeout": 10.0}
OFFSCREEN_NOISE = "This plugin does not support"  # said of every offscreen window; not ours


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    work = tmp_path_factory.mktemp("ui-sync-server")
    running = start_server(f"sqlite+pysqlite:///{work / 'server.db'}", work)
    yield running
    running.stop()


@dataclass(frozen=True)
class Adviser:
    name: str
    team: str
    password: str


@pytest.fixture
def make_adviser(server: RunningServer) -> Callable[..., Adviser]:
    """An adviser on the office server (a fresh team unless one is given)."""

    def make(team: str | None = None) -> Adviser:
        if team is None:
            team = f"team_{secrets.token_hex(4)}"
            server.add_team(team)
        name = f"adviser_{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(12)
        server.add_adviser(name, team, password)
        return Adviser(name, team, password)

    return make


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def person_id(data_dir: Path) -> str:
    """A store holding one person, made through the services before the app opens it."""
    ws, _key = Workspace.create(data_dir, PASSPHRASE, adviser="Jo Adams", params=FAST)
    try:
        return ws.people.create(given_name="Edith", family_name="Jones",
                                date_of_birth=date(1938, 5, 1), address="1 Mill Lane").id
    finally:
        ws.close()


@pytest.fixture
def window(qtbot: QtBot, data_dir: Path) -> Iterator[MainWindow]:
    """The real app window. Automatic sync is off unless a test turns it on, so each test
    decides when a sync happens."""
    from sp_desktop.app import build

    win = build(data_dir, argon2_params=FAST, route_errors=False)
    errors: list[BaseException] = []
    win.session.tasks.on_error = errors.append
    controller = win.office_sync.controller
    controller.automatic = False
    controller.client_options = dict(FAST_CLIENT)
    qtbot.addWidget(win)
    yield win
    if win.session.is_unlocked:
        win.session.lock()
    assert win.session.tasks.wait(15_000)
    qtbot.wait(10)  # deliver the last queued results
    assert not errors, f"unexpected errors: {[type(e).__name__ for e in errors]}"
