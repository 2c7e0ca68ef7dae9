"""Small things an adviser noticed: two people of the same name, page turning in the preview,
the directory's Kind and Cost columns, and where the keyboard focus is on the green button."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from sp_desktop.services.settings import LINK_WORKER_PHONE
from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog
from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.screens.directory import COLUMNS

from ..ui.conftest import FAST_KDF, PASSPHRASE
from ..ui.helpers import WAIT_MS, click, settle, shortcut, unlock


def test_two_people_with_the_same_name_are_told_apart_by_birth_date(
    qtbot: QtBot, window: MainWindow, data_dir: Path
) -> None:
    ws, _key = Workspace.create(data_dir, PASSPHRASE, adviser="Jo Adams", team="North",
                                params=FAST_KDF)
    for born in (date(1941, 3, 12), date(1958, 7, 2)):
        ws.people.create(given_name="Mary", family_name="Jones", date_of_birth=born)
    ws.people.create(given_name="Ahmed", family_name="Khan", date_of_birth=date(1950, 1, 5))
    ws.close()
    unlock(qtbot, window, PASSPHRASE)
    model = window.caseload.model
    names = sorted(model.data(model.index(r, 0)) for r in range(model.rowCount()))
    assert names == [
        "Ahmed Khan", "Mary Jones (born 12 Mar 1941)", "Mary Jones (born 2 Jul 1958)",
    ]


def test_turning_the_page_in_the_preview_starts_at_its_top(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=8)
    window.settings.set(LINK_WORKER_PHONE, "01632 960 123")  # printouts need a number to ring
    unlock(qtbot, window, PASSPHRASE)
    ws = window.session.ws
    person = next(r.person_id for r in ws.caseload.rows() if ws.prescribing.of_person(r.person_id))
    window.show_person(person)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    click(qtbot, window.person.print_button)
    qtbot.waitUntil(
        lambda: any(d.isVisible() and d.document is not None
                    for d in window.person.findChildren(PrintPreviewDialog)), timeout=WAIT_MS)
    dialog = next(d for d in window.person.findChildren(PrintPreviewDialog) if d.isVisible())
    dialog.zoom_box.setCurrentIndex(dialog.zoom_box.findText("200%"))
    bar = dialog.page_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=WAIT_MS)
    assert dialog.page_count >= 2, "the plan has one page: nothing to turn"
    bar.setValue(bar.maximum())
    click(qtbot, dialog.next_button)
    settle(window, qtbot)
    assert dialog.page_label.text().startswith("Page 2 of")
    assert bar.value() == 0


def test_the_directory_shows_kind_and_cost_whole(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    shortcut(qtbot, window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    search = window.directory.search
    qtbot.waitUntil(lambda: search.model.rowCount() > 0, timeout=WAIT_MS)
    settle(window, qtbot)
    header = search.table.horizontalHeader()
    metrics = search.table.fontMetrics()
    for title in ("Kind", "Cost"):
        column = COLUMNS.index(title)
        texts = {search.model.data(search.model.index(r, column))
                 for r in range(search.model.rowCount())}
        widest = max(metrics.horizontalAdvance(str(t)) for t in texts)
        assert header.sectionSize(column) >= widest + metrics.averageCharWidth(), title


def _contrast(one: QColor, two: QColor) -> float:
    def luminance(colour: QColor) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

        return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF())
                + 0.0722 * channel(colour.blueF()))

    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_green_buttons_focus_is_plain_to_see(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    button = window.caseload.add_button  # the green "Add a person"
    window.caseload.search.setFocus()
    qtbot.waitUntil(lambda: not button.hasFocus(), timeout=WAIT_MS)
    resting = button.grab().toImage()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is button, timeout=WAIT_MS)
    focused = button.grab().toImage()
    middle = QPoint(resting.width() // 8, resting.height() // 2)  # the button's face, no words
    before, after = resting.pixelColor(middle), focused.pixelColor(middle)
    assert _contrast(before, after) >= 3.0, (before.name(), after.name())
