"""Keyboard habits the whole app shares: Enter presses the focused button, and moving to a new
page puts the cursor in its first field."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QToolButton,
    QWidget,
)

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class EnterPressesButtons(QObject):
    """Enter (and Space, as Qt already does) presses the focused button, everywhere.

    Qt presses a focused button on Enter only inside dialogs, and only "auto-default" ones; on
    the main window's screens Enter on a focused button did nothing. Installed once on the
    application by the main window.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802  # Qt's name
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in _ENTER
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            and isinstance(watched, (QPushButton, QToolButton))
            and watched is QApplication.focusWidget()
            and watched.isEnabled()
            and watched.isVisible()
        ):
            if not event.isAutoRepeat():
                watched.animateClick()
            return True
        return False


def _is_field(widget: QWidget) -> bool:
    if isinstance(widget, QLineEdit) and isinstance(
        widget.parentWidget(), (QAbstractSpinBox, QComboBox)
    ):
        return False
    return isinstance(
        widget, (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox)
    ) or (isinstance(widget, QAbstractButton) and widget.isCheckable())


def focus_first_field(page: QWidget | None) -> bool:
    """Puts the cursor in the first field of `page` that can take typing, in tab order (what
    the adviser would reach first with Tab); True if there was one."""
    if page is None:
        return False
    widget = page.nextInFocusChain()
    seen: set[int] = set()
    while widget is not None and id(widget) not in seen and widget is not page:
        seen.add(id(widget))
        if (
            page.isAncestorOf(widget)
            and _is_field(widget)
            and widget.isVisible()
            and widget.isEnabled()
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and not (isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit))
                     and widget.isReadOnly())
        ):
            widget.setFocus(Qt.FocusReason.TabFocusReason)
            return True
        widget = widget.nextInFocusChain()
    return False
