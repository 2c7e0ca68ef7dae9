"""The print preview and visit pack dialogs, driven as an adviser would."""

from __future__ import annotations

import io
import os
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

import pypdf
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog

from sp_desktop.services import documents
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import audit_events, follow_ups, people

from sp_desktop.ui.dialogs.print_preview import (
    PrintPreviewDialog,
    letter_request,
    plan_request,
)
from sp_desktop.ui.dialogs.visit_pack import VisitPackDialog
from sp_desktop.ui.session import Session

from .conftest import PHONE

WAIT_MS = 15_000
LEFT = Qt.MouseButton.LeftButton


def _person_with_an_activity(ws: Workspace, *, large_print: bool) -> str:
    with ws.store.read() as conn:
        ids = conn.execute(
            select(people.c.id).where(people.c.large_print.is_(large_print))
        ).scalars()
        candidates = list(ids)
    for person_id in candidates:
        if documents.plan_for(ws, person_id).activities:
            return person_id
    raise AssertionError("the demo store has nobody with an activity")


def _busiest_day(ws: Workspace) -> date:
    with ws.store.read() as conn:
        days = Counter(
            conn.execute(
                select(follow_ups.c.due_on).where(follow_ups.c.done_on.is_(None))
            ).scalars()
        )
    return max(days, key=lambda d: (days[d], d))


def _audit_actions(ws: Workspace, person_id: str) -> list[tuple[str, str]]:
    with ws.store.read() as conn:
        rows = conn.execute(
            select(audit_events.c.action, audit_events.c.entity)
            .where(audit_events.c.person_id == person_id)
            .order_by(audit_events.c.seq)
        ).all()
    return [(r[0], r[1]) for r in rows]


def _open(qtbot: QtBot, dialog: PrintPreviewDialog) -> int:
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.built, timeout=WAIT_MS) as blocker:
        dialog.show()
    qtbot.waitUntil(lambda: not dialog.page_view.pixmap().isNull(), timeout=WAIT_MS)
    count = blocker.args[0]
    assert isinstance(count, int)
    return count


def test_preview_shows_pages_and_turns_them(qtbot: QtBot, session: Session) -> None:
    person_id = _person_with_an_activity(session.ws, large_print=False)
    dialog = PrintPreviewDialog(session, plan_request(person_id))
    count = _open(qtbot, dialog)
    assert count == dialog.page_count >= 2
    assert dialog.page_label.text() == f"Page 1 of {count}"
    assert dialog.windowTitle().startswith("Print preview: Journey printout for ")
    assert not dialog.previous_button.isEnabled() and dialog.next_button.isEnabled()

    qtbot.mouseClick(dialog.next_button, LEFT)
    assert dialog.page_label.text() == f"Page 2 of {count}"
    assert dialog.page_box.value() == 2

    narrow = _shown_width(qtbot, dialog, "50%")
    wide = _shown_width(qtbot, dialog, "200%")
    assert wide > 3 * narrow


def _shown_width(qtbot: QtBot, dialog: PrintPreviewDialog, zoom: str) -> int:
    before = dialog.page_view.pixmap().cacheKey()
    dialog.zoom_box.setCurrentText(zoom)
    qtbot.waitUntil(lambda: dialog.page_view.pixmap().cacheKey() != before, timeout=WAIT_MS)
    return dialog.page_view.pixmap().width()


def test_print_size_starts_at_the_persons_need_and_can_change(
    qtbot: QtBot, session: Session
) -> None:
    person_id = _person_with_an_activity(session.ws, large_print=True)
    dialog = PrintPreviewDialog(session, plan_request(person_id))
    large_pages = _open(qtbot, dialog)
    assert dialog.size_box.currentText().startswith("Large print")
    assert dialog.document is not None and dialog.document.large_print is True
    with qtbot.waitSignal(dialog.built, timeout=WAIT_MS) as blocker:
        dialog.size_box.setCurrentText("Standard print")
    assert dialog.document is not None and dialog.document.large_print is False
    assert blocker.args[0] < large_pages


def _files_under(*folders: Path) -> set[Path]:
    found: set[Path] = set()
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            found.update(Path(root, name) for name in files)
    return found


