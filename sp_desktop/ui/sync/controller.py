"""Office sync for the unlocked session: runs the client off the UI thread and keeps its facts."""

from __future__ import annotations

import platform
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from sp_desktop.domain.errors import SpDesktopError
from sp_desktop.services.retention import retire_closed
from sp_desktop.services.settings import (
    KEEP_CLOSED_DAYS,
    OFFICE_CERTIFICATE,
    SYNC_AUTOMATIC,
    SYNC_CHECK_MINUTES,
)
from sp_desktop.services.sync_status import (
    AutoSync,
    StatusWords,
    SyncOverview,
    describe,
    not_draining,
    probe_office,
    read_overview,
)
from sp_desktop.services.workspace import Changes, StoreLocked
from sp_desktop.sync.client import (
    DeviceRevoked,
    NotRegistered,
    Registration,
    ServerUnreachable,
    SyncCancelled,
    SyncClient,
    SyncProgress,
    SyncResult,
    register_device,
)

from sp_desktop.ui.session import Session
from sp_desktop.ui.tasks import Progress, Task

REFRESH_DELAY_MS = 250  # edits come in bursts (autosave, a visit signed): count once after them
# Fewer tries than the client's default: the adviser is watching a progress bar, and the next
# reachability check tries again anyway.
DEFAULT_CLIENT_OPTIONS: dict[str, Any] = {"max_attempts": 4, "timeout": 30.0}


@dataclass(frozen=True, slots=True)
class SyncView:
    """What the status bar shows. `overview` is None while locked."""

    overview: SyncOverview | None
    words: StatusWords | None
    running: bool
    automatic: bool
    reachable: bool | None
    stuck: bool


class _Latest:
    """The newest progress report, handed from the worker to the UI thread.

    The task helper carries two integers per report; the counts beyond those (rows received,
    round trips) ride here. One reference assignment, so no lock is needed.
    """

    value: SyncProgress | None = None


