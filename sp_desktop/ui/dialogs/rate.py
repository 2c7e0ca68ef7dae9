"""Rating again (a step's progress, how much a concern worries someone), with the history shown."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from sp_desktop.domain.people import Rating

from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.rating import RatingButtons
from sp_desktop.ui.style import heading, label, set_role


def history_words(history: Sequence[Rating]) -> str:
    if not history:
        return "No earlier ratings."
    return "Earlier: " + "; ".join(f"{nice_date(r.rated_on)}: {r.value}" for r in history)


class RateDialog(QDialog):
    """Asks one 0-10 question; `value` is the answer once accepted."""

    def __init__(
        self,
        title: str,
        question: str,
        history: Sequence[Rating],
        *,
        current: int | None,
        low: str,
        high: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.rating = RatingButtons(question, low=low, high=high)
        self.rating.set_value(current)
        self.save_button = QPushButton("Save this rating")
        set_role(self.save_button, "primary")
        self.save_button.setDefault(True)  # Enter saves, once a number is chosen
        self.why_disabled = label("Choose a number from 0 to 10 first.", "quiet")
        self.why_disabled.setAccessibleName("Why the rating cannot be saved yet")
        cancel = QPushButton("Cancel")
        layout = QVBoxLayout(self)
        layout.addWidget(heading(title, 2))
        layout.addWidget(label(question))
        layout.addWidget(self.rating)
        layout.addWidget(label(history_words(history), "quiet"))
        row = QHBoxLayout()
        row.addWidget(self.why_disabled, 1)
        row.addWidget(cancel)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.rating.changed.connect(lambda _v: self._chosen())
        self._chosen()
        self.save_button.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        fit_to_screen(self)

    def _chosen(self) -> None:
        chosen = isinstance(self.rating.value, int)
        self.save_button.setEnabled(chosen)
        self.why_disabled.setVisible(not chosen)
        self.save_button.setAccessibleDescription("" if chosen else self.why_disabled.text())

    @property
    def value(self) -> int:
        chosen = self.rating.value
        return chosen if isinstance(chosen, int) else 0
