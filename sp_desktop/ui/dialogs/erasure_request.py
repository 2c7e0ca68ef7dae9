"""Asking the office to erase a person: the adviser says why; a manager confirms it in the office
console, and then every laptop removes them. Nothing is removed by asking."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QPlainTextEdit, QVBoxLayout, QWidget

from sp_desktop.domain.errors import ValidationError
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.form import FormDialog
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import label

WHAT_HAPPENS = (
    "Their records are not removed now. The office is asked at the next sync; a manager checks "
    "and erases them there, and then every laptop removes them. This cannot be undone."
)


class ErasureRequestDialog(FormDialog):
    """Signal: saved(Changes). Enter in the reason does not send (it is several lines):
    the main button does."""

    saved = Signal(object)

    def __init__(
        self, session: Session, person_id: str, person_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id = person_id
        self.setWindowTitle(f"Ask the office to erase {person_name}")
        self.reason = QPlainTextEdit()
        form = QFormLayout()
        self.add_field(form, "&Why should their records be erased?", "reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(label(WHAT_HAPPENS))
        layout.addWidget(self.top_error)
        layout.addLayout(form)
        layout.addLayout(self.button_row("Ask the office"))
        self.mark_clean()
        fit_to_screen(self)

    def problems(self) -> list[ValidationError]:
        words = self.reason.toPlainText().strip()
        if not words:
            return [ValidationError("reason", "Please say why their records should be erased.")]
        if len(words) > 2000:
            return [ValidationError("reason", "The reason is longer than 2,000 characters.")]
        return []

    def save(self) -> None:
        person_id, words = self.person_id, self.reason.toPlainText().strip()

        def write(ws: Workspace) -> Changes:
            return ws.people.request_erasure(person_id, words)

        self.session.write(write, self._saved, self.save_failed)

    def _saved(self, changes: Changes) -> None:
        self.saved_ok()
        self.saved.emit(changes)
