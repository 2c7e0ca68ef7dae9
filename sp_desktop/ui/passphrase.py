"""Choosing a passphrase: typed twice, with its strength in words and zxcvbn's advice.

The rule itself lives in `sp_desktop.domain.passphrase`, shared with the store and the command
line, so this widget refuses exactly what every other way in refuses, in the same words.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.passphrase import (
    MIN_SCORE,
    NO_PASSPHRASE,
    STRENGTH_WORDS,
    TIP,
    TOO_WEAK,
    normalise,
    strength,
)

from sp_desktop.ui.style import label


class NewPassphrase(QWidget):
    """The two passphrase boxes and the strength meter. Signal: changed()."""

    changed = Signal()

    def __init__(
        self, user_inputs: Callable[[], list[str]] = list, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._user_inputs = user_inputs
        self._score = 0
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("New passphrase")
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Type the passphrase again")
        self.show_typing = QCheckBox("Show what I type")
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setValue(0)
        self.meter.setTextVisible(True)
        self.meter.setFormat("Strength: not chosen yet")
        self.meter.setAccessibleName("Passphrase strength")
        self.advice = label("", "quiet")
        self.match = label("", "quiet")
        form = QFormLayout()
        form.addRow("New passphrase", self.first)
        form.addRow("Type it again", self.second)
        form.addRow("", self.show_typing)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.meter)
        layout.addWidget(self.advice)
        layout.addWidget(self.match)
        self.first.textChanged.connect(self._update)
        self.second.textChanged.connect(self._update)
        self.show_typing.toggled.connect(self._show)

    def passphrase(self) -> str:
        return self.first.text()

    def problem(self) -> str:
        """Why the passphrase cannot be used yet, or '' when it can."""
        if not self.first.text():
            return NO_PASSPHRASE
        if self._score < MIN_SCORE:
            return TOO_WEAK
        if not self._same():
            return "The two passphrases are not the same yet."
        return ""

    def _same(self) -> bool:
        """Typed twice, perhaps once with a composed é and once decomposed: still the same."""
        return normalise(self.first.text()) == normalise(self.second.text())

    def _show(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.first.setEchoMode(mode)
        self.second.setEchoMode(mode)

    def _update(self) -> None:
        typed = self.first.text()
        self._score, advice = strength(typed, [w for w in self._user_inputs() if w])
        self.meter.setValue(self._score if typed else 0)
        words = STRENGTH_WORDS[self._score] if typed else "not chosen yet"
        self.meter.setFormat(f"Strength: {words}")
        self.meter.setAccessibleDescription(f"Strength: {words}")
        if typed and self._score < MIN_SCORE:
            self.advice.setText(f"{advice} {TIP}".strip())
        else:
            self.advice.setText("Good — this passphrase is strong enough." if typed else "")
        if self.second.text():
            same = self._same()
            self.match.setText("Both match." if same else "The two passphrases are different.")
        else:
            self.match.setText("")
        self.changed.emit()
