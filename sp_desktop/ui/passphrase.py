"""Choosing a passphrase: typed twice, with its strength in words and zxcvbn's advice."""

from __future__ import annotations

from collections.abc import Callable

from zxcvbn import zxcvbn

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.ui.style import label

MIN_SCORE = 3  # zxcvbn: "safely unguessable" — needed, because a stolen laptop can be attacked
_STRENGTH_WORDS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")
_CHECKED_LENGTH = 100  # zxcvbn slows down on very long input; the first 100 characters suffice


def strength(passphrase: str, user_inputs: list[str]) -> tuple[int, str]:
    """Score 0-4 and the most useful advice, in words."""
    if not passphrase:
        return 0, ""
    result = zxcvbn(passphrase[:_CHECKED_LENGTH], user_inputs=user_inputs)
    feedback = result.get("feedback", {})
    advice = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
    return int(result["score"]), " ".join(a for a in advice if a)


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
            return "Please choose a passphrase."
        if self._score < MIN_SCORE:
            return "Please choose a stronger passphrase: a few unrelated words work well."
        if self.first.text() != self.second.text():
            return "The two passphrases are not the same yet."
        return ""

    def _show(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.first.setEchoMode(mode)
        self.second.setEchoMode(mode)

    def _update(self) -> None:
        typed = self.first.text()
        self._score, advice = strength(typed, [w for w in self._user_inputs() if w])
        self.meter.setValue(self._score if typed else 0)
        words = _STRENGTH_WORDS[self._score] if typed else "not chosen yet"
        self.meter.setFormat(f"Strength: {words}")
        self.meter.setAccessibleDescription(f"Strength: {words}")
        if typed and self._score < MIN_SCORE:
            tip = "Try three or four unrelated words, like 'kettle violet harbour spoon'."
            self.advice.setText(f"{advice} {tip}".strip())
        else:
            self.advice.setText("Good — this passphrase is strong enough." if typed else "")
        if self.second.text():
            same = typed == self.second.text()
            self.match.setText("Both match." if same else "The two passphrases are different.")
        else:
            self.match.setText("")
        self.changed.emit()
