"""The one form dialog: Enter does the main action, every problem shows at once beside its field,
and nothing typed is dropped without asking.

Subclasses build their fields with `add_field` (the label becomes the input's accessible name),
make their buttons with `button_row`, say what is wrong in `problems()` (all of it, not the first
thing) and write in `save()`, calling `saved_ok()` or `save_failed()` when the writer answers.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QWidget,
)

from sp_desktop.domain.errors import ValidationError

from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import FieldWithError, FormErrors, form_row
from sp_desktop.ui.rating import RatingButtons
from sp_desktop.ui.style import label, set_role

LEAVE_QUESTION = "Close without saving?"
LEAVE_WORDS = "What you typed in this form has not been saved, and will not be kept."


def spoken(text: str) -> str:
    """A form label as a screen reader should say it: no '&' shortcut mark, no colon."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(": ").strip()


def value_of(widget: QWidget) -> Any:
    """What an input holds now, to tell whether anything was typed or chosen."""
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        return widget.currentIndex()
    if isinstance(widget, QAbstractSpinBox):
        return widget.text()
    if isinstance(widget, QAbstractButton):
        return widget.isChecked()
    if isinstance(widget, RatingButtons):
        return widget.value
    return None


def _is_input(widget: QWidget) -> bool:
    if isinstance(widget, QLineEdit):
        # The line edit inside a spin box or combo box is part of that input.
        return not isinstance(widget.parentWidget(), (QAbstractSpinBox, QComboBox))
    if isinstance(widget, QAbstractButton):
        return widget.isCheckable() and not isinstance(widget.parentWidget(), RatingButtons)
    return isinstance(widget, (QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox,
                               RatingButtons))


class FormDialog(QDialog):
    """Attributes: `errors` (field name -> its error line), `top_error` (problems with no field
    of their own), `main_button`, `cancel_button`, `why_disabled` (says why the main button
    cannot be pressed yet), `confirm_box` (the "close without saving?" question while open),
    `saving` (a write is on its way)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.errors = FormErrors()
        self.top_error = label("", "error")
        self.top_error.hide()
        self.top_error.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a screen reader can land on it
        self.errors.fallback = self.top_error
        self.main_button = QPushButton("Save")
        self.cancel_button = QPushButton("Cancel")
        self.why_disabled = label("", "quiet")
        self.why_disabled.setAccessibleName("Why this cannot be done yet")
        self.why_disabled.hide()
        self.confirm_box: QMessageBox | None = None
        self.saving = False
        self._clean: dict[int, Any] | None = None
        self._checking = False  # after a refused submit: re-check as the adviser mends

    # --- building ----------------------------------------------------------------------------

    def add_field(
        self, form: QFormLayout, text: str, name: str, field: QWidget
    ) -> FieldWithError:
        """A labelled row: the label is the input's accessible name (a combo box would else be
        announced by its value) and its buddy (Alt+underlined letter); the error line sits
        under the input; editing re-checks the form once a submit has found problems."""
        if not field.accessibleName():
            field.setAccessibleName(spoken(text))
        wrapped = self.errors.add(name, field)
        form_row(form, text, wrapped)
        self.watch(field)
        return wrapped

    def watch(self, field: QWidget) -> None:
        """Re-checks the form when this input changes (after a refused submit)."""
        signal: Any = None
        if isinstance(field, (QLineEdit, QPlainTextEdit, QTextEdit)):
            signal = field.textChanged
        elif isinstance(field, QComboBox):
            signal = field.currentIndexChanged
        elif isinstance(field, QAbstractSpinBox):
            signal = getattr(field, "valueChanged", None)
        elif isinstance(field, QAbstractButton):
            signal = field.toggled
        elif isinstance(field, RatingButtons):
            signal = field.changed
        if signal is not None:
            signal.connect(lambda *_args: self.recheck())

    def button_row(self, main_text: str, cancel_text: str = "Cancel") -> QHBoxLayout:
        """Cancel and the main action (the default: Enter in any one-line field presses it),
        with the reason beside them whenever the main action cannot be done yet."""
        self.main_button.setText(main_text)
        set_role(self.main_button, "primary")
        self.main_button.setDefault(True)
        self.main_button.setAutoDefault(True)
        self.cancel_button.setText(cancel_text)
        self.main_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.why_disabled, 1)
        row.addStretch(0)
        row.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.main_button, 0, Qt.AlignmentFlag.AlignBottom)
        return row

    def set_main_enabled(self, enabled: bool, why: str = "") -> None:
        """Enables the main button, or disables it and says why, beside it and to screen
        readers (a greyed button with no reason leaves the adviser guessing)."""
        self.main_button.setEnabled(enabled)
        reason = "" if enabled else why
        self.why_disabled.setText(reason)
        self.why_disabled.setVisible(bool(reason))
        self.main_button.setToolTip(reason)
        self.main_button.setAccessibleDescription(reason)

    def mark_clean(self) -> None:
        """What the form holds now counts as nothing typed (call once it is filled)."""
        self._clean = self._values()

    # --- what subclasses say -----------------------------------------------------------------

    def problems(self) -> list[ValidationError]:
        """Everything wrong with what is typed, top to bottom; empty when it can be saved."""
        return []

    def save(self) -> None:
        """Writes; call `saved_ok()` or `save_failed(error)` when the writer answers."""
        self.saved_ok()

    # --- submitting --------------------------------------------------------------------------

    def submit(self) -> None:
        if self.saving or not self.main_button.isEnabled():
            return
        found = self.problems()
        self.errors.show_all(found)
        if found:
            self._checking = True
            return
        self._checking = False
        self.saving = True
        self.main_button.setEnabled(False)
        self.save()

    def recheck(self) -> None:
        """Clears what has been mended (and updates what is still wrong) as the adviser types,
        without moving their focus."""
        if self._checking and not self.saving:
            self.errors.show_all(self.problems(), focus=False)

    def saved_ok(self) -> None:
        self.saving = False
        self._clean = self._values()
        self.accept()

    def save_failed(self, error: BaseException) -> None:
        self.saving = False
        self.main_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.errors.show_all([error])
            self._checking = True
        else:
            show_error(self, error)

    # --- leaving -----------------------------------------------------------------------------

    def _values(self) -> dict[int, Any]:
        return {id(w): value_of(w) for w in self.findChildren(QWidget) if _is_input(w)}

    def has_unsaved_input(self) -> bool:
        if self._clean is None:
            return False
        now = self._values()
        return any(now[key] != value for key, value in self._clean.items() if key in now)

    def reject(self) -> None:
        """Escape, Close and Cancel: asks first when something typed would be lost."""
        if self.saving or not self.has_unsaved_input():
            super().reject()
            return
        if self.confirm_box is not None and self.confirm_box.isVisible():
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(LEAVE_QUESTION)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(LEAVE_QUESTION)
        box.setInformativeText(LEAVE_WORDS)
        leave = box.addButton("Close without saving", QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        self.confirm_box = box

        def answered(_result: int) -> None:
            self.confirm_box = None
            if box.clickedButton() is leave:
                self._clean = None
                QDialog.reject(self)

        box.finished.connect(answered)
        box.open()