def test_save_as_pdf_writes_only_the_chosen_file(
    qtbot: QtBot, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp, home, work, chosen_folder = (tmp_path / n for n in ("tmp", "home", "work", "out"))
    for folder in (temp, home, work, chosen_folder):
        folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    store_folder = session.ws.store.folder
    watched = (temp, home, work, chosen_folder, store_folder)
    # The rolling backup taken after unlock (encrypted, in the store's folder) is done first.
    qtbot.waitUntil(lambda: not session.tasks.busy, timeout=WAIT_MS)
    before = _files_under(*watched)

    person_id = _person_with_an_activity(session.ws, large_print=False)
    offered: list[str] = []

    def choose(_parent: object, _caption: str, suggested: str, _filter: str) -> tuple[str, str]:
        offered.append(suggested)
        return str(chosen_folder / "for Mrs D"), "PDF documents (*.pdf)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    dialog = PrintPreviewDialog(session, plan_request(person_id))
    _open(qtbot, dialog)
    assert dialog.document is not None
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.save_button, LEFT)

    saved = chosen_folder / "for Mrs D.pdf"
    assert blocker.args == [str(saved)]
    assert saved.read_bytes() == dialog.document.pdf
    assert offered and offered[0].endswith(dialog.document.file_name)
    assert "Saved to" in dialog.status.text()
    new = {
        p
        for p in _files_under(*watched) - before
        if not (p.parent == store_folder and p.name.startswith("sp-desktop."))
    }
    assert new == {saved}
    assert ("exported", "plan") in _audit_actions(session.ws, person_id)


def test_print_sends_every_page_and_is_audited(
    qtbot: QtBot, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The system print dialog is replaced by a printer writing PDF where the test says."""
    person_id = _person_with_an_activity(session.ws, large_print=False)
    target = tmp_path / "printer-output.pdf"

    def printer(_self: PrintPreviewDialog) -> QPrinter:
        made = QPrinter(QPrinter.PrinterMode.HighResolution)
        made.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        made.setOutputFileName(str(target))
        made.setFullPage(True)
        made.setResolution(72)  # keeps the test quick
        return made

    monkeypatch.setattr(PrintPreviewDialog, "ask_printer", printer)
    dialog = PrintPreviewDialog(session, letter_request(person_id))
    count = _open(qtbot, dialog)
    assert not dialog.size_box.isVisible()  # a letter has one size
    with qtbot.waitSignal(dialog.printed, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.print_button, LEFT)
    assert blocker.args == [count]
    assert len(pypdf.PdfReader(io.BytesIO(target.read_bytes())).pages) == count
    assert ("printed", "letter") in _audit_actions(session.ws, person_id)


def test_missing_phone_number_is_explained(
    qtbot: QtBot, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    person_id = _person_with_an_activity(session.ws, large_print=False)
    monkeypatch.setattr(
        documents.shared, "read_contact", lambda _folder: documents.ContactDetails()
    )
    dialog = PrintPreviewDialog(session, plan_request(person_id))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "work phone number" in dialog.status.text(), timeout=WAIT_MS)
    assert not dialog.print_button.isEnabled() and not dialog.save_button.isEnabled()


def test_closing_drops_the_document(qtbot: QtBot, session: Session) -> None:
    person_id = _person_with_an_activity(session.ws, large_print=False)
    dialog = PrintPreviewDialog(session, plan_request(person_id))
    _open(qtbot, dialog)
    dialog.close()
    assert dialog.document is None and dialog.page_view.pixmap().isNull()


def test_visit_pack_lists_the_day_and_previews_the_ticked(qtbot: QtBot, session: Session) -> None:
    day = _busiest_day(session.ws)
    due = documents.due_on(session.ws, day)
    assert len(due) >= 2
    dialog = VisitPackDialog(session, day=date(2001, 1, 1))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "Nobody has a visit" in dialog.summary.text(), timeout=WAIT_MS)
    assert not dialog.preview_button.isEnabled()

    with qtbot.waitSignal(dialog.loaded, timeout=WAIT_MS) as blocker:
        dialog.set_day(day)
    assert blocker.args == [len(due)]
    assert dialog.people.count() == len(due)
    assert due[0].name in dialog.people.item(0).text()
    dialog.people.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert dialog.chosen() == tuple(d.person_id for d in due[1:])

    qtbot.mouseClick(dialog.preview_button, LEFT)
    preview = dialog.preview
    assert preview is not None
    with qtbot.waitSignal(preview.built, timeout=WAIT_MS):
        pass
    assert preview.document is not None
    assert preview.document.person_ids == tuple(d.person_id for d in due[1:])
    assert preview.size_box.currentText() == "Each person's own size"
    text = " ".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(preview.document.pdf)).pages
    )
    assert PHONE in text and due[1].name.split()[-1] in text
    assert due[0].person_id not in preview.document.person_ids
    preview.close()
    dialog.close()
