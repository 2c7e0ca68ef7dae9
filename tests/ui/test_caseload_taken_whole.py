"""A whole new caseload (after unlocking, or a first sync) is taken over as prepared in the
background, and the rows it replaces are freed off the UI thread without touching the new."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QEvent, QObject

from sp_desktop.domain.text import fold
from sp_desktop.services.caseload import CaseloadRow, Stage

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.models.caseload import NAME, CaseloadModel, let_go, prepare

from .helpers import WAIT_MS

TODAY = date(2026, 3, 10)


def _row(n: int, family: str) -> CaseloadRow:
    return CaseloadRow(
        person_id=f"{family}-{n:04d}",
        name=f"Ann {family}{n:04d}",
        family_name=f"{family}{n:04d}",
        date_of_birth=date(1940, 1, 1) + timedelta(days=n),
        practice="Elm Surgery",
        stage=Stage.ACTIVE,
        next_due=None,
        last_contact=None,
        search_key=fold(f"Ann {family}{n:04d}"),
        nhs_number=None,
    )


BEFORE = [_row(n, "Old") for n in range(300)]
AFTER = [_row(n, "New") for n in range(500)]


def names(model: CaseloadModel) -> list[str]:
    return [model.data(model.index(r, NAME)) for r in range(model.rowCount())]


def test_the_replaced_rows_are_handed_back_and_freeing_them_leaves_the_new(
    qtmodeltester: ModelTester,
) -> None:
    model = CaseloadModel(today=lambda: TODAY)
    qtmodeltester.check(model)
    model.set_rows(BEFORE)
    model.set_query("ann")
    replaced = model.set_prepared(prepare(AFTER, NAME, TODAY))
    assert set(replaced.rows) == {r.person_id for r in BEFORE}
    let_go(replaced)  # as the worker thread does
    assert not replaced.rows and not any(replaced.lists)
    assert names(model) == [r.name for r in AFTER], "everyone new is there, in order"
    assert model.total == len(AFTER)
    model.set_query("ann new0007")
    assert names(model) == ["Ann New0007"]


def test_the_same_caseload_given_twice_is_never_freed_under_the_model() -> None:
    model = CaseloadModel(today=lambda: TODAY)
    prepared = prepare(AFTER, NAME, TODAY)
    model.set_prepared(prepared)
    let_go(model.set_prepared(prepared))
    assert model.rowCount() == len(AFTER)
    assert names(model)[0] == "Ann New0000"


def test_loading_starts_once_the_unlock_window_is_painted(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    painted: list[bool] = []

    class Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(window._prepared)  # was loading under way at the first paint?
            return False

    window.start()
    dialog = window.unlock_dialog
    assert dialog is not None
    watch = Watch()
    dialog.installEventFilter(watch)
    assert not window._prepared, "nothing loads before the window is on screen"
    qtbot.waitUntil(lambda: window._prepared, timeout=WAIT_MS)
    dialog.removeEventFilter(watch)
    assert painted == [False]
