"""UI test set-up: offscreen Qt, Qt warnings fail tests, and an app window per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402 - the platform must be set first
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from sp_desktop.services.workspace import Workspace  # noqa: E402
from sp_desktop.store.keyfile import Argon2Params  # noqa: E402

from sp_desktop.ui.main_window import MainWindow  # noqa: E402

FAST_KDF = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
PASSPHRASE = "kettle violet harbour spoon"
# The offscreen platform says this about every top-level window; it is not our warning.
OFFSCREEN_NOISE = "This plugin does not support"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_store(data_dir: Path) -> Callable[..., Path]:
    """A store with people made through the services (never through the screens)."""

    def make(people: int = 0, *, adviser: str = "Jo Adams") -> Path:
        ws, _key = Workspace.create(
            data_dir, PASSPHRASE, adviser=adviser, team="North", params=FAST_KDF
        )
        try:
            if people:
                from sp_desktop.services.demo import populate

                populate(ws, people, seed=7)
        finally:
            ws.close()
        return data_dir

    return make


class Errors(list[BaseException]):
    """Errors that reached the app's error handler during a test."""


@pytest.fixture
def window(qtbot: QtBot, data_dir: Path) -> Iterator[MainWindow]:
    from sp_desktop.app import build

    win = build(data_dir, argon2_params=FAST_KDF, route_errors=False)
    errors = Errors()
    win.session.tasks.on_error = errors.append
    win.errors = errors  # type: ignore[attr-defined]
    qtbot.addWidget(win)
    yield win
    if win.session.is_unlocked:
        win.session.lock()
    win.session.tasks.wait(15_000)
    assert not errors, f"unexpected errors: {[type(e).__name__ for e in errors]}"
