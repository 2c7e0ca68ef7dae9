"""Before locking or quitting: what is left for the day, with "Go back" or "Lock anyway"."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.services.end_of_day import DayEnd, left_for_the_day

from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role
from sp_desktop.ui.tasks import Task

_WORDS = {
    "lock": ("Before you lock", "Lock anyway"),
    "quit": ("Before you close SP Desktop", "Close anyway"),
}


class EndOfDayDialog(QDialog):
    """Lists what is left (visits not signed, letters due, changes not sent).

    "Go back" is the default, so Enter or Escape keeps the adviser where they were; the other
    button locks or quits anyway (accept). Attributes: `items` (the list), `go_back`, `leave`.
    """

    def __init__(self, day_end: DayEnd, verb: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title, leave_words = _WORDS[verb]
        self.setWindowTitle(title)
        self.items = QListWidget()
        self.items.setAccessibleName("Still to do")
        self.items.setWordWrap(True)
        for left in day_end.items:
            self.items.addItem(QListWidgetItem(left.words))
        self.go_back = QPushButton("Go back")
        set_role(self.go_back, "primary")
        self.go_back.setDefault(True)
        self.leave = QPushButton(leave_words)
        count = len(day_end.items)
        intro = (
            "One thing is still to do today:" if count == 1 else f"{count} things are still to do:"
        )
        layout = QVBoxLayout(self)
        layout.addWidget(heading(title, 2))
        layout.addWidget(label(intro))
        layout.addWidget(self.items, 1)
        layout.addWidget(
            label(
                "Nothing is lost either way: everything is kept safely on this laptop.", "quiet"
            )
        )
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.leave)
        row.addWidget(self.go_back)
        layout.addLayout(row)
        self.go_back.clicked.connect(self.reject)
        self.leave.clicked.connect(self.accept)
        self.setMinimumWidth(480)
        self.go_back.setFocus()


def ask_before_leaving(
    parent: QWidget, session: Session, verb: str, leave: Callable[[], None]
) -> Task:
    """Reads what is left in the background, then leaves at once when nothing is, or asks.

    A check that fails never keeps anyone from locking or closing: `leave` runs anyway.
    """

    def answered(day_end: DayEnd) -> None:
        if not session.is_unlocked:
            return  # locked meanwhile (idle): nothing left to ask about
        if day_end.clear:
            leave()
            return
        dialog = EndOfDayDialog(day_end, verb, parent)
        dialog.accepted.connect(leave)
        dialog.open()

    return session.read(left_for_the_day, answered, lambda _error: leave())
