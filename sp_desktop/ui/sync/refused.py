"""Changes the office refused: each one in the adviser's words, read and then dismissed."""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.services.sync_status import RefusedCard, dismiss_refused, refused_cards
from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.models.cards import CardListModel
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

EXPLAIN = (
    "The office would not accept these changes, so they were set aside; nothing else waited "
    "behind them. Read what the office said, put right anything that needs it (or ask your "
    "office), then dismiss the change from this list."
)


class RefusedDialog(QDialog):
    """Lists the refused changes; the adviser reads one and dismisses it.

    Signal: dismissed(op_id) once a change has left the list in the store.
    Attributes: `model`, `list`, `title`, `details` (the whole change in words),
    `dismiss_button`, `outcome` (what the last dismissal did), `close_button`.
    """

    dismissed = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Changes the office refused")
        self.model = CardListModel[RefusedCard](
            lambda card: card.op_id,
            lambda card: f"{card.title} — refused: {card.reason or 'no reason given'}",
            self,
        )  # owned by the dialog: deleted with it, here
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setAccessibleName("Changes the office refused")
        self.list.setMaximumWidth(320)
        self.title = heading("", 3)
        self.title.setAccessibleName("Refused change")
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setTabChangesFocus(True)  # Tab moves on; the text is read, not typed into
        self.details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.details.setAccessibleName("What was refused and why")
        self.dismiss_button = QPushButton("&Dismiss, I have read it")
        self.dismiss_button.setAccessibleName("Dismiss, I have read it")
        self.dismiss_button.setAccessibleDescription(
            "Takes this change off the list. It is not sent again.")
        set_role(self.dismiss_button, "primary")
        self.outcome = label("", "notice")
        self.outcome.setAccessibleName("What happened")
        self.outcome.hide()
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close")

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Changes the office refused", 2))
        layout.addWidget(label(EXPLAIN))
        body = QHBoxLayout()
        body.addWidget(self.list)
        detail = QVBoxLayout()
        detail.addWidget(self.title)
        detail.addWidget(self.details, 1)
        detail.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignRight)
        body.addLayout(detail, 1)
        layout.addLayout(body, 1)
        layout.addWidget(self.outcome)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.setMinimumSize(760, 400)
        fit_to_screen(self)
        self.setTabOrder(self.list, self.details)
        self.setTabOrder(self.details, self.dismiss_button)
        self.setTabOrder(self.dismiss_button, self.close_button)

        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.dismiss_button.clicked.connect(self.dismiss)
        self.close_button.clicked.connect(self.accept)
        self._busy = False
        self._closed = False  # results arriving after the dialog has gone are dropped
        self._show_card(None)
        self.title.setText("Reading the refused changes…")
        self.load()

    def done(self, result: int) -> None:
        self._closed = True
        super().done(result)

    # --- loading --------------------------------------------------------------------------------

    def load(self) -> None:
        """Reads the refused changes in the background (names come through the services)."""
        if self.session.is_unlocked:
            self.session.read(refused_cards, self._loaded)

    def _loaded(self, cards: list[RefusedCard]) -> None:
        if self._closed:
            return
        self.model.set_cards(cards)
        if not cards:
            self._show_card(None)
            self.close_button.setFocus()
            return
        self.list.setCurrentIndex(self.model.index(0, 0))
        self.list.setFocus()

    @property
    def current(self) -> RefusedCard | None:
        return self.model.card(self.list.currentIndex().row())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_card(self.model.card(current.row()))

    def _show_card(self, card: RefusedCard | None) -> None:
        if card is None:
            self.title.setText("Nothing here: the office has accepted everything you sent.")
            self.details.setPlainText("")
        else:
            self.title.setText(card.title)
            self.details.setPlainText(card.details)
        self.dismiss_button.setEnabled(card is not None and not self._busy)

    # --- dismissing -----------------------------------------------------------------------------

    def dismiss(self) -> None:
        """Takes the current change off the list, on the writer thread like any other write."""
        card = self.current
        if card is None or self._busy or not self.session.is_unlocked:
            return
        self._busy = True
        self._show_card(card)

        def forget(ws: Workspace) -> None:
            dismiss_refused(ws, card.op_id)

        self.session.write(forget, lambda _none: self._dismissed(card), self._failed)

    def _dismissed(self, card: RefusedCard) -> None:
        self._busy = False
        if self._closed:
            return  # dismissed in the store; closing the dialog already refreshed the count
        self.dismissed.emit(card.op_id)
        self.outcome.setText(f"Dismissed {card.title}. It will not be sent again.")
        self.outcome.show()
        self.load()

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        if not self._closed:
            self._show_card(self.current)
        self.session.tasks.on_error(error)