class SyncController(QObject):
    """Owns "Sync now", automatic sync when the office becomes reachable, and registration.

    Signals (UI thread): status_changed(SyncView), started(bool automatic),
    progress(SyncProgress), finished(SyncResult), failed(str message, bool automatic),
    stopped(str message) (the adviser stopped it),
    needs_registration(), registered(Registration), register_failed(str message),
    store_wiped(str message) (the office revoked this laptop; the store is gone and the session
    locked).
    Attributes: `automatic` (sync unasked: the "Sync by itself" setting), `auto` (its policy),
    `reachable` (last check), `overview` (last facts read), `client_options` (passed to
    `SyncClient`; the office certificate setting adds `verify`), `probe_timer` (its interval
    is the "Look for the office every" setting unless `probe_interval_ms` was given).
    """

    status_changed = Signal(object)
    started = Signal(bool)
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str, bool)
    stopped = Signal(str)
    needs_registration = Signal()
    registered = Signal(object)
    register_failed = Signal(str)
    store_wiped = Signal(str)

    def __init__(
        self,
        session: Session,
        *,
        probe_interval_ms: int | None = None,
        client_options: dict[str, Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._probe_interval_ms = probe_interval_ms
        self.client_options = dict(DEFAULT_CLIENT_OPTIONS if client_options is None
                                   else client_options)
        self.auto = AutoSync()
        self.reachable: bool | None = None
        self.overview: SyncOverview | None = None
        self._failures_while_reachable = 0
        self._sync_task: Task | None = None
        self._sync_automatic = False
        self._cancel: threading.Event | None = None
        self._latest = _Latest()
        self._checking = False
        self.probe_timer = QTimer(self)
        self.probe_timer.timeout.connect(self.check)
        self.apply_settings()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        session.unlocked.connect(self._unlocked)
        session.about_to_lock.connect(self._about_to_lock)
        session.locked.connect(self._locked)
        session.changed.connect(self._changed)
        session.settings_changed.connect(self.apply_settings)
        if session.is_unlocked:
            self._unlocked()

    # --- settings ------------------------------------------------------------------------------

    @property
    def automatic(self) -> bool:
        """Read from the settings at each decision, so a change in Settings counts at once."""
        return self.session.settings.get(SYNC_AUTOMATIC)

    @automatic.setter
    def automatic(self, value: bool) -> None:
        self.session.settings.set(SYNC_AUTOMATIC, value)

    def apply_settings(self) -> None:
        """Takes up how often to look for the office (the adviser saved Settings)."""
        interval = self._probe_interval_ms
        if interval is None:
            interval = self.session.settings.get(SYNC_CHECK_MINUTES) * 60_000
        self.probe_timer.setInterval(interval)

    def options(self) -> dict[str, Any]:
        """What the sync client is given: `client_options`, plus the office's certificate
        file as `verify` when the adviser set one (a self-signed office server)."""
        options = dict(self.client_options)
        options.setdefault("keep_closed_days", self.session.settings.get(KEEP_CLOSED_DAYS))
        certificate = self.session.settings.get(OFFICE_CERTIFICATE).strip()
        if certificate:
            options["verify"] = str(Path(certificate).expanduser())
        return options

    # --- state ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._sync_task is not None

    def view(self) -> SyncView:
        overview = self.overview
        if overview is None or not self.session.is_unlocked:
            return SyncView(None, None, False, False, None, False)
        stuck = not_draining(overview, reachable=self.reachable,
                             failures_while_reachable=self._failures_while_reachable)
        words = describe(overview, reachable=self.reachable, now=datetime.now(UTC), stuck=stuck)
        return SyncView(overview, words, self.running, self._sync_automatic, self.reachable,
                        stuck)

    def _emit_status(self) -> None:
        self.status_changed.emit(self.view())

    # --- session -------------------------------------------------------------------------------

    def _unlocked(self) -> None:
        self.reachable = None
        self.auto = AutoSync(self.auto.push_every, self.auto.pull_every)
        self._failures_while_reachable = 0
        self.check()
        self.probe_timer.start()

    def _about_to_lock(self) -> None:
        """Stops a sync between round trips; its result is dropped with the lock anyway."""
        self.cancel()

    def _locked(self) -> None:
        self.probe_timer.stop()
        self._refresh_timer.stop()
        self._sync_task = None
        self._cancel = None
        self._checking = False
        self.overview = None
        self.reachable = None
        self._emit_status()

    def _changed(self, _changes: Changes) -> None:
        self._refresh_timer.start()

    # --- reading the facts ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Reads the counts again (in the background) and tells the status bar."""
        if not self.session.is_unlocked:
            return
        store = self.session.ws.store
        self.session.tasks.run(lambda: read_overview(store), self._have_overview,
                               self._read_failed, name="sync status")

    def _have_overview(self, overview: SyncOverview) -> None:
        if self.session.is_unlocked:
            self.overview = overview
            self._emit_status()

    def _read_failed(self, error: BaseException) -> None:
        if isinstance(error, StoreLocked):
            return  # locked while reading: nothing to show
        self.session.tasks.on_error(error)

    def check(self) -> None:
        """Reads the counts and asks the office's health check whether it is there; syncs
        unasked when it has just become reachable (or the queue needs draining)."""
        if not self.session.is_unlocked or self._checking:
            return
        if self.running:
            self.refresh()
            return
        store = self.session.ws.store
        verify = self.options().get("verify", True)

        def look() -> tuple[SyncOverview, bool | None]:
            overview = read_overview(store)
            url = overview.status.server_url
            if not overview.registered or not url:
                return overview, None
            return overview, probe_office(url, verify=verify)

        self._checking = True
        self.session.tasks.run(look, self._checked, self._check_failed, name="look for office")

    def _checked(self, outcome: tuple[SyncOverview, bool | None]) -> None:
        self._checking = False
        if not self.session.is_unlocked:
            return
        self.overview, reachable = outcome
        if reachable is not None:
            self.reachable = reachable
        self._emit_status()
        if (self.automatic and reachable is not None and not self.running
                and self.auto.should_sync(self.overview, reachable=reachable,
                                          now=datetime.now(UTC))):
            self.sync_now(automatic=True)

    def _check_failed(self, error: BaseException) -> None:
        self._checking = False
        self._read_failed(error)

    # --- syncing -------------------------------------------------------------------------------

    def sync_now(self, *, automatic: bool = False) -> bool:
        """Starts a sync on a worker thread; False when one is running or it cannot start."""
        if not self.session.is_unlocked or self.running:
            return False
        if self.overview is not None and not self.overview.registered:
            if not automatic:
                self.needs_registration.emit()
            return False
        ws = self.session.ws
        cancel = threading.Event()
        latest = self._latest
        latest.value = None
        options = self.options()
        settings = self.session.settings

        def work(control: Progress) -> tuple[SyncResult, SyncOverview]:
            def report(progress: SyncProgress) -> None:
                latest.value = progress
                control.report(progress.pushed, progress.pushed + progress.waiting)

            # The workspace's clock is shared with the writer thread; the client only moves it
            # inside a transaction on the store's single writer connection, as edits do, so
            # the two never touch it at once.
            with SyncClient(ws.store, clock=ws.changes.clock, **options) as client:
                result = client.sync_once(progress=report, cancel=cancel)
            # The office now holds every change: people closed beyond the laptop's window go.
            retire_closed(ws, settings)
            return result, read_overview(ws.store)

        self._cancel = cancel
        self._sync_automatic = automatic
        # The read pool, not the writer thread: a sync waits on the network for seconds, and
        # the adviser's saves must not queue behind it. Its local writes are still serialised
        # with every other write by the store's one writer connection.
        task = self.session.tasks.run_long(work, self._synced, self._sync_failed, name="sync")
        task.progress.connect(self._relay_progress)
        self._sync_task = task
        self.started.emit(automatic)
        self._emit_status()
        return True

    def cancel(self) -> None:
        """Stops the running sync at the next safe point; what was exchanged is kept."""
        if self._cancel is not None:
            self._cancel.set()
        if self._sync_task is not None:
            self._sync_task.cancel()

    def _relay_progress(self, _done: int, _total: int) -> None:
        report = self._latest.value
        if report is not None and self.running:
            self.progress.emit(report)

    def _synced(self, outcome: tuple[SyncResult, SyncOverview]) -> None:
        result, overview = outcome
        self._sync_task, self._cancel = None, None
        if not self.session.is_unlocked:
            return
        self.reachable = True
        self._failures_while_reachable = 0
        self.overview = overview
        if result.tables:
            # Screens redraw what the sync changed (pulled people, the directory) and no more.
            self.session.changed.emit(Changes(result.people, result.tables))
        self.finished.emit(result)
        self._emit_status()

    def _sync_failed(self, error: BaseException) -> None:
        automatic = self._sync_automatic
        self._sync_task, self._cancel = None, None
        if isinstance(error, DeviceRevoked):
            self._wiped(str(error))
            return
        if not self.session.is_unlocked:
            return
        if not isinstance(error, SpDesktopError):
            self.session.tasks.on_error(error)  # a bug: the bug report, not a calm message
            self._emit_status()
            return
        if not isinstance(error, SyncCancelled):
            if self.reachable:
                self._failures_while_reachable += 1
            if isinstance(error, ServerUnreachable):
                self.reachable = False
        if isinstance(error, SyncCancelled):
            self.stopped.emit(str(error))
        elif isinstance(error, NotRegistered) and not automatic:
            self.needs_registration.emit()
        else:
            self.failed.emit(str(error), automatic)
        self.refresh()
        self._emit_status()

    def _wiped(self, message: str) -> None:
        """The office revoked this laptop and the client has shredded the store: lock, so
        every screen empties, then say what happened."""
        self.overview = None
        self.reachable = None
        if self.session.is_unlocked:
            self.session.lock()
        self._emit_status()
        self.store_wiped.emit(message)

    # --- registration --------------------------------------------------------------------------

    def register(self, server_url: str, adviser: str, password: str) -> Task:
        """Registers this laptop in the background. The password goes to the office once and
        is not kept: not in the store, not in settings, not in this object."""
        ws = self.session.ws
        options = {k: v for k, v in self.options().items() if k in ("verify", "timeout")}
        # The laptop's name tells the office which device is which in `sp-server device list`.
        label = platform.node()

        def work() -> Registration:
            return register_device(ws.store, server_url, adviser, password, label=label,
                                   **options)

        return self.session.tasks.run(work, self._registered, self._register_failed,
                                      name="register device")

    def _registered(self, registration: Registration) -> None:
        # Registration stored the office's team in the store; ws.team reads it from there.
        # The adviser's name is read once, at unlock: from now on this laptop works as the
        # adviser who registered (the status bar, audit events and signatures say so).
        if self.session.is_unlocked and registration.adviser:
            self.session.ws.adviser = registration.adviser
        self.reachable = True
        self.auto.was_reachable = True
        self.registered.emit(registration)
        if self.automatic:
            self.overview = None  # unknown until read: let the client itself decide
            self.sync_now(automatic=True)  # the first sync brings the caseload and directory
        self.refresh()

    def _register_failed(self, error: BaseException) -> None:
        if isinstance(error, SpDesktopError):
            self.register_failed.emit(str(error))
            return
        self.register_failed.emit("Registration did not work. Please try again.")
        self.session.tasks.on_error(error)
