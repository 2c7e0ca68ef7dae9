"""Print preview tests: offscreen Qt, Qt warnings fail tests, one demo store for the module."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402 - the platform must be set first
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from sp_desktop.services.demo import create_demo_store  # noqa: E402
from sp_desktop.services.settings import (  # noqa: E402
    LINK_WORKER_ORGANISATION,
    LINK_WORKER_PHONE,
    Settings,
)
from sp_desktop.services.workspace import Workspace  # noqa: E402
from sp_desktop.store.keyfile import Argon2Params  # noqa: E402

from sp_desktop.ui.session import Session  # noqa: E402
from sp_desktop.ui.tasks import Tasks  # noqa: E402

FAST = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
PHONE = "0113 496 0777"
OFFSCREEN_NOISE = "This plugin does not support"  # said of every offscreen window; not ours


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A demo store whose settings file holds the link worker's work phone and organisation."""
    folder = tmp_path_factory.mktemp("ui-documents") / "store"
    ws = create_demo_store(folder, "correct horse battery staple", 40, seed=5, params=FAST)
    settings = Settings.in_folder(folder)
    settings.set(LINK_WORKER_PHONE, PHONE)
    settings.set(LINK_WORKER_ORGANISATION, "Northfield Link")
    yield ws
    ws.close()


class Errors(list[BaseException]):
    """Errors that reached the tasks' fallback handler during a test."""


@pytest.fixture
def session(qtbot: QtBot, demo_ws: Workspace, tmp_path: Path) -> Iterator[Session]:
    """An unlocked session on the demo store; every background task must finish cleanly."""
    errors = Errors()
    tasks = Tasks(on_error=errors.append)
    session = Session(demo_ws.store.folder, tasks)
    session.begin(demo_ws)
    yield session
    assert tasks.wait(15_000)
    qtbot.wait(10)  # deliver the last queued results before the pools go
    assert not errors, f"unexpected errors: {[type(e).__name__ for e in errors]}"
