"""Wiring: the one place the application, its settings, background tasks and window are built."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from sp_desktop.services.settings import IDLE_MINUTES, Settings

from sp_desktop.ui import style
from sp_desktop.ui.errors import show_error
from sp_desktop.ui.idle import IdleWatcher
from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.refleak import leaks_none
from sp_desktop.ui.session import Session
from sp_desktop.ui.tasks import Tasks

if TYPE_CHECKING:  # the store's libraries load while the adviser types (MainWindow.start)
    from sp_desktop.services.workspace import Argon2Params

log = logging.getLogger(__name__)


def application() -> QApplication:
    """The one QApplication (tests already have theirs)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(sys.argv[:1])
    app.setApplicationName("SP Desktop")
    app.setOrganizationName("SP Desktop")
    app.setApplicationDisplayName("SP Desktop")
    return app


def build(
    data_dir: Path,
    *,
    argon2_params: Argon2Params | None = None,
    styled: bool = True,
    route_errors: bool = True,
) -> MainWindow:
    """The app, wired: settings, tasks, session, idle lock and main window (not shown yet).

    Tests pass `route_errors=False` so an unexpected error fails the test instead of opening
    the bug dialog, and small `argon2_params` so creating stores is quick.
    """
    app = application()
    # The UI thread needs the GIL for every Python slot; while a worker runs Python (a PDF
    # being built, the caseload sorted) it got it only at the 5 ms switch interval, several
    # times per repaint. 1 ms keeps typing and painting smooth beside background work.
    sys.setswitchinterval(0.001)
    if styled:
        style.apply(app)
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings.in_folder(data_dir)
    tasks = Tasks()
    session = Session(data_dir, tasks, argon2_params, settings)
    idle = IdleWatcher(app, settings.get(IDLE_MINUTES))
    window = MainWindow(session, settings, idle)
    # Owned by the window, so Qt deletes it (and its running timer) on the UI thread with the
    # window; left to Python it sat in a reference cycle until a garbage collection that could
    # run on a worker thread ("Timers cannot be stopped from another thread").
    idle.setParent(window)
    if route_errors:
        tasks.on_error = lambda error: show_error(window, error)
        _route_uncaught_errors(window)
    # What exists now (imported modules, the widgets) lives as long as the app. Kept out of the
    # cyclic collector's full scans, which otherwise stall the UI thread for tens of ms at
    # random moments; acyclic objects are still freed as usual when unreferenced.
    gc.freeze()
    return window


def _route_uncaught_errors(window: MainWindow) -> None:
    """An exception escaping a slot becomes the calm message or the bug dialog, never a crash."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        show_error(window, error.with_traceback(trace))

    sys.excepthook = hook


def run(data_dir: Path) -> int:
    """`sp-desktop [--data-dir DIR]`: set-up or unlock, then the caseload. Returns the exit code."""
    app = application()
    if leaks_none():
        # A copy installed with a broken Qt would close without warning mid-visit; better
        # not to start than to lose the adviser's typing hours later.
        log.error("this Python and PySide6 pair leaks references to None; not starting")
        QMessageBox.critical(
            None,
            "SP Desktop cannot start safely",
            "This copy of SP Desktop was installed with a version of Qt that would make it "
            "close without warning during a long session.\n\nNothing has been changed. "
            "Please ask your office for the current installer.",
        )
        return 1
    window = build(data_dir)
    window.start()
    return app.exec()
