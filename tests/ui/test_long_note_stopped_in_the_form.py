"""A note the record would refuse (issue 18: 200,443 characters pasted) is stopped in the form,
beside the notes, in words: nothing is queued for the office and no bug dialog appears."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from sp_desktop.store.schema import outbox, visits

from sp_desktop.ui.main_window import MainWindow

from .conftest import PASSPHRASE
from .helpers import WAIT_MS, click, go_to_section, settle, unlock
from .test_visit_details import person_in_a_visit


def click_section(qtbot: QtBot, window: MainWindow, title: str) -> None:
    sections = window.visit.sections
    row = next(r for r in range(sections.count())
               if sections.item(r).data(Qt.ItemDataRole.UserRole) == title)
    rect = sections.visualItemRect(sections.item(row))
    qtbot.mouseClick(sections.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _queued_visit_edits(window: MainWindow) -> int:
    with window.session.ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.table_name == visits.name, outbox.c.kind == "upsert",
            outbox.c.fields.like('%"notes"%'))).scalar_one())


def test_a_200443_character_note_is_stopped_beside_the_notes(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_in_a_visit(qtbot, window)
    go_to_section(qtbot, window, "Caring")
    caring = next(p for p in window.visit.domain_pages if p.domain.key == "caring")
    QApplication.clipboard().setText("Looks after her brother. " * 8_018)  # 200,450 characters
    caring.notes.setFocus()
    qtbot.keyClick(caring.notes, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert len(caring.notes.toPlainText()) > 200_000
    settle(window, qtbot)
    before = _queued_visit_edits(window)
    click_section(qtbot, window, "Home")  # moving on saves the notes to the record
    settle(window, qtbot)
    assert caring.notes_field.error.isVisibleTo(window)
    assert caring.notes_field.error.text() == (
        "The note on caring is longer than 10,000 characters.")
    current = window.visit.sections.currentItem()
    assert current.data(Qt.ItemDataRole.UserRole) == "Caring"  # brought back to the note
    assert _queued_visit_edits(window) == before
    assert not [w for w in QApplication.topLevelWidgets()
                if w.isVisible() and type(w).__name__ == "BugReportDialog"]
    click(qtbot, window.visit.close_button)  # "Close for now" does not lose it either
    settle(window, qtbot)
    assert window.stack.currentWidget() is window.visit
    assert _queued_visit_edits(window) == before
    # Shortened, it saves, and the message goes.
    caring.notes.setPlainText("Looks after her brother two days a week.")
    click_section(qtbot, window, "Home")
    settle(window, qtbot)
    assert not caring.notes_field.error.isVisibleTo(window)
    qtbot.waitUntil(lambda: _queued_visit_edits(window) == before + 1, timeout=WAIT_MS)
    click(qtbot, window.visit.close_button)
