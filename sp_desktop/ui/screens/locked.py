"""What shows while SP Desktop is locked: no one's details, just the way back in."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from sp_desktop.ui.style import heading, label, set_role


class LockedScreen(QWidget):
    """Signal: unlock_requested()."""

    unlock_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = heading("SP Desktop is locked", 1)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.explain = label(
            "Everyone's details are hidden and the store is closed. "
            "Unlock with your passphrase to carry on."
        )
        self.explain.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.unlock_button = QPushButton("Unlock…")
        set_role(self.unlock_button, "primary")
        self.unlock_button.setAccessibleName("Unlock")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.explain)
        layout.addWidget(self.unlock_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.unlock_button.clicked.connect(self.unlock_requested)

    def set_first_run(self) -> None:
        self.title.setText("Welcome to SP Desktop")
        self.explain.setText("This laptop is not set up yet.")
        self.unlock_button.setText("Set up SP Desktop…")
