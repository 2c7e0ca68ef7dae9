"""Importing a council's file on the laptop, as an adviser does it: the dialog says how many
services can be imported and lists the rest grouped by what is wrong; the adviser imports the
good services or nothing, and the unmapped ones are found under "To be categorised"."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.services.directory import directory_of

from sp_desktop.ui.screens.directory import TO_CATEGORISE, DirectoryScreen, ImportDialog

from .conftest import WAIT_MS, Journey, settle

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
from tests.directory.council_feed import council_list  # noqa: E402


def _open(qtbot: QtBot, journey: Journey, tmp_path: Path) -> tuple[DirectoryScreen, ImportDialog]:
    screen = DirectoryScreen(journey.session)
    qtbot.addWidget(screen)
    screen.show()
    screen.start()
    settle(qtbot, journey.session)
    path = tmp_path / "council.json"
    path.write_text(json.dumps(council_list(100)), encoding="utf-8")
    dialog = screen.open_import(path)
    settle(qtbot, journey.session)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    return screen, dialog


def test_the_adviser_sees_the_problems_grouped_and_imports_the_good_services(
    qtbot: QtBot, journey: Journey, tmp_path: Path
) -> None:
    screen, dialog = _open(qtbot, journey, tmp_path)
    before = directory_of(journey.ws).count()
    assert dialog.summary.text().startswith(
        "100 services in the file: 98 can be imported")
    assert dialog.import_button.text() == "Import the 98 good services"
    items = [dialog.problems.item(i).text() for i in range(dialog.problems.count())]
    headings = [line for line in items if not line.startswith(" ")]
    assert headings[0].startswith("Empty records (1, left out)")
    assert any(h.startswith("Identifier already used by an earlier service (1, left out)")
               for h in headings)
    assert any(h.startswith("Postcodes that are not UK postcodes") and "imported" in h
               for h in headings)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    settle(qtbot, journey.session)
    qtbot.waitUntil(lambda: directory_of(journey.ws).count() == before + 98, timeout=WAIT_MS)
    search = screen.search
    search.category.setCurrentIndex(search.category.findText(TO_CATEGORISE))
    settle(qtbot, journey.session)
    qtbot.waitUntil(lambda: search.model.rowCount() == 98, timeout=WAIT_MS)


def test_import_nothing_changes_nothing(qtbot: QtBot, journey: Journey, tmp_path: Path) -> None:
    _screen, dialog = _open(qtbot, journey, tmp_path)
    before = directory_of(journey.ws).count()
    assert dialog.cancel.text() == "Import nothing"
    qtbot.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
    settle(qtbot, journey.session)
    assert directory_of(journey.ws).count() == before
