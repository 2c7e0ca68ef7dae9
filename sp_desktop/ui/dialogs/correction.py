"""Adding a correction to a signed visit: an addendum in the adviser's own name, shown under
the visit; the signed record itself stays exactly as it was."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.rows import VISIT_ADDENDA
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fields import FieldWithError
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

LINES_SHOWN = 6


class CorrectionDialog(QDialog):
    """Type the correction; Enter adds it (Shift+Enter starts a new line), Escape leaves,
    asking first when something was typed.

    Attributes: `words` (the box, plain text only), `words_field` (with its error line),
    `add_button`, `confirm_box` (the "leave without adding?" question while it is open).
    Signal: added(Changes).
    """

    added = Signal(object)

    def __init__(
        self, session: Session, visit_id: str, visit_words: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.visit_id = visit_id
        self.saving = False
        self.confirm_box: QMessageBox | None = None
        self.setWindowTitle("Add a correction")
        self.words = QPlainTextEdit()
        self.words.setAccessibleName("The correction")
        self.words.setPlaceholderText("What was wrong or missing, and what is right")
        self.words.setTabChangesFocus(True)
        self.words.setFixedHeight(self.words.fontMetrics().lineSpacing() * LINES_SHOWN + 16)
        self.words_field = FieldWithError(self.words)
        self.add_button = QPushButton("Add the correction")
        set_role(self.add_button, "primary")
        self.add_button.setAutoDefault(False)  # Enter in the box is handled there (see below)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Add a correction", 2))
        layout.addWidget(label(visit_words, "quiet"))
        layout.addWidget(
            label(
                "The signed visit stays exactly as it was. Your correction is added under it, "
                "with your name and today's date, on every laptop of your team and in print. "
                "Press Enter to add it; Shift+Enter starts a new line."
            )
        )
        layout.addWidget(self.words_field)
        layout.addLayout(row)
        self.setMinimumWidth(min(560, self.fontMetrics().averageCharWidth() * 70))

        self.words.installEventFilter(self)
        self.words.textChanged.connect(self.words_field.clear_error)
        self.add_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        self.words.setFocus()

    @property
    def typed(self) -> str:
        return self.words.toPlainText()

    def save(self) -> None:
        """Checked here with the rules the record applies, then written in the background."""
        if self.saving:
            return
        text = self.typed.strip()
        try:
            if not text:
                raise ValidationError("words", "Please write the correction.")
            VISIT_ADDENDA.check_value("words", text, date.today())
        except ValidationError as error:
            self._refuse(error)
            return
        self.saving = True
        self.add_button.setEnabled(False)
        visit_id = self.visit_id

        def write(ws: Workspace) -> Changes:
            return ws.visits.add_addendum(visit_id, text)

        self.session.write(write, self._added, self._failed)

    def _added(self, changes: Changes) -> None:
        self.saving = False
        self.added.emit(changes)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        self.add_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self._refuse(error)
        else:
            show_error(self, error)

    def _refuse(self, error: ValidationError) -> None:
        self.words_field.show_error(error.message)
        self.words.setFocus()

    def reject(self) -> None:
        """Escape or Cancel: leaves at once when nothing was typed, else asks first."""
        if self.saving:
            return
        if not self.typed.strip():
            super().reject()
            return
        if self.confirm_box is not None:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Leave without adding it?")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText("You have typed a correction that is not added yet. Leave without adding it?")
        leave = box.addButton("Leave without adding it", QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton("Keep writing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        self.confirm_box = box

        def answered(_result: int) -> None:
            self.confirm_box = None
            if box.clickedButton() is leave:
                QDialog.reject(self)
            else:
                self.words.setFocus()

        box.finished.connect(answered)
        box.open()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.words
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.save()
            return True
        return super().eventFilter(watched, event)
