"""The status bar names the adviser the laptop is registered to, not the one it was set up as."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from sp_desktop.server.testing import RunningServer

from sp_desktop.ui.main_window import MainWindow

from .conftest import Adviser
from .drive import register, unlock


def test_the_status_bar_names_the_registered_adviser(
    qtbot: QtBot, window: MainWindow, person_id: str, server: RunningServer,
    make_adviser: Callable[..., Adviser],
) -> None:
    unlock(qtbot, window)
    assert window.lock_state.text() == "Unlocked — working as Jo Adams"
    adviser = make_adviser()
    register(qtbot, window, server.url, adviser)
    assert window.lock_state.text() == f"Unlocked — working as {adviser.name}"
    assert window.session.adviser == adviser.name  # and the visits signed from now on
    window.session.lock()
    unlock(qtbot, window)
    assert window.lock_state.text() == f"Unlocked — working as {adviser.name}"
