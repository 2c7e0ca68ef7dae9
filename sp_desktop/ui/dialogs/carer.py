"""Linking a person as the carer of someone else on the caseload, found by name."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.errors import ValidationError
from sp_desktop.services.caseload import CaseloadRow
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.errors import show_error
from sp_desktop.ui.fit import fit_to_screen, text_size
from sp_desktop.ui.models.people_found import PeopleFoundModel
from sp_desktop.ui.session import Session
from sp_desktop.ui.style import heading, label, plain, set_role

MOST_SHOWN = 50  # a name search narrows quickly; a longer list only hides who was meant
TYPING_PAUSE_MS = 150  # search once typing pauses, not on every key


class CarerDialog(QDialog):
    """Type part of a name, choose the person from the list, save the link.

    Searches run in the background; a result arriving after a newer search was asked for is
    dropped, so the list always matches what is in the box.

    Attributes: `search` (name box), `found` (the list), `model`, `count` (how many matched),
    `save_button`. Signal: saved(Changes).
    """

    saved = Signal(object)

    def __init__(
        self, session: Session, person_id: str, person_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id = person_id
        self._asked = 0
        self.setWindowTitle("Who do they care for?")
        self.search = QLineEdit()
        self.search.setAccessibleName("Search the caseload by name")
        self.search.setPlaceholderText("Type part of their name")
        self.search.setClearButtonEnabled(True)
        self.model = PeopleFoundModel()
        self.found = QListView()
        self.found.setModel(self.model)
        self.found.setAccessibleName("People found")
        self.found.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.found.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.count = label("", "quiet")
        self.problem = label("", "error")
        self.problem.hide()
        self.save_button = QPushButton("Save: they care for this person")
        set_role(self.save_button, "primary")
        self.save_button.setEnabled(False)
        cancel = QPushButton("Cancel")
        # Enter belongs to the name box (go to the list) and the list (save): a default button
        # would also fire on Enter in the name box and save whoever was chosen last.
        for button in (self.save_button, cancel):
            button.setAutoDefault(False)
        search_label = plain(QLabel("&Name"))
        search_label.setBuddy(self.search)

        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"Who does {person_name} care for?", 2))
        layout.addWidget(
            label(
                "Choose someone on the caseload. Both their pages will show the link. "
                "Press Enter in the list to save.",
                "quiet",
            )
        )
        layout.addWidget(search_label)
        layout.addWidget(self.search)
        layout.addWidget(self.count)
        layout.addWidget(self.found, 1)
        layout.addWidget(self.problem)
        layout.addLayout(row)
        fit_to_screen(self, text_size(self, 64, 24))

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPING_PAUSE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._to_list)
        self.found.selectionModel().currentChanged.connect(self._current_changed)
        self.found.doubleClicked.connect(lambda _i: self.save())
        self.found.installEventFilter(self)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        self.search.setFocus()

    # --- searching -----------------------------------------------------------------------------

    def run_search(self) -> None:
        self._timer.stop()
        self._asked += 1
        asked, query, me = self._asked, self.search.text(), self.person_id
        if not query.strip():
            self.model.clear()
            self.count.setText("")
            self._current_changed(QModelIndex(), QModelIndex())
            return

        def find(ws: Workspace) -> tuple[int, list[CaseloadRow]]:
            return asked, [r for r in ws.caseload.search(query) if r.person_id != me]

        self.session.read(find, self._show)

    def _show(self, result: tuple[int, list[CaseloadRow]]) -> None:
        asked, rows = result
        if asked != self._asked:
            return  # a newer search is on its way
        self.model.set_rows(rows[:MOST_SHOWN])
        if not rows:
            self.count.setText("Nobody on the caseload matches that name.")
        elif len(rows) > MOST_SHOWN:
            self.count.setText(
                f"Showing the first {MOST_SHOWN} of {len(rows)}: type more of the name."
            )
        else:
            self.count.setText(f"{len(rows)} found")
        self._current_changed(self.found.currentIndex(), QModelIndex())

    def _to_list(self) -> None:
        """Enter in the name box moves to the list (searching first if typing just paused)."""
        if self._timer.isActive():
            self.run_search()
        if self.model.rowCount():
            self.found.setFocus()
            self.found.setCurrentIndex(self.model.index(0, 0))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.save_button.setEnabled(current.isValid())

    def chosen(self) -> str | None:
        index = self.found.currentIndex()
        return self.model.person_id(index.row()) if index.isValid() else None

    # --- saving --------------------------------------------------------------------------------

    def save(self) -> None:
        chosen, carer = self.chosen(), self.person_id
        if chosen is None:
            return
        self.save_button.setEnabled(False)
        self.problem.hide()

        def link(ws: Workspace) -> Changes:
            return ws.people.set_carer_of(carer, chosen)

        self.session.write(link, self._saved, self._failed)

    def _saved(self, changes: Changes) -> None:
        self.saved.emit(changes)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(self.chosen() is not None)
        if isinstance(error, ValidationError):
            self.problem.setText(error.message)
            self.problem.show()
            self.found.setFocus()
        else:
            show_error(self, error)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.found
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.save()
            return True
        return super().eventFilter(watched, event)
