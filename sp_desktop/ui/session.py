"""The unlocked workspace as the screens see it: background reads and writes, and one signal
announcing what each write changed so every screen redraws only that."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, Signal

from sp_desktop.services.settings import Settings

from sp_desktop.ui.tasks import ErrorHandler, Task, Tasks

if TYPE_CHECKING:  # the store's libraries load while the adviser types, not before the window
    from sp_desktop.services.workspace import Argon2Params, Workspace

T = TypeVar("T")


class Session(QObject):
    """Holds the workspace while unlocked; locking disposes it and forgets results in flight.

    Attributes: `settings`, the app's settings beside the store (there even while locked), so
    any dialog can open Settings without reaching for the main window.

    Signals: unlocked(), about_to_lock() (last chance to queue a draft save), locked(),
    changed(Changes), settings_changed() (the adviser saved Settings: read them again),
    damage_found(DamagedStore) (the check after unlock found damage: the store is locked).
    """

    unlocked = Signal()
    damage_found = Signal(object)
    about_to_lock = Signal()
    locked = Signal()
    changed = Signal(object)
    settings_changed = Signal()

    def __init__(
        self,
        data_dir: Path,
        tasks: Tasks,
        argon2_params: Argon2Params | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.tasks = tasks
        self.argon2_params = argon2_params  # None: the store's strong defaults
        self.settings = settings if settings is not None else Settings.in_folder(data_dir)
        self._ws: Workspace | None = None
        self._damaged: Workspace | None = None  # the workspace whose damage has been said

    @property
    def is_unlocked(self) -> bool:
        return self._ws is not None

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            from sp_desktop.services.workspace import StoreLocked

            raise StoreLocked()
        return self._ws

    @property
    def adviser(self) -> str:
        return self._ws.adviser if self._ws else ""

    def begin(self, ws: Workspace) -> None:
        self._ws = ws
        self.unlocked.emit()
        # In the background while the caseload is read: the every-page check left for after
        # unlock, then the rolling backup a damaged store is restored from (only once the
        # check has passed); the adviser carries on meanwhile.
        self.tasks.run(
            ws.check_and_back_up, on_error=self._guard(ws, None), name="check and backup"
        )

    def _guard(self, ws: Workspace, on_error: ErrorHandler | None) -> ErrorHandler:
        """Damage met by any read or write of this workspace (or by the check after unlock)
        locks the store and is said once; every other error goes where it was going."""

        def handle(error: BaseException) -> None:
            from sp_desktop.services.workspace import DamagedStore

            if isinstance(error, DamagedStore):
                self._damage(ws, error)
            else:
                (on_error or self.tasks.on_error)(error)

        return handle

    def _damage(self, ws: Workspace, error: BaseException) -> None:
        """Locks at once, leaving the store's crash marker, so the next unlock runs the whole
        check before opening and offers the newest good backup; says so (once)."""
        if self._damaged is ws:
            return
        self._damaged = ws
        if self._ws is ws:
            self.lock(damaged=True)
        self.damage_found.emit(error)

    def read(
        self,
        fn: Callable[[Workspace], T],
        on_done: Callable[[T], None] | None = None,
        on_error: ErrorHandler | None = None,
    ) -> Task:
        ws = self.ws
        return self.tasks.run(lambda: fn(ws), on_done, self._guard(ws, on_error), name=_name(fn))

    def write(
        self,
        fn: Callable[[Workspace], T],
        on_done: Callable[[T], None] | None = None,
        on_error: ErrorHandler | None = None,
    ) -> Task:
        """Runs on the one writer thread; a returned Changes is announced before `on_done`."""
        ws = self.ws

        from sp_desktop.services.workspace import Changes

        def announce(result: T) -> None:
            if isinstance(result, Changes):
                self.changed.emit(result)
            if on_done is not None:
                on_done(result)

        return self.tasks.run(
            lambda: fn(ws), announce, self._guard(ws, on_error), write=True, name=_name(fn)
        )

    def lock(self, *, damaged: bool = False) -> None:
        """Hides everything now; pending saves still finish, then the store is closed (when
        `damaged`, leaving its crash marker, so the next unlock checks it whole)."""
        ws = self._ws
        if ws is None:
            return
        self.about_to_lock.emit()
        self._ws = None
        self.tasks.forget_pending()
        # Queued behind any save still waiting on the writer thread, so nothing typed is lost.
        self.tasks.run(
            lambda: ws.close(clean=not damaged),
            write=True,
            name="close store",
            on_error=lambda _e: None,
        )
        self.locked.emit()


def return_freed_memory() -> None:
    """Hands memory the app has freed back to the system (run in the background after the
    unlock's passing work: key derivation, the page check, the caseload's read). glibc keeps
    freed heap mapped otherwise (~14 MiB after an unlock at 10,000 people); elsewhere
    (Windows, macOS, musl) there is nothing to do, and nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # AttributeError: not glibc
        ctypes.CDLL(None).malloc_trim(0)


def _name(fn: Callable[..., object]) -> str:
    return getattr(fn, "__name__", "task")
