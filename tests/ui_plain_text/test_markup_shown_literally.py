"""Names, notes and directory entries are shown exactly as typed: markup in them is text.

Qt draws a label, tooltip or message box as rich text when its text looks like HTML, so a
name holding `<img src=…>` would be drawn as an image (fetched from a network share on
Windows). The store is filled with markup in every text field; every screen is then opened and
every label, tooltip, text view and list cell holding a piece of it must show it literally.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import QAbstractItemModel, QAbstractListModel, QModelIndex, Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from sp_desktop.interchange import oruk
from sp_desktop.services.settings import LINK_WORKER_ORGANISATION, LINK_WORKER_PHONE

from sp_desktop.ui.dialogs.carer import CarerDialog
from sp_desktop.ui.dialogs.closing_review import ClosingReviewDialog
from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog
from sp_desktop.ui.dialogs.print_preview import PrintPreviewDialog
from sp_desktop.ui.dialogs.rate import RateDialog
from sp_desktop.ui.dialogs.referral import ReferralDialog
from sp_desktop.ui.dialogs.resume import ResumeDialog
from sp_desktop.ui.dialogs.settings import SettingsDialog
from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.screens.prescription import PrescriptionWindow
from sp_desktop.ui.sync.conflicts import ConflictDialog
from sp_desktop.ui.sync.refused import RefusedDialog

from .conftest import PASSPHRASE, WAIT_MS, Marked, marked

PIECE = "x.png"  # a fragment of MARK that survives whether it is drawn as text or as HTML
LITERAL = '<img src="x.png">'


def shown(text: str, text_format: Qt.TextFormat) -> str:
    """The words a person sees for `text` drawn in `text_format` (as Qt decides it)."""
    rich = text_format == Qt.TextFormat.RichText or (
        text_format == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)
    )
    if text_format == Qt.TextFormat.MarkdownText:
        document = QTextDocument()
        document.setMarkdown(text)
        return document.toPlainText()
    if rich:
        document = QTextDocument()
        document.setHtml(text)
        return document.toPlainText()
    return text


@dataclass
class Seen:
    """What held a piece of the markup, and where it was not shown literally."""

    checked: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def look(self, where: str, text: str, text_format: Qt.TextFormat) -> None:
        if PIECE not in text:
            return
        self.checked.append(where)
        words = shown(text, text_format)
        if LITERAL not in words:
            self.wrong.append(f"{where}: {text!r} is drawn as {words!r}")


def _cells(model: QAbstractItemModel, parent: QModelIndex, limit: int = 200) -> list[QModelIndex]:
    found = []
    # A list model's columnCount is private in PySide6: a list has one column.
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(parent)
    for row in range(min(model.rowCount(parent), limit)):
        for column in range(columns):
            found.append(model.index(row, column, parent))
    return found


def _name(widget: QWidget) -> str:
    names = [type(widget).__name__]
    parent = widget.parentWidget()
    while parent is not None and len(names) < 4:
        names.append(type(parent).__name__)
        parent = parent.parentWidget()
    return " in ".join(names)


def look_at(root: QWidget) -> Seen:
    """Every label, tooltip, text view and list cell under `root`, as drawn."""
    seen = Seen()
    for widget in [root, *root.findChildren(QWidget)]:
        where = _name(widget)
        if isinstance(widget, QLabel):
            seen.look(f"label {where}", widget.text(), widget.textFormat())
        # Always drawn as plain text by Qt; counted so a screen showing data only there counts.
        if isinstance(widget, QLineEdit):
            seen.look(f"field {where}", widget.text(), Qt.TextFormat.PlainText)
        if isinstance(widget, QPlainTextEdit):
            seen.look(f"field {where}", widget.toPlainText(), Qt.TextFormat.PlainText)
        if isinstance(widget, QAbstractButton):
            seen.look(f"button {where}", widget.text(), Qt.TextFormat.PlainText)
        # A tooltip is drawn as rich text whenever it looks like HTML.
        seen.look(f"tooltip of {where}", widget.toolTip(), Qt.TextFormat.AutoText)
        if isinstance(widget, QTextEdit) and PIECE in widget.toHtml():
            seen.checked.append(f"text view {where}")
            if LITERAL not in widget.toPlainText():
                seen.wrong.append(f"text view {where}: {widget.toPlainText()!r}")
        # A header view shares its table's model but draws only the (fixed) column titles.
        if isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView):
            model = widget.model()
            if model is None:
                continue
            # Qt's own delegates draw cells as plain text; one of ours might not.
            plain_cells = type(widget.itemDelegate()).__module__.startswith("PySide6")
            for index in _cells(model, widget.rootIndex()):
                tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
                if isinstance(tip, str):
                    seen.look(f"cell tooltip in {where}", tip, Qt.TextFormat.AutoText)
                text = model.data(index, Qt.ItemDataRole.DisplayRole)
                if isinstance(text, str):
                    as_drawn = Qt.TextFormat.PlainText if plain_cells else Qt.TextFormat.AutoText
                    seen.look(f"cell in {where}", text, as_drawn)
    return seen


def everything_literal(qtbot: QtBot, window: MainWindow, root: QWidget, least: int = 1) -> Seen:
    """Waits for the background, then checks `root` shows the markup literally (and showed
    some, so the check is not empty) and that nothing anywhere in the app draws it."""
    qtbot.waitUntil(lambda: not window.session.tasks.busy, timeout=WAIT_MS)
    seen = look_at(root)
    assert not seen.wrong, "\n".join(seen.wrong)
    assert len(seen.checked) >= least, f"{type(root).__name__} showed {seen.checked}"
    for top in QApplication.topLevelWidgets():
        everywhere = look_at(top)
        assert not everywhere.wrong, "\n".join(everywhere.wrong)
    return seen


def _unlock(qtbot: QtBot, window: MainWindow) -> None:
    window.start()
    qtbot.waitUntil(
        lambda: window.unlock_dialog is not None and window.unlock_dialog.isVisible(),
        timeout=WAIT_MS,
    )
    dialog = window.unlock_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.caseload, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.caseload.model.rowCount() == 2, timeout=WAIT_MS)


def _open(qtbot: QtBot, window: QWidget, kind: type[QWidget]) -> QWidget:
    qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(kind)), timeout=WAIT_MS)
    shown_now = [w for w in window.findChildren(kind) if w.isVisible()]
    assert len(shown_now) == 1
    return shown_now[0]


def test_markup_in_the_store_is_shown_as_text_on_every_screen(
    qtbot: QtBot, window: MainWindow, marked_store: Marked, tmp_path: Path
) -> None:
    window.settings.set(LINK_WORKER_ORGANISATION, marked("Fernside Trust"))
    window.settings.set(LINK_WORKER_PHONE, "01632 960001")  # printouts need it
    _unlock(qtbot, window)
    # The caseload (names in the table and their tooltips), the lock state, the resume offer.
    everything_literal(qtbot, window, window.caseload, least=2)
    everything_literal(qtbot, window, window.statusBar())
    resume = _open(qtbot, window, ResumeDialog)
    everything_literal(qtbot, window, resume)
    resume.close()

    # The person: heading, details, referral, carer links, journey.
    window.show_person(marked_store.person_id)
    person = window.person
    qtbot.waitUntil(lambda: person.overview is not None, timeout=WAIT_MS)
    seen = everything_literal(qtbot, window, person, least=8)
    assert any("label" in where for where in seen.checked)
    for button, kind in (
        (person.edit_button, PersonDetailsDialog),
        (person.referral_button, ReferralDialog),
        (person.carer_button, CarerDialog),
        (person.print_button, PrintPreviewDialog),
        (person.letter_button, PrintPreviewDialog),
    ):
        button.click()
        dialog = _open(qtbot, window, kind)
        if isinstance(dialog, CarerDialog):
            qtbot.keyClicks(dialog.search, "Bob")
            qtbot.waitUntil(lambda d=dialog: d.model.rowCount() > 0, timeout=WAIT_MS)  # type: ignore[misc]
        if isinstance(dialog, PrintPreviewDialog):
            qtbot.waitUntil(lambda d=dialog: d.document is not None, timeout=WAIT_MS)  # type: ignore[misc]
        everything_literal(qtbot, window, dialog)
        dialog.close()

    # The carer's page names the person they care for.
    window.show_person(marked_store.carer_id)
    qtbot.waitUntil(
        lambda: person.overview is not None and person.overview.person.id == marked_store.carer_id,
        timeout=WAIT_MS,
    )
    everything_literal(qtbot, window, person, least=2)

    # Every page of a signed visit and of the unfinished one, then rating a step.
    for visit_id in (marked_store.signed_visit_id, marked_store.draft_visit_id):
        window.open_visit(visit_id)
        visit = window.visit
        qtbot.waitUntil(lambda v=visit_id: window.visit.visit_id == v, timeout=WAIT_MS)  # type: ignore[misc]
        for row in range(visit.sections.count()):
            visit.go_to_section(row)
            everything_literal(qtbot, window, visit, least=1)
    window.visit.steps.rate_button.click()  # the newest step, when none is chosen
    rate = _open(qtbot, window, RateDialog)
    everything_literal(qtbot, window, rate)
    rate.close()
    window.visit.close_visit()

    # Activities and follow-ups, each activity's details, then the closing review.
    window.show_person(marked_store.person_id)
    qtbot.waitUntil(lambda: person.overview is not None, timeout=WAIT_MS)
    person.activities_button.click()
    activities = _open(qtbot, window, PrescriptionWindow)
    assert isinstance(activities, PrescriptionWindow)
    screen = activities.prescription
    qtbot.waitUntil(lambda: screen.activities.rowCount() == 2, timeout=WAIT_MS)
    for row in range(2):
        screen.activity_table.selectRow(row)
        everything_literal(qtbot, window, activities, least=2)
    screen.open_prescribe()
    everything_literal(qtbot, window, activities)
    review = activities.open_closing_review(marked_store.person_id)
    assert isinstance(review, ClosingReviewDialog)
    everything_literal(qtbot, window, review, least=3)
    review.close()
    activities.close()

    # The directory: the table, its tooltips and the chosen entry's details.
    window.show_directory()
    search = window.directory.search
    qtbot.waitUntil(lambda: search.model.rowCount() > 0, timeout=WAIT_MS)
    for row in range(search.model.rowCount()):
        search.table.selectRow(row)
        everything_literal(qtbot, window, window.directory, least=3)
    # A file to import whose name and problems quote the markup.
    path = tmp_path / f"{LITERAL}&amp;.csv"  # MARK less its '/', which no file name holds
    with path.open("w", encoding="utf-8", newline="") as file:
        rows = [oruk.CSV_COLUMNS, ["new", marked("Knitting"), "active", marked("Bingo")]]
        csv.writer(file).writerows(rows)
    importing = window.directory.open_import(path)
    qtbot.waitUntil(lambda: importing.problems.count() > 0, timeout=WAIT_MS)
    everything_literal(qtbot, window, importing, least=2)  # the file name and the problem
    importing.close()

    # The sync lists and Settings.
    window.office_sync.open_conflicts()
    conflict = _open(qtbot, window, ConflictDialog)
    everything_literal(qtbot, window, conflict, least=3)
    conflict.close()
    window.office_sync.open_refused()
    refused = _open(qtbot, window, RefusedDialog)
    everything_literal(qtbot, window, refused, least=2)
    refused.close()
    window.open_settings()
    settings = _open(qtbot, window, SettingsDialog)
    everything_literal(qtbot, window, settings)
    settings.close()


def test_a_message_quoting_data_shows_it_as_text(qtbot: QtBot) -> None:
    """A calm error message can quote what was typed or imported (a name, a directory entry)."""
    from sp_desktop.domain.errors import SpDesktopError

    from sp_desktop.ui.errors import show_error

    parent = QWidget()
    qtbot.addWidget(parent)
    show_error(parent, SpDesktopError(f"Could not save {marked('Ann')}."))
    box = _open(qtbot, parent, QMessageBox)
    seen = look_at(box)
    assert seen.checked and not seen.wrong, seen
