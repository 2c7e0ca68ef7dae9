"""The visit pack dialog says the last sync is old before anything is printed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot

from sp_desktop.services.workspace import Workspace
from sp_desktop.sync import local

from sp_desktop.ui.dialogs.visit_pack import VisitPackDialog
from sp_desktop.ui.session import Session
from sp_desktop.ui.tasks import Tasks

WAIT_MS = 15_000


@pytest.fixture
def own_session(qtbot: QtBot, workspace: Workspace) -> Iterator[Session]:
    errors: list[BaseException] = []
    tasks = Tasks(on_error=errors.append)
    session = Session(workspace.store.folder, tasks)
    session.begin(workspace)
    yield session
    assert tasks.wait(WAIT_MS)
    qtbot.wait(10)
    assert not errors


def _open(qtbot: QtBot, session: Session) -> VisitPackDialog:
    dialog = VisitPackDialog(session)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=WAIT_MS):
        dialog.show()
    return dialog


def test_an_old_sync_is_said_before_printing(
    qtbot: QtBot, own_session: Session, workspace: Workspace
) -> None:
    with workspace.write() as conn:
        local.set_meta(conn, local.META_SERVER_URL, "https://office.example.org")
        local.set_meta(conn, local.META_TOKEN, "token")
        last = datetime.now(UTC) - timedelta(days=3)
        local.set_meta(conn, local.META_LAST_SUCCESS, last.isoformat())
    dialog = _open(qtbot, own_session)
    assert dialog.sync_warning.isVisible()
    assert "last synced with the office 3 days ago" in dialog.sync_warning.text()


def test_no_warning_when_there_is_no_office_to_fall_behind(
    qtbot: QtBot, own_session: Session
) -> None:
    dialog = _open(qtbot, own_session)
    assert not dialog.sync_warning.isVisible()
