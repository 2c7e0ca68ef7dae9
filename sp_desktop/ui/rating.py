"""Ratings as a row of large buttons (0-10 unless told otherwise), optionally with 'prefers not
to say'.

Used for every measure's answers (any range: 0-10, 1-5, named options such as "Hardly ever or
never"), how much a concern worries someone and progress on a step. Tab enters the row at the
chosen button (or the first), arrow keys move along it, Space chooses: one tab stop per question
rather than one per answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
_DECLINE_ID = 1_000_000  # beyond any answer's value
_NAMED_PER_LINE = 3


class RatingButtons(QWidget):
    """A choice of whole numbers (0-10 by default). Signal: changed(value) — an int, DECLINED,
    or None when cleared.

    `values` are the answers in order; `options` names any of them (named options show their
    words on the button: "Often"); `low` and `high` are the words for the two ends of a scale.
    """

    changed = Signal(object)

    def __init__(
        self,
        name: str,
        *,
        low: str = "",
        high: str = "",
        allow_decline: bool = False,
        values: Sequence[int] = range(11),
        options: Mapping[int, str] | None = None,
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
        values = list(values)
        named = dict(options or {})
        first, last = values[0], values[-1]
        for score in values:
            words = named.get(score, "")
            button = QPushButton(words or str(score))
            button.setCheckable(True)
            button.setProperty("role", "rating")
            anchor = low if score == first else high if score == last else ""
            button.setAccessibleName(f"{name}: {words or score}")
            button.setAccessibleDescription(
                words or f"{score} out of {last}" + (f", {anchor.lower()}" if anchor else "")
            )
            button.setToolTip(words or f"{score}" + (f" — {anchor}" if anchor else ""))
            self._group.addButton(button, score)
            self.buttons.append(button)
            if named and len(self.buttons) > 1 and (len(self.buttons) - 1) % _NAMED_PER_LINE == 0:
                # Named options in lines of three: six long ones fit a 1280-pixel screen.
                row.addStretch(1)
                outer.addLayout(row)
                row = QHBoxLayout()
                row.setSpacing(4)
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
            anchors.addWidget(label(f"{first} = {low}", "quiet", wrap=False))
            anchors.addSpacing(24)
            anchors.addWidget(label(f"{last} = {high}", "quiet", wrap=False))
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
