"""The dialog for errors nobody expected: reassures, and offers a report free of personal data."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.ui.fit import fit_to_screen, text_size
from sp_desktop.ui.style import heading, label


class BugReportDialog(QDialog):
    """Shows the report text and lets the adviser copy it for the office."""

    def __init__(self, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Something went wrong")
        self.report = report
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Sorry — something went wrong in SP Desktop", 2))
        layout.addWidget(
            label(
                "What you have saved is safe. If this keeps happening, please copy the report "
                "below and send it to your office. It says where the program went wrong and "
                "contains nobody's personal details."
            )
        )
        text = QPlainTextEdit(report)
        text.setReadOnly(True)
        text.setAccessibleName("Bug report")
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy report")
        copy.setAccessibleName("Copy report")
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.report))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_to_screen(self, text_size(self, 70, 20))
