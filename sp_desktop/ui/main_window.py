"""The main window: caseload, person, visit and directory screens, the lock, the status bar.

Start-up shows the unlock window with only what it needs. The store's libraries and the
services load on a worker thread while the adviser types (`_prepare`); each screen is built
the first time it is shown, so nobody waits for a screen they have not asked for.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sp_desktop.domain.choices import VisitPlace
from sp_desktop.services.settings import IDLE_MINUTES, WINDOW_GEOMETRY, Settings
from sp_desktop.services.startup import store_exists

from sp_desktop.ui.dialogs.unlock import UnlockDialog
from sp_desktop.ui.fit import centre_on_screen, fit_to_screen, text_size
from sp_desktop.ui.form import FormDialog
from sp_desktop.ui.idle import IdleWatcher
from sp_desktop.ui.keys import EnterPressesButtons
from sp_desktop.ui.screens.locked import LockedScreen
from sp_desktop.ui.session import Session, return_freed_memory
from sp_desktop.ui.style import label, plain

if TYPE_CHECKING:
    from sp_desktop.services.visit_summary import ResumableVisit
    from sp_desktop.services.workspace import Changes

    from sp_desktop.ui.dialogs.first_run import FirstRunWizard
    from sp_desktop.ui.screens.caseload import CaseloadScreen
    from sp_desktop.ui.screens.directory import DirectoryScreen
    from sp_desktop.ui.screens.person import PersonScreen
    from sp_desktop.ui.screens.visit import VisitScreen
    from sp_desktop.ui.sync.office import OfficeSync

QUIT_WAIT_MS = 15_000
# The background loading starts once the first window is painted, or after this at the latest.
FIRST_PAINT_WAIT_MS = 400
# Loaded on a worker thread while the adviser types the passphrase (module code only: no
# widget is made off the UI thread). Printing and the directory load when first used.
_PREPARED_UI_MODULES = (
    "sp_desktop.ui.screens.caseload",
    "sp_desktop.ui.screens.person",
    "sp_desktop.ui.sync.office",
)
# Said when the check after unlock finds damage (the store is locked at once).
DAMAGE_LOCKED = (
    "While opening this laptop's store, SP Desktop found that part of it is damaged, so it "
    "locked the store. Nothing was changed. Type your passphrase to unlock again: the whole "
    "store is checked first, you are told what was found, and the newest good backup is "
    "offered."
)
# Said on every screen of a training store; the words live with the demo (services.demo),
# which is only loaded once a store is open.
_TRAINING_BANNER_NAME = "Training copy"


def _prepare_modules() -> None:
    """Background: what unlocking and the first screens need, imported before Enter."""
    import importlib

    from sp_desktop.services.startup import prepare

    prepare()
    for name in _PREPARED_UI_MODULES:
        importlib.import_module(name)


class _AfterFirstPaint(QObject):
    """Calls `then` once `window` has been painted (or after `FIRST_PAINT_WAIT_MS` at most).

    The background loading (`_prepare`) starts only then: begun before, its imports held the
    GIL while the UI thread painted the unlock window, and every Qt call of that paint waited
    for its turn (the window appeared ~60 ms later). The adviser cannot type before the
    window is there, so nothing is lost by starting a moment later.
    """

    def __init__(self, window: QWidget, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._then: Callable[[], None] | None = then
        window.installEventFilter(self)
        QTimer.singleShot(FIRST_PAINT_WAIT_MS, self, self._go)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Paint:
            # After this paint has finished, not inside it.
            QTimer.singleShot(0, self, self._go)
        return False

    def _go(self) -> None:
        then, self._then = self._then, None
        if then is None:
            return
        self._window.removeEventFilter(self)
        then()


class MainWindow(QMainWindow):
    """Attributes: the screens, `office_sync` (menu and dialogs) and `sync_area` (its status
    bar corner)."""

    def __init__(
        self, session: Session, settings: Settings, idle: IdleWatcher | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.settings = settings
        self.idle = idle
        self.unlock_dialog: UnlockDialog | None = None
        self.first_run: FirstRunWizard | None = None
        self.setWindowTitle("SP Desktop")
        self.button_keys = EnterPressesButtons(self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            # Watching only the focused button (moved with the focus), not every event of the
            # app: a Python filter on the application runs for each of them on the UI thread.
            app.focusChanged.connect(self._watch_focused_button)
        self.stack = QStackedWidget()
        self.locked_screen = LockedScreen()
        self._caseload: CaseloadScreen | None = None
        self._person: PersonScreen | None = None
        self._visit: VisitScreen | None = None
        self._directory: DirectoryScreen | None = None
        self._office_sync: OfficeSync | None = None
        self._prepared = False
        self._before_directory: QWidget | None = None
        self._day_checked = False  # the adviser has seen what was left and closed anyway
        self.stack.addWidget(self.locked_screen)
        # A training store says so on every screen (and in the title), never only once: a strip
        # above the screens, where its words have the window's whole width to wrap in.
        self.training_banner = label("", "notice")
        self.training_banner.setAccessibleName(_TRAINING_BANNER_NAME)
        self.training_banner.hide()
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.training_banner)
        central_layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.toolbar = QToolBar("Main")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(self.toolbar)
        self.caseload_action = self._action("Caseload", "Ctrl+1", self.show_caseload)
        self.directory_action = self._action("Directory", "Ctrl+2", self.show_directory)
        self.add_action = self._action("Add a person", "Ctrl+N", self.add_person)
        self.visit_pack_action = self._action("Visit pack…", "", self.open_visit_pack)
        self.settings_action = self._action("Settings", "", self.open_settings)
        # Lock is instant (someone may be walking in); ending the day first lists what is left.
        self.lock_action = self._action("Lock (Ctrl+L)", "Ctrl+L", self.lock)
        self.end_day_action = self._action("End the day…", "Ctrl+Shift+L", self.lock_when_done)
        self.back_action = QAction("Back", self)
        self.back_action.setShortcut(QKeySequence("Alt+Left"))
        self.back_action.triggered.connect(self._back)
        self.addAction(self.back_action)
        self.find_action = QAction("Find", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self._find)
        self.addAction(self.find_action)

        self.lock_state = plain(QLabel("Locked"))  # names the adviser
        self.lock_state.setAccessibleName("Lock state")
        # The office sync menu's place, so the menu bar does not appear later and move the
        # screens down; the real menu takes it once built (after the caseload is on screen).
        self._sync_menu_place = self.menuBar().addMenu("&Office sync")
        self._sync_menu_place.setEnabled(False)
        self.lock_state.setWordWrap(True)
        self.statusBar().addWidget(self.lock_state, 1)

        self.locked_screen.unlock_requested.connect(self.ask_to_unlock)
        session.settings_changed.connect(self._settings_changed)
        session.unlocked.connect(self._unlocked)
        session.locked.connect(self._locked)
        session.changed.connect(self._changed)
        session.damage_found.connect(self._damage_found)
        if idle is not None:
            idle.idle.connect(self._idle)
        self._show_locked()
        geometry = settings.get(WINDOW_GEOMETRY)
        # Sized from the screen it opens on (a remembered size too: the laptop may now be on a
        # smaller screen or scaled up), so the status bar and every button stay in view.
        fit_to_screen(self, text_size(self, 175, 44))
        remembered = QByteArray.fromBase64(geometry.encode("ascii")) if geometry else None
        if remembered is None or not self.restoreGeometry(remembered):
            centre_on_screen(self)

    def _action(self, text: str, shortcut: str, slot: object) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(f"{text} ({shortcut})")
        action.triggered.connect(slot)
        self.toolbar.addAction(action)
        button = self.toolbar.widgetForAction(action)
        if button is not None:
            button.setAccessibleName(text)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return action

    def _watch_focused_button(self, old: QWidget | None, new: QWidget | None) -> None:
        for widget, watch in ((old, False), (new, True)):
            if isinstance(widget, (QPushButton, QToolButton)):
                try:
                    if watch:
                        widget.installEventFilter(self.button_keys)
                    else:
                        widget.removeEventFilter(self.button_keys)
                except RuntimeError:  # already deleted by Qt (a closed dialog's button)
                    pass

    # --- screens, each built when first wanted ----------------------------------------------

    @property
    def caseload(self) -> CaseloadScreen:
        if self._caseload is None:
            from sp_desktop.ui.screens.caseload import CaseloadScreen

            screen = CaseloadScreen(self.session, self.settings)
            screen.open_person.connect(self.show_person)
            screen.add_person.connect(self.add_person)
            screen.loaded.connect(self._caseload_loaded)
            self.stack.addWidget(screen)
            self._caseload = screen
        return self._caseload

    @property
    def person(self) -> PersonScreen:
        if self._person is None:
            from sp_desktop.ui.screens.person import PersonScreen

            screen = PersonScreen(self.session)
            screen.back.connect(self.show_caseload)
            screen.start_visit.connect(self.start_visit)
            screen.open_visit.connect(self.open_visit)
            self.stack.addWidget(screen)
            self._person = screen
        return self._person

    @property
    def visit(self) -> VisitScreen:
        if self._visit is None:
            from sp_desktop.ui.screens.visit import VisitScreen

            screen = VisitScreen(self.session)
            screen.closed.connect(self.show_person)
            screen.signed.connect(self._visit_signed)
            self.stack.addWidget(screen)
            self._visit = screen
        return self._visit

    @property
    def directory(self) -> DirectoryScreen:
        if self._directory is None:
            from sp_desktop.ui.screens.directory import DirectoryScreen

            screen = DirectoryScreen(self.session)
            screen.back.connect(self._leave_directory)
            self.stack.addWidget(screen)
            self._directory = screen
        return self._directory

    @property
    def office_sync(self) -> OfficeSync:
        """The "Office sync" menu and status corner. Built once the caseload is on screen:
        its first read counts every change waiting, which would compete with the caseload's."""
        if self._office_sync is None:
            from sp_desktop.ui.sync.office import OfficeSync

            office = OfficeSync(self.session, self)
            self.menuBar().insertMenu(self._sync_menu_place.menuAction(), office.menu)
            self.menuBar().removeAction(self._sync_menu_place.menuAction())
            office.store_wiped.connect(lambda _m: self.locked_screen.set_first_run())
            office.controller.registered.connect(lambda _r: self._show_adviser())
            self.statusBar().addPermanentWidget(office.status, 2)
            self._office_sync = office
        return self._office_sync

    @property
    def sync_area(self) -> QWidget:
        return self.office_sync.status

    def _is_showing(self, screen: QWidget | None) -> bool:
        """Whether `screen` (None: not built yet) is the one on show."""
        return screen is not None and self.stack.currentWidget() is screen

    # --- start, unlock, lock ---------------------------------------------------------------

    def start(self) -> None:
        """Shows the window, then set-up (no store yet) or the unlock dialog; what unlocking
        needs is loaded in the background meanwhile."""
        self.show()
        if store_exists(self.session.data_dir):
            self.ask_to_unlock()
        else:
            self.locked_screen.set_first_run()
            self.set_up()
        first = self.unlock_dialog if self.unlock_dialog is not None else self.first_run
        _AfterFirstPaint(first if first is not None else self, self._prepare)

    def _prepare(self) -> None:
        if self._prepared:
            return
        self._prepared = True
        # Then frozen out of the collector's view: a full collection rescanning every loaded
        # module's objects held the GIL for ~70 ms while the caseload was being read.
        self.session.tasks.run(
            _prepare_modules, lambda _r: gc.freeze(), name="prepare", on_error=lambda _e: None
        )

    def set_up(self) -> None:
        if self.first_run is not None and self.first_run.isVisible():
            return
        from sp_desktop.ui.dialogs.first_run import FirstRunWizard

        wizard = FirstRunWizard(self.session, self)
        wizard.created.connect(self.session.begin)
        wizard.finished.connect(lambda _r: self._first_run_closed())
        self.first_run = wizard
        wizard.open()

    def _first_run_closed(self) -> None:
        if store_exists(self.session.data_dir):
            self.locked_screen.title.setText("SP Desktop is locked")
            self.locked_screen.explain.setText(
                "Everyone's details are hidden. Unlock with your passphrase to carry on."
            )
            self.locked_screen.unlock_button.setText("Unlock…")

    def _damage_found(self, _error: object) -> None:
        """The check after unlock found damage and the store is locked: said on the locked
        screen and in the unlock window, whose next unlock checks everything and offers the
        newest good backup (as an unlock that finds damage always has)."""
        self.locked_screen.title.setText("SP Desktop found damage and locked the store")
        self.locked_screen.explain.setText(DAMAGE_LOCKED)
        self.ask_to_unlock()
        if self.unlock_dialog is not None:
            self.unlock_dialog.show_notice(DAMAGE_LOCKED)

    def ask_to_unlock(self) -> None:
        if not store_exists(self.session.data_dir):
            self.set_up()
            return
        if self.session.is_unlocked:
            return
        if self.unlock_dialog is None:
            self.unlock_dialog = UnlockDialog(self.session, self)
            self.unlock_dialog.unlocked.connect(self.session.begin)
        self.unlock_dialog.open()
        self.unlock_dialog.passphrase.setFocus()

    def lock(self) -> None:
        if self.session.is_unlocked:
            self.session.lock()

    def lock_when_done(self) -> None:
        """End the day: lists what is left (unsigned visits, letters, changes waiting), then
        locks. Ctrl+L and the idle lock never ask: a lock must hide everyone at once."""
        if self.session.is_unlocked:
            from sp_desktop.ui.dialogs.end_of_day import ask_before_leaving

            ask_before_leaving(self, self.session, "lock", self.lock)

    def _idle(self) -> None:
        if self.session.is_unlocked:
            self.lock()
            self.statusBar().showMessage("Locked after a while without use.", 10_000)

    def _show_adviser(self) -> None:
        """Who is working: the adviser this laptop is registered to (or set up for)."""
        if self.session.is_unlocked:
            self.lock_state.setText(f"Unlocked — working as {self.session.adviser or 'adviser'}")

    def _unlocked(self) -> None:
        self._show_adviser()
        self.lock_action.setEnabled(True)
        self.end_day_action.setEnabled(True)
        self.caseload_action.setEnabled(True)
        self.directory_action.setEnabled(True)
        self.add_action.setEnabled(True)
        self.visit_pack_action.setEnabled(True)
        from sp_desktop.services.demo import is_training_copy
        from sp_desktop.services.visit_summary import resumable_visits

        self.stack.setCurrentWidget(self.caseload)
        self.caseload.load()
        self.session.read(resumable_visits, self._offer_drafts)
        self.session.read(is_training_copy, self._show_training)
        if self.idle is not None:
            self.idle.set_minutes(self.settings.get(IDLE_MINUTES))

    def _show_training(self, training: bool) -> None:
        training = training and self.session.is_unlocked
        if training and not self.training_banner.text():
            from sp_desktop.services.demo import TRAINING_BANNER

            self.training_banner.setText(TRAINING_BANNER)
        self.training_banner.setVisible(training)
        self.setWindowTitle("SP Desktop — training copy" if training else "SP Desktop")

    def _caseload_loaded(self) -> None:
        # The caseload is a large, long-lived set of objects (10,000 rows for a big team).
        # Freezing it out of the collector's view stops full collections from rescanning it,
        # which otherwise stalled the UI thread by ~65 ms at random moments (signing a visit).
        gc.freeze()
        if self._is_showing(self._caseload):
            self.caseload.search.setFocus(Qt.FocusReason.OtherFocusReason)
        # Each built in its own turn of the event loop, after the caseload is painted: built
        # in the same slot as the caseload's rows, they made one stall of them all.
        QTimer.singleShot(0, self, self._build_after_caseload)

    def _build_after_caseload(self) -> None:
        if not self.session.is_unlocked:
            return
        if self._office_sync is None:
            self.office_sync  # noqa: B018  # built now that the caseload's read is done
            QTimer.singleShot(0, self, self._build_after_caseload)
            return
        if self._person is None:
            # The page an adviser opens next (~15 ms to build), so the first person opens as
            # fast as the rest. The visit screen is built when a visit is first started.
            self.person  # noqa: B018
            QTimer.singleShot(0, self, self._build_after_caseload)
            return
        # The unlock's passing work (key derivation, the caseload's read, the builds above)
        # is freed by now, but glibc keeps freed heap mapped: handed back off the UI thread.
        self.session.tasks.run(return_freed_memory, name="return freed memory")

    def _offer_drafts(self, drafts: list[ResumableVisit]) -> None:
        if not drafts or not self.session.is_unlocked:
            return
        from sp_desktop.ui.dialogs.resume import ResumeDialog

        dialog = ResumeDialog(drafts, self)
        dialog.resume.connect(self.open_visit)
        dialog.open()

    def _locked(self) -> None:
        self.locked_screen.title.setText("SP Desktop is locked")
        self.locked_screen.explain.setText(
            "Everyone's details are hidden. Unlock with your passphrase to carry on."
        )
        for screen in (self._caseload, self._person, self._visit):
            if screen is not None:
                screen.clear()
        gc.unfreeze()  # the dropped caseload can be collected again
        self._show_locked()

    def _show_locked(self) -> None:
        self._show_training(False)
        self.stack.setCurrentWidget(self.locked_screen)
        self.lock_state.setText("Locked — everyone's details are hidden")
        for action in (
            self.lock_action,
            self.end_day_action,
            self.caseload_action,
            self.directory_action,
            self.add_action,
            self.visit_pack_action,
        ):
            action.setEnabled(False)
        keep = (self.unlock_dialog, self.first_run)
        for window in self.findChildren(QWidget):
            # Dialogs showing someone's details close with the lock.
            if window.isWindow() and window.isVisible() and window not in keep:
                if isinstance(window, FormDialog):
                    # The lock hides everything at once: a form does not stop to ask about
                    # what was typed (someone else may be at the laptop).
                    window.done(QDialog.DialogCode.Rejected.value)
                else:
                    window.close()
        self.locked_screen.unlock_button.setFocus()

    # --- moving between screens ------------------------------------------------------------

    def show_caseload(self) -> None:
        if not self.session.is_unlocked:
            return
        if self._is_showing(self._visit):
            self.visit.close_visit()
        self.stack.setCurrentWidget(self.caseload)
        if self._person is not None and self._person.person_id:
            self.caseload.select_person(self._person.person_id)
        self.caseload.table.setFocus()

    def show_person(self, person_id: str) -> None:
        self.stack.setCurrentWidget(self.person)
        self.person.show_person(person_id)
        self.person.visit_button.setFocus()

    def start_visit(self, person_id: str, place: str = VisitPlace.HOME.value) -> None:
        self.stack.setCurrentWidget(self.visit)
        self.visit.start(person_id, place=VisitPlace(place))

    def show_directory(self) -> None:
        """The directory of services, with the person the adviser has open in mind ("Prescribe
        for …"); Back returns where they were: the visit (still open, its typing autosaved),
        the person or the caseload."""
        if not self.session.is_unlocked or self._is_showing(self._directory):
            return
        person: tuple[str, str] | None = None
        if self._is_showing(self._visit) and self.visit.summary is not None:
            person = (self.visit.summary.person.id, self.visit.summary.person.display_name)
        elif self._is_showing(self._person) and self.person.person_id:
            person = (self.person.person_id, self.person.name.text())
        self._before_directory = self.stack.currentWidget()
        self.stack.setCurrentWidget(self.directory)
        self.directory.set_person(person)
        self.directory.start()

    def _leave_directory(self) -> None:
        if self._before_directory is self._visit and self.visit.summary is not None:
            self.stack.setCurrentWidget(self.visit)
        elif self._before_directory is self._person and self.person.person_id:
            self.stack.setCurrentWidget(self.person)
            self.person.visit_button.setFocus()
        else:
            self.show_caseload()

    def open_visit(self, visit_id: str) -> None:
        self.stack.setCurrentWidget(self.visit)
        self.visit.open(visit_id)

    def _visit_signed(self, person_id: str) -> None:
        self.show_person(person_id)
        self.statusBar().showMessage("The visit is signed and saved.", 10_000)

    def add_person(self) -> None:
        if not self.session.is_unlocked:
            return
        from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog

        dialog = PersonDetailsDialog(self.session, None, self)
        dialog.saved.connect(lambda changes: self.show_person(changes.id))
        dialog.open()

    def open_visit_pack(self) -> None:
        """Before a day out: everyone's printouts for that day, in one go."""
        if self.session.is_unlocked:
            from sp_desktop.ui.dialogs.visit_pack import VisitPackDialog

            VisitPackDialog(self.session, self).open()

    def open_settings(self) -> None:
        from sp_desktop.ui.dialogs.settings import open_settings

        open_settings(self.session, self)

    def _settings_changed(self) -> None:
        if self.idle is not None:
            self.idle.set_minutes(self.settings.get(IDLE_MINUTES))

    def _back(self) -> None:
        if self._is_showing(self._person):
            self.show_caseload()
        elif self._is_showing(self._visit):
            self.visit.close_visit()
        elif self._is_showing(self._directory):
            self._leave_directory()

    def _find(self) -> None:
        if self.session.is_unlocked:
            self.show_caseload()
            self.caseload.search.setFocus()
            self.caseload.search.selectAll()

    # --- changes -----------------------------------------------------------------------------

    def _changed(self, changes: Changes) -> None:
        if self._caseload is not None:
            self.caseload.refresh(changes)
        if self._is_showing(self._person):
            self.person.refresh(changes)

    # --- quitting ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Saves an exact draft of any visit, closes the store and waits for the writer.

        Closed by the adviser (the window's close button), it first lists what is left for the
        day; a close from code (the app quitting, tests) goes straight on.
        """
        if event.spontaneous() and self.session.is_unlocked and not self._day_checked:
            event.ignore()
            from sp_desktop.ui.dialogs.end_of_day import ask_before_leaving

            ask_before_leaving(self, self.session, "quit", self._close_after_check)
            return
        if self.session.is_unlocked:
            self.session.lock()  # the visit screen leaves an exact draft on about_to_lock
        self.session.tasks.wait(QUIT_WAIT_MS)
        geometry = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
        self.settings.set(WINDOW_GEOMETRY, geometry)
        super().closeEvent(event)

    def _close_after_check(self) -> None:
        self._day_checked = True
        self.close()
