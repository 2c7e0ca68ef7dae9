"""Resolving conflicts: the kept and the other version side by side, and the adviser's choice."""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.services.sync_status import ConflictCard, conflict_cards
from sp_desktop.services.workspace import Changes, Workspace
from sp_desktop.sync.conflicts import Choice, ConflictGone, resolve_conflict

from sp_desktop.ui.fit import fit_to_screen
from sp_desktop.ui.models.cards import CardListModel
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, set_role

EXPLAIN = (
    "Two laptops changed the same words or detail (an address, a postcode, a date) before "
    "either had synced. The office kept the newer change on every laptop and saved the other, "
    "so nothing is lost. Read both and choose the one to keep: keeping the version shown on "
    "every laptop simply closes the conflict; using the other one changes the record. Your "
    "choice goes to the office at the next sync, like any other change."
)


class VersionPanel(QGroupBox):
    """One side: who changed it and when, the words themselves, and the button to keep them."""

    def __init__(self, title: str, button_text: str, accessible: str) -> None:
        super().__init__(title)
        self.who_when = label("")
        self.who_when.setAccessibleName(f"{accessible}: who and when")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setTabChangesFocus(True)  # Tab moves on; the text is read, not typed into
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.text.setAccessibleName(accessible)
        self.choose = QPushButton(button_text)
        self.choose.setAccessibleName(button_text.replace("&", ""))
        layout = QVBoxLayout(self)
        layout.addWidget(self.who_when)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.choose)

    def show_version(self, text: str, who_when: str) -> None:
        self.text.setPlainText(text)
        self.who_when.setText(who_when)
        self.text.setAccessibleDescription(who_when)


class ConflictDialog(QDialog):
    """Signal: resolved(conflict_id). Attributes: `model`, `list`, `kept`, `other` (the two
    panels), `title`, `outcome` (what the last choice did), `close_button`."""

    resolved = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Resolve conflicts")
        # Owned by the dialog, so Qt deletes it with the dialog on this thread rather than
        # Python's collector deleting it later from whichever thread happens to run.
        self.model = CardListModel[ConflictCard](
            lambda card: card.id,
            lambda card: f"{card.title} — two versions to choose between",
            self,
        )
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setAccessibleName("Conflicts to resolve")
        self.list.setMaximumWidth(320)
        self.title = heading("", 3)
        self.title.setAccessibleName("Conflict")
        self.about = label("")
        self.about.setAccessibleName("About this conflict")
        self.kept = VersionPanel("Kept now, on every laptop", "&Keep this version",
                                 "Kept version")
        self.other = VersionPanel("The other version (not kept)", "&Use this version instead",
                                  "Other version")
        set_role(self.kept.choose, "primary")
        self.outcome = label("", "notice")
        self.outcome.setAccessibleName("What happened")
        self.outcome.hide()
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close")

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Resolve conflicts", 2))
        layout.addWidget(label(EXPLAIN))
        body = QHBoxLayout()
        body.addWidget(self.list)
        detail = QVBoxLayout()
        detail.addWidget(self.title)
        detail.addWidget(self.about)
        sides = QHBoxLayout()
        sides.addWidget(self.kept, 1)
        sides.addWidget(self.other, 1)
        detail.addLayout(sides, 1)
        body.addLayout(detail, 1)
        layout.addLayout(body, 1)
        layout.addWidget(self.outcome)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.setMinimumSize(860, 460)
        fit_to_screen(self)
        self.setTabOrder(self.list, self.kept.text)
        self.setTabOrder(self.kept.text, self.kept.choose)
        self.setTabOrder(self.kept.choose, self.other.text)
        self.setTabOrder(self.other.text, self.other.choose)
        self.setTabOrder(self.other.choose, self.close_button)

        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.kept.choose.clicked.connect(lambda: self.choose(Choice.KEEP))
        self.other.choose.clicked.connect(lambda: self.choose(Choice.OTHER))
        self.close_button.clicked.connect(self.accept)
        self._busy = False
        self._closed = False  # results arriving after the dialog has gone are dropped
        self._select: str | None = None
        self._show_card(None)
        self.title.setText("Reading the conflicts…")
        self.load()

    def done(self, result: int) -> None:
        self._closed = True
        super().done(result)

    # --- loading --------------------------------------------------------------------------------

    def load(self, select: str | None = None) -> None:
        """Reads the conflicts in the background; keeps `select` (or the first) current."""
        self._select = select
        if self.session.is_unlocked:
            self.session.read(conflict_cards, self._loaded)

    def _loaded(self, cards: list[ConflictCard]) -> None:
        if self._closed:
            return
        select = self._select
        self.model.set_cards(cards)
        if not cards:
            self._show_card(None)
            self.close_button.setFocus()
            return
        row = self.model.row_of(select) if select else None
        self.list.setCurrentIndex(self.model.index(row or 0, 0))
        self.list.setFocus()

    @property
    def current(self) -> ConflictCard | None:
        return self.model.card(self.list.currentIndex().row())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_card(self.model.card(current.row()))

    def _show_card(self, card: ConflictCard | None) -> None:
        if card is None:
            self.title.setText("Nothing to resolve: every conflict has been settled.")
            self.about.setText("")
            self.kept.show_version("", "")
            self.other.show_version("", "")
        else:
            self.title.setText(card.title)
            self.about.setText(card.about)
            self.kept.show_version(card.kept_text, card.kept_who_when)
            self.other.show_version(card.other_text, card.other_who_when)
        for button in (self.kept.choose, self.other.choose):
            button.setEnabled(card is not None and not self._busy)

    # --- choosing -------------------------------------------------------------------------------

    def choose(self, choice: Choice) -> None:
        """Settles the current conflict. Keeping the other version is a normal local edit on
        the writer thread, so it is queued for the office like anything the adviser types."""
        card = self.current
        if card is None or self._busy or not self.session.is_unlocked:
            return
        self._busy = True
        self._show_card(card)

        def settle(ws: Workspace) -> Changes:
            resolve_conflict(ws.store, ws.changes, card.id, choice)
            people = frozenset({card.person_id}) if card.person_id else frozenset()
            return Changes(people, frozenset({card.table}))

        self.session.write(settle, lambda _c: self._settled(card, choice), self._failed)

    def _settled(self, card: ConflictCard, choice: Choice) -> None:
        self._busy = False
        if self._closed:
            return  # the edit is saved and announced; there is no dialog left to update
        kept = card.kept_text if choice is Choice.KEEP else card.other_text
        short = kept if len(kept) <= 80 else kept[:77] + "…"
        self.outcome.setText(f"Resolved {card.title}: keeping “{short}”. "
                             "This goes to the office at the next sync.")
        self.outcome.show()
        self.resolved.emit(card.id)
        self.load()

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        if self._closed:
            if not isinstance(error, ConflictGone):
                self.session.tasks.on_error(error)
            return
        if isinstance(error, ConflictGone):
            self.outcome.setText(str(error))
            self.outcome.show()
            self.load()
            return
        self._show_card(self.current)
        self.session.tasks.on_error(error)
