"""Export record, from the person view: the adviser chooses where and which kind, the file is
written off the UI thread, and the page says where it went or why it could not."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtWidgets import QFileDialog

from sp_desktop.interchange.records import ExportKind

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.screens.person import EXPORT_TYPES

from .conftest import WAIT_MS, People
from .helpers import click, open_person, unlock


def _choose(monkeypatch: pytest.MonkeyPatch, path: Path, kind: ExportKind) -> list[str]:
    offered: list[str] = []

    def choose(_parent: object, _caption: str, suggested: str, _types: str) -> tuple[str, str]:
        offered.append(suggested)
        return str(path), EXPORT_TYPES[kind]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    return offered


def test_export_a_record_for_other_systems_and_for_analysts(
    qtbot: QtBot,
    window: MainWindow,
    people: People,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zoe = people["Zoë"]
    unlock(qtbot, window)
    open_person(qtbot, window, zoe)
    page = window.person

    offered = _choose(monkeypatch, tmp_path / "zoe", ExportKind.FHIR)
    click(qtbot, page.export_button)
    saved = tmp_path / "zoe.json"
    qtbot.waitUntil(lambda: page.export_note.text() == f"Saved to {saved}", timeout=WAIT_MS)
    assert offered[0].endswith(".json") and "Zoë Brown" in offered[0]
    bundle = json.loads(saved.read_bytes())
    assert bundle["resourceType"] == "Bundle"
    assert page.export_button.isEnabled()

    _choose(monkeypatch, tmp_path / "zoe-tables", ExportKind.CSV)
    click(qtbot, page.export_button)
    tables = tmp_path / "zoe-tables.zip"
    qtbot.waitUntil(lambda: page.export_note.text() == f"Saved to {tables}", timeout=WAIT_MS)
    people_csv = zipfile.ZipFile(io.BytesIO(tables.read_bytes())).read("people.csv")
    assert b"Brown" not in people_csv

    open_person(qtbot, window, people["Halina"])
    assert not page.export_note.isVisible()  # the note was about Zoë


def test_a_folder_that_cannot_be_written_is_said_in_words(
    qtbot: QtBot,
    window: MainWindow,
    people: People,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unlock(qtbot, window)
    open_person(qtbot, window, people["Zoë"])
    page = window.person
    _choose(monkeypatch, tmp_path / "no such folder" / "zoe.json", ExportKind.FHIR)
    click(qtbot, page.export_button)
    qtbot.waitUntil(lambda: "could not be saved there" in page.export_note.text(), timeout=WAIT_MS)
    assert page.export_button.isEnabled()
    assert not (tmp_path / "no such folder").exists()
