"""The status bar's sync corner: last sync, changes waiting, conflicts, progress and warnings."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.sync.client import SyncProgress, SyncResult

from sp_desktop.ui.style import plain, set_role
from sp_desktop.ui.sync.controller import SyncController, SyncView


def progress_words(report: SyncProgress) -> str:
    """'Syncing: sent 12 · 28 to send · received 140': in words, so no one needs the bar."""
    parts = [f"sent {report.pushed}"]
    if report.waiting:
        parts.append(f"{report.waiting} to send")
    parts.append(f"received {report.pulled}")
    return "Syncing: " + " · ".join(parts)


def result_words(result: SyncResult) -> str:
    parts = [f"Sync finished: sent {result.pushed}, received {result.pulled}"]
    if result.new_conflicts:
        noun = "conflict" if result.new_conflicts == 1 else "conflicts"
        parts.append(f"{result.new_conflicts} new {noun} to resolve")
    if result.rejected:
        parts.append(f"{result.rejected} refused by the office")
    text = ", ".join(parts) + "."
    if result.notice:
        text += f" {result.notice}"
    return text


class SyncStatusWidget(QWidget):
    """Shows the sync facts in words (never by colour alone) with buttons for what to do next.

    Signals: sync_requested(), resolve_requested(), refused_requested(), register_requested().
    Attributes: `state` (the summary line), `warning`, `message` (how the last sync went),
    `progress_bar`, `stop_button`, `sync_button`, `resolve_button`, `refused_button`,
    `register_button`.
    """

    sync_requested = Signal()
    resolve_requested = Signal()
    refused_requested = Signal()
    register_requested = Signal()

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.state = plain(QLabel(""))
        self.state.setAccessibleName("Office sync status")
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.state.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # screen readers can land on it
        self.state.setWordWrap(True)  # "1,234 changes waiting (oldest …)" on a narrow screen
        self.warning = plain(QLabel(""))
        set_role(self.warning, "error")
        self.warning.setWordWrap(True)
        self.warning.setAccessibleName("Sync warning")
        self.message = plain(QLabel(""))  # may quote the office
        self.message.setAccessibleName("How the last sync went")
        self.message.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setAccessibleName("Sync progress")
        self.progress_bar.setRange(0, 0)  # busy until the first report says how many
        self.progress_bar.setTextVisible(True)
        # Narrow: the counts themselves are said in words beside it (`message`).
        self.progress_bar.setFixedWidth(self.fontMetrics().horizontalAdvance("Starting sync…")
                                        + 40)
        self.stop_button = self._button("Stop sync", "Stop the sync; nothing exchanged is lost")
        self.sync_button = self._button("Sync now", "Send changes to the office and get theirs")
        self.resolve_button = self._button("Resolve conflicts…", "Choose between two versions")
        self.refused_button = self._button(
            "Refused changes…", "Read the changes the office would not accept")
        self.register_button = self._button(
            "Register this laptop…", "Connect this laptop to the office server")
        # Two rows: the standing facts and buttons, then (only when there is one) the warning
        # or how the last sync went, with the whole width to be read in.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        facts = QHBoxLayout()
        for widget in (self.state, self.progress_bar, self.stop_button, self.resolve_button,
                       self.refused_button, self.sync_button, self.register_button):
            facts.addWidget(widget)
        layout.addLayout(facts)
        layout.addWidget(self.warning)
        layout.addWidget(self.message)
        self.stop_button.clicked.connect(controller.cancel)
        self.sync_button.clicked.connect(self.sync_requested)
        self.resolve_button.clicked.connect(self.resolve_requested)
        self.refused_button.clicked.connect(self.refused_requested)
        self.register_button.clicked.connect(self.register_requested)
        controller.status_changed.connect(self.show_view)
        controller.started.connect(self._started)
        controller.progress.connect(self.show_progress)
        controller.finished.connect(self._finished)
        controller.failed.connect(self._failed)
        controller.stopped.connect(self._stopped)
        self.show_view(controller.view())

    def _button(self, text: str, description: str) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(text.rstrip("…"))
        button.setAccessibleDescription(description)
        button.setToolTip(description)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return button

    def text(self) -> str:
        """Everything the corner says, as one sentence (what tests and screen readers read)."""
        parts = [self.warning.text(), self.message.text(), self.state.text()]
        return " ".join(part for part in parts if part)

    # --- showing ---------------------------------------------------------------------------------

    def show_view(self, view: SyncView) -> None:
        words = view.words
        if view.overview is None or words is None:  # locked: nothing about anyone's data
            for text in (self.state, self.warning, self.message):
                text.setText("")
            self.warning.hide()
            self.message.hide()
            for widget in (self.progress_bar, self.stop_button, self.sync_button,
                           self.resolve_button, self.refused_button, self.register_button):
                widget.hide()
            return
        self.state.setText(words.summary)
        self.state.setAccessibleDescription(words.summary)
        self.warning.setText(f"⚠ {words.warning}" if words.warning else "")
        self.warning.setVisible(bool(words.warning))
        registered = view.overview.registered
        conflicts = view.overview.status.unresolved_conflicts
        self.register_button.setVisible(not registered)
        self.sync_button.setVisible(registered and not view.running)
        self.resolve_button.setText(
            "Resolve conflicts…" if conflicts != 1 else "Resolve a conflict…")
        self.resolve_button.setVisible(conflicts > 0)
        refused = view.overview.status.rejected
        self.refused_button.setText(
            "Refused changes…" if refused != 1 else "Refused change…")
        self.refused_button.setVisible(refused > 0)
        self.progress_bar.setVisible(view.running)
        self.stop_button.setVisible(view.running)

    def _started(self, automatic: bool) -> None:
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("Starting sync…")
        self.message.setText("Syncing with the office by itself…" if automatic
                             else "Syncing with the office…")
        self.message.show()
        self.progress_bar.show()
        self.stop_button.show()
        self.sync_button.hide()

    def show_progress(self, report: SyncProgress) -> None:
        total = report.pushed + report.waiting
        if total:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(report.pushed)
            self.progress_bar.setFormat("%p% sent")
        else:
            self.progress_bar.setRange(0, 0)  # nothing to send: only receiving, size unknown
            self.progress_bar.setFormat("Receiving…")
        words = progress_words(report)
        self.progress_bar.setAccessibleDescription(words)
        self.message.setText(words)
        self.message.show()

    def _finished(self, result: SyncResult) -> None:
        self.message.setText(result_words(result))
        self.message.show()

    def _failed(self, message: str, _automatic: bool) -> None:
        self.message.setText(f"Sync did not finish: {message}")
        self.message.show()

    def _stopped(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()
