"""At unlock: offers to carry on a visit whose typing was autosaved but never finished."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from sp_desktop.services.visit_summary import ResumableVisit

from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.style import heading, label, set_role


def saved_at_words(saved_at: str) -> str:
    """The draft's save time in the laptop's own time zone, e.g. 'at 14:32 on Tue 3 Mar 2026'."""
    try:
        local = datetime.fromisoformat(saved_at).astimezone()
    except ValueError:
        return ""
    return f"at {local:%H:%M} on {nice_date(local.date())}"


class ResumeDialog(QDialog):
    """Signal: resume(visit_id). 'Not now' keeps the draft for later."""

    resume = Signal(str)

    def __init__(self, drafts: list[ResumableVisit], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Carry on where you left off?")
        newest = drafts[0]
        self.visit_id = newest.visit_id
        text = (
            f"You were part-way through the visit with {newest.person_name} "
            f"({nice_date(newest.visit_date)}). What you typed was saved "
            f"{saved_at_words(newest.saved_at)}."
        )
        if len(drafts) > 1:
            text += f" There are {len(drafts) - 1} more unfinished visits on their timelines."
        self.carry_on = QPushButton("Carry on with this visit")
        set_role(self.carry_on, "primary")
        self.carry_on.setDefault(True)
        later = QPushButton("Not now")
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Carry on where you left off?", 2))
        self.message = label(text)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(later)
        row.addWidget(self.carry_on)
        layout.addLayout(row)
        self.carry_on.clicked.connect(self._resume)
        later.clicked.connect(self.reject)
        self.setMinimumWidth(480)
        fit_to_screen(self)

    def _resume(self) -> None:
        self.accept()
        self.resume.emit(self.visit_id)
