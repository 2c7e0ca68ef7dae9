"""Saving the referrer letter also saves the PRSB message back beside it, for GP systems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from sp_desktop.store.schema import referrals

from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog, letter_request
from sp_desktop.ui.session import Session

WAIT_MS = 15_000


def test_the_letter_and_its_structured_message_are_saved_together(
    qtbot: QtBot, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session.ws.store.read() as conn:
        person_id = conn.execute(select(referrals.c.person_id).limit(1)).scalar_one()

    def choose(_parent: object, _caption: str, _suggested: str, _filter: str) -> tuple[str, str]:
        return str(tmp_path / "to Dr O"), "PDF documents (*.pdf)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    dialog = PrintPreviewDialog(session, letter_request(person_id))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.built, timeout=WAIT_MS):
        dialog.show()
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "to Dr O.pdf").read_bytes().startswith(b"%PDF-")
    message = json.loads((tmp_path / "to Dr O.json").read_bytes())
    assert message["type"] == "document"
    assert message["entry"][0]["resource"]["resourceType"] == "Composition"
    assert "message for GP systems" in dialog.status.text()
