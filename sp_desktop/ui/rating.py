"""Ratings 0-10 as a row of large buttons, optionally with 'prefers not to say'.

Used for ONS4 answers, how much a concern worries someone and progress on a step. Tab enters
the row at the chosen button (or 0), arrow keys move along it, Space chooses: one tab stop per
question rather than twelve.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.ui.style import label

DECLINED: Literal["declined"] = "declined"
RatingValue = int | Literal["declined"] | None
_DECLINE_ID = 11


class RatingButtons(QWidget):
    """A 0-10 choice. Signal: changed(value) — an int, DECLINED, or None when cleared."""

    changed = Signal(object)

    def __init__(
        self,
        name: str,
        *,
        low: str = "",
        high: str = "",
        allow_decline: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.setAccessibleName(name)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: list[QPushButton] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.setSpacing(4)
        for score in range(11):
            button = QPushButton(str(score))
            button.setCheckable(True)
            button.setProperty("role", "rating")
            anchor = low if score == 0 else high if score == 10 else ""
            button.setAccessibleName(f"{name}: {score}")
            button.setAccessibleDescription(
                f"{score} out of 10" + (f", {anchor.lower()}" if anchor else "")
            )
            button.setToolTip(f"{score}" + (f" — {anchor}" if anchor else ""))
            self._group.addButton(button, score)
            self.buttons.append(button)
            row.addWidget(button)
        self.decline_button: QPushButton | None = None
        if allow_decline:
            row.addSpacing(12)
            decline = QPushButton("Prefers not to say")
            decline.setCheckable(True)
            decline.setProperty("role", "rating")
            decline.setAccessibleName(f"{name}: prefers not to say")
            self._group.addButton(decline, _DECLINE_ID)
            self.buttons.append(decline)
            self.decline_button = decline
            row.addWidget(decline)
        row.addStretch(1)
        outer.addLayout(row)
        if low or high:
            anchors = QHBoxLayout()
            anchors.addWidget(label(f"0 = {low}", "quiet", wrap=False))
            anchors.addSpacing(24)
            anchors.addWidget(label(f"10 = {high}", "quiet", wrap=False))
            anchors.addStretch(1)
            outer.addLayout(anchors)
        for button in self.buttons:
            button.installEventFilter(self)
        self._group.idClicked.connect(self._clicked)
        self._roving_focus()

    @property
    def value(self) -> RatingValue:
        chosen = self._group.checkedId()
        if chosen < 0:
            return None
        return DECLINED if chosen == _DECLINE_ID else chosen

    def set_value(self, value: RatingValue) -> None:
        """Shows a value without announcing it (restoring a draft, showing a saved answer)."""
        if value is None:
            self._group.setExclusive(False)
            for button in self.buttons:
                button.setChecked(False)
            self._group.setExclusive(True)
        else:
            button_id = _DECLINE_ID if value == DECLINED else int(value)
            chosen = self._group.button(button_id)
            if chosen is not None:
                chosen.setChecked(True)
        self._roving_focus()

    def set_read_only(self, read_only: bool) -> None:
        for button in self.buttons:
            button.setEnabled(not read_only or button.isChecked())

    def _clicked(self, button_id: int) -> None:
        self._roving_focus()
        self.changed.emit(self.value)

    def _roving_focus(self) -> None:
        current: QAbstractButton = self._group.checkedButton() or self.buttons[0]
        for button in self.buttons:
            policy = Qt.FocusPolicy.StrongFocus if button is current else Qt.FocusPolicy.ClickFocus
            button.setFocusPolicy(policy)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(watched, QPushButton)
            and watched in self.buttons
        ):
            step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(event.key()), 0)
            if step:
                index = (self.buttons.index(watched) + step) % len(self.buttons)
                self.buttons[index].setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        return super().eventFilter(watched, event)
