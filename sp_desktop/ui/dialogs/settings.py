"""The few settings an adviser may change (none of them personal)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.ui.settings import IDLE_MINUTES, Settings
from sp_desktop.ui.style import heading, label, set_role


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Settings")
        self.idle = QSpinBox()
        self.idle.setRange(IDLE_MINUTES.minimum or 1, IDLE_MINUTES.maximum or 60)
        self.idle.setValue(settings.get(IDLE_MINUTES))
        self.idle.setSuffix(" minutes")
        self.idle.setAccessibleName("Lock after this many minutes without use")
        form = QFormLayout()
        form.addRow("Lock after", self.idle)
        save = QPushButton("Save")
        set_role(save, "primary")
        cancel = QPushButton("Cancel")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(save)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Settings", 2))
        layout.addWidget(label(IDLE_MINUTES.description, "quiet"))
        layout.addLayout(form)
        layout.addLayout(row)
        save.clicked.connect(self._save)
        cancel.clicked.connect(self.reject)

    def _save(self) -> None:
        self.settings.set(IDLE_MINUTES, self.idle.value())
        self.accept()
