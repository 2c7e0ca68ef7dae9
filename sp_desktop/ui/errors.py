"""Telling the adviser about an error: known problems calmly, anything else as a bug report."""

from __future__ import annotations

import logging
import platform
import traceback

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from sp_desktop.domain.errors import SpDesktopError

log = logging.getLogger(__name__)


def is_known(error: BaseException) -> bool:
    """Store errors and validation errors carry messages written for the adviser."""
    return isinstance(error, SpDesktopError)


def bug_report_text(error: BaseException) -> str:
    """Where the program went wrong, without the error's message or any values.

    Messages and locals can hold personal data (a name in a query, a typed note), so the report
    has only the exception's type and the file, line and function of each frame.
    """
    from sp_desktop import __version__

    frames = traceback.extract_tb(error.__traceback__)
    lines = [
        f"SP Desktop {__version__} on Python {platform.python_version()} ({platform.system()})",
        f"Error type: {type(error).__module__}.{type(error).__qualname__}",
        "Where:",
    ]
    for frame in frames:
        where = frame.filename.replace("\\", "/")
        if "/sp_desktop/" in where:
            where = "sp_desktop/" + where.split("/sp_desktop/", 1)[1]
        else:
            where = where.rsplit("/", 1)[-1]
        lines.append(f"  {where}:{frame.lineno} in {frame.name}")
    cause = error.__cause__ or error.__context__
    if cause is not None:
        lines.append(f"Caused by: {type(cause).__module__}.{type(cause).__qualname__}")
    return "\n".join(lines)


def show_error(parent: QWidget | None, error: BaseException) -> None:
    """The one place errors reach the adviser."""
    if is_known(error):
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("SP Desktop")
        box.setTextFormat(Qt.TextFormat.PlainText)  # the message may quote a name
        box.setText(str(error))
        box.setAccessibleName("Message")
        box.open()
        return
    log.error("unexpected error: %s", type(error).__name__)
    from sp_desktop.ui.dialogs.bug_report import BugReportDialog

    BugReportDialog(bug_report_text(error), parent).open()
