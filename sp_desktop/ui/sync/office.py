"""The "Office sync" menu and status corner, wired to the controller: the one object the main
window creates."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from sp_desktop.ui.session import Session
from sp_desktop.ui.sync.conflicts import ConflictDialog
from sp_desktop.ui.sync.controller import SyncController, SyncView
from sp_desktop.ui.sync.refused import RefusedDialog
from sp_desktop.ui.sync.register import RegisterDialog
from sp_desktop.ui.sync.status import SyncStatusWidget

SYNC_SHORTCUT = "Ctrl+Shift+S"

# Only what is true whatever happened: the message before it says how many changes, if any,
# never reached the office.
WIPED_AFTERWARDS = "\n\nYou can set SP Desktop up again once your office says so."


class OfficeSync(QObject):
    """Builds the controller, the status widget and the menu, and opens the sync dialogs.

    Signal: store_wiped(str message) (relayed, for the window to show its first-run screen).
    Attributes: `controller`, `status` (the status bar widget), `menu`, `register_action`,
    `sync_action`, `stop_action`, `resolve_action`, `refused_action`, `register_dialog`,
    `conflict_dialog`, `refused_dialog`.
    """

    store_wiped = Signal(str)

    def __init__(self, session: Session, window: QWidget, **controller_options: Any) -> None:
        super().__init__(window)
        self.session = session
        self.window = window
        self.controller = SyncController(session, parent=self, **controller_options)
        self.status = SyncStatusWidget(self.controller)
        self.register_dialog: RegisterDialog | None = None
        self.conflict_dialog: ConflictDialog | None = None
        self.refused_dialog: RefusedDialog | None = None

        self.menu = QMenu("&Office sync", window)
        self.register_action = self._action("&Register this laptop…", "", self.open_register)
        self.sync_action = self._action("&Sync now", SYNC_SHORTCUT, self.sync_now)
        self.stop_action = self._action("S&top sync", "", self.controller.cancel)
        self.resolve_action = self._action("Resolve &conflicts…", "", self.open_conflicts)
        self.refused_action = self._action("Changes the office &refused…", "",
                                           self.open_refused)

        self.status.sync_requested.connect(self.sync_now)
        self.status.register_requested.connect(self.open_register)
        self.status.resolve_requested.connect(self.open_conflicts)
        self.status.refused_requested.connect(self.open_refused)
        self.controller.status_changed.connect(self._update_actions)
        self.controller.needs_registration.connect(self.open_register)
        self.controller.failed.connect(self._failed)
        self.controller.store_wiped.connect(self._wiped)
        self._update_actions(self.controller.view())

    def _action(self, text: str, shortcut: str, slot: Any) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            # The shortcut works from every screen of the window, menu open or not.
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.window.addAction(action)
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    def _update_actions(self, view: SyncView) -> None:
        unlocked = view.overview is not None
        registered = unlocked and view.overview is not None and view.overview.registered
        conflicts = view.overview.status.unresolved_conflicts if view.overview else 0
        self.register_action.setEnabled(unlocked and not view.running)
        self.sync_action.setEnabled(unlocked and not view.running)
        self.stop_action.setEnabled(view.running)
        self.resolve_action.setEnabled(unlocked and conflicts > 0)
        # Open even with none refused, so the adviser can check that nothing was.
        self.refused_action.setEnabled(unlocked)
        self.register_action.setText("&Register this laptop…" if not registered
                                     else "&Register this laptop again…")

    # --- doing ---------------------------------------------------------------------------------

    def sync_now(self) -> None:
        if self.session.is_unlocked:
            self.controller.sync_now()

    def open_register(self) -> None:
        if not self.session.is_unlocked:
            return
        if self.register_dialog is not None and self.register_dialog.isVisible():
            self.register_dialog.raise_()
            return
        self.register_dialog = RegisterDialog(self.controller, self.window)
        self.register_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.register_dialog.destroyed.connect(self._register_closed)
        self.register_dialog.open()

    def _register_closed(self) -> None:
        self.register_dialog = None

    def open_conflicts(self) -> None:
        if not self.session.is_unlocked:
            return
        if self.conflict_dialog is not None and self.conflict_dialog.isVisible():
            self.conflict_dialog.raise_()
            return
        self.conflict_dialog = ConflictDialog(self.session, self.window)
        self.conflict_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.conflict_dialog.destroyed.connect(self._conflicts_closed)
        self.conflict_dialog.resolved.connect(lambda _id: self.controller.refresh())
        self.conflict_dialog.open()

    def _conflicts_closed(self) -> None:
        self.conflict_dialog = None

    def open_refused(self) -> None:
        if not self.session.is_unlocked:
            return
        if self.refused_dialog is not None and self.refused_dialog.isVisible():
            self.refused_dialog.raise_()
            return
        self.refused_dialog = RefusedDialog(self.session, self.window)
        self.refused_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.refused_dialog.destroyed.connect(self._refused_closed)
        self.refused_dialog.dismissed.connect(lambda _op: self.controller.refresh())
        self.refused_dialog.open()

    def _refused_closed(self) -> None:
        """Counts again: a dismissal that finished after the dialog closed is shown too."""
        self.refused_dialog = None
        self.controller.refresh()

    # --- telling the adviser -------------------------------------------------------------------

    def _failed(self, message: str, automatic: bool) -> None:
        """A sync the adviser asked for says why it stopped; one that ran by itself only
        notes it in the status bar (the next check tries again)."""
        if not automatic:
            self._tell("Sync did not finish", message)

    def _wiped(self, message: str) -> None:
        self.store_wiped.emit(message)
        self._tell("This laptop has been switched off", message + WIPED_AFTERWARDS)

    def _tell(self, title: str, message: str) -> None:
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(title)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the office's own words, shown as sent
        box.setText(message)
        box.setAccessibleName(title)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
