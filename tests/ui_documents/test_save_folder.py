"""Save as PDF starts in the adviser's Documents folder, even on an account that has none yet."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog

from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog, plan_request
from sp_desktop.ui.session import Session

from .test_print_preview import LEFT, _open, _person_with_an_activity


def test_save_as_pdf_starts_in_documents(
    qtbot: QtBot, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(work)  # where the box used to open
    documents = Path(
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    )
    assert not documents.exists()
    offered: list[str] = []

    def cancel(_parent: object, _caption: str, suggested: str, _filter: str) -> tuple[str, str]:
        offered.append(suggested)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(cancel))
    person_id = _person_with_an_activity(session.ws, large_print=False)
    dialog = PrintPreviewDialog(session, plan_request(person_id))
    _open(qtbot, dialog)
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert dialog.document is not None
    assert offered == [str(documents / dialog.document.file_name)]
    assert documents.is_dir()
    assert list(work.iterdir()) == [] and list(documents.iterdir()) == []
