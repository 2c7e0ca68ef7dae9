"""Showing a new recovery key once: large on screen to write down, or printed on a one-page sheet.

The key opens the store without the passphrase, so the app never writes it to a file: the sheet
is built in memory (`pdf.recovery_sheet`) and goes straight to the printer through the same
print path as every other printout (`print_preview.print_pages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QPageSize
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.pdf.recovery_sheet import KEEP_IT_SAFE, RecoverySheet, build_recovery_sheet

from sp_desktop.ui.dialogs.print_preview import print_pages
from sp_desktop.ui.errors import is_known, show_error
from sp_desktop.ui.style import label, plain, set_role
from sp_desktop.ui.tasks import Progress, Tasks

PRINT_JOB_NAME = "SP Desktop sheet"  # print queues keep job names: never the key itself


@dataclass(frozen=True, slots=True)
class KeyToShow:
    """A recovery key and what its printed sheet says about it."""

    recovery_key: str
    adviser: str
    store_id: str


class RecoveryKeyPanel(QWidget):
    """The key in large letters, a Print button and the "I have kept it" box.

    Attributes: `key` (the key's label), `print_button`, `status` (how printing went), `kept`
    (the check box). Signals: kept_changed(bool), printed(pages).
    """

    kept_changed = Signal(bool)
    printed = Signal(int)

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._shown: KeyToShow | None = None
        self._printing = False
        self.key = plain(QLabel(""))
        set_role(self.key, "key")
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font = QFont(fixed)
        font.setPointSizeF(max(self.font().pointSizeF(), 9.0) * 1.4)
        font.setBold(True)
        self.key.setFont(font)
        self.key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key.setAccessibleName("Recovery key")
        self.key.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.print_button = QPushButton("Print the key on a sheet…")
        self.print_button.setToolTip("One page for your office to keep; nothing is saved")
        self.status = label("", "quiet")
        self.kept = QCheckBox("I have printed or written down the key, and I will keep it safe")
        self.kept.setAccessibleName("I have kept the recovery key safe")
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label(KEEP_IT_SAFE))
        layout.addWidget(self.key)
        layout.addLayout(buttons)
        layout.addWidget(self.kept)
        self.print_button.clicked.connect(self.print_sheet)
        self.kept.toggled.connect(self.kept_changed)

    def show_key(self, shown: KeyToShow) -> None:
        self._shown = shown
        self.key.setText(shown.recovery_key)
        self.kept.setChecked(False)
        self.status.setText("")

    def forget(self) -> None:
        """Takes the key off the screen once it has been kept."""
        self._shown = None
        self.key.setText("")

    def ask_printer(self) -> QPrinter | None:
        """The system print dialog; None if the adviser cancelled."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(PRINT_JOB_NAME)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setFullPage(True)  # the PDF carries its own margins
        dialog = QPrintDialog(printer, self)
        # "Print to file" would put the key in a file on this laptop: the one thing not to do.
        dialog.setOption(QPrintDialog.PrintDialogOption.PrintToFile, False)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return printer

    def print_sheet(self) -> None:
        shown = self._shown
        if shown is None or self._printing:
            return
        printer = self.ask_printer()
        if printer is None:
            return
        self._printing = True
        self.print_button.setEnabled(False)
        self.status.setText("Sending to the printer…")
        sheet = RecoverySheet(shown.recovery_key, shown.adviser, shown.store_id, date.today())

        def send(progress: Progress) -> int:
            return print_pages(printer, build_recovery_sheet(sheet), progress)

        # The writer thread, like every printout: reportlab and PDFium are not thread-safe.
        self._tasks.run_long(send, self._printed, self._print_failed, write=True, name="print key")

    def _printed(self, pages: int) -> None:
        self._printing = False
        self.print_button.setEnabled(True)
        self.status.setText("Sent to the printer. Check the sheet came out whole.")
        self.printed.emit(pages)

    def _print_failed(self, error: BaseException) -> None:
        self._printing = False
        self.print_button.setEnabled(True)
        self.status.setText(str(error) if is_known(error) else "Nothing was printed.")
        if not is_known(error):
            show_error(self, error)
