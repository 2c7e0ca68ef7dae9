"""Background work: a plain function runs on a thread pool; its result comes back on the UI thread.

Reads share a small pool; writes go through a pool of exactly one thread, so two saves can never
race each other and they reach the store in the order they were asked for (as Picard does).
The functions never touch widgets: they get plain data in and hand plain data back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

T = TypeVar("T")
ErrorHandler = Callable[[BaseException], None]


class Cancelled(Exception):
    """Raised inside a long task when the adviser asked it to stop."""


class Progress:
    """Given to long functions: `report` how far they got, `check` whether to stop.

    Safe to call from the worker thread; progress reaches the UI thread as a queued signal.
    """

    def __init__(self, task: Task) -> None:
        self._task = task
        self._stop = threading.Event()

    def report(self, done: int, total: int) -> None:
        self._task._progress_from_worker.emit(done, total)

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def check(self) -> None:
        if self._stop.is_set():
            raise Cancelled()


class Task(QObject):
    """One function run in the background.

    Signals (always on the UI thread): succeeded(result), failed(error), progress(done, total).
    """

    succeeded = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)
    _finished_in_worker = Signal(object, object)
    _progress_from_worker = Signal(int, int)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.done = False
        self.control = Progress(self)
        self._forgotten = False
        # Queued explicitly: the worker emits, this object (UI thread) receives.
        self._finished_in_worker.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._progress_from_worker.connect(self._relay_progress, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        self.control._stop.set()

    def forget(self) -> None:
        """Drops the result when it arrives (the store was locked meanwhile: nobody must see it)."""
        self._forgotten = True

    @Slot(object, object)
    def _deliver(self, result: object, error: object) -> None:
        self.done = True
        if self._forgotten:
            return
        if isinstance(error, BaseException):
            self.failed.emit(error)
        else:
            self.succeeded.emit(result)

    @Slot(int, int)
    def _relay_progress(self, done: int, total: int) -> None:
        if not self._forgotten:
            self.progress.emit(done, total)


class _Job(QRunnable):
    def __init__(self, task: Task, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.task = task
        self.fn = fn

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - every error is handed back to the UI
            self.task._finished_in_worker.emit(None, exc)
        else:
            self.task._finished_in_worker.emit(result, None)


class Tasks(QObject):
    """The app's pools. `on_error` handles failures a caller did not handle itself."""

    def __init__(self, on_error: ErrorHandler | None = None) -> None:
        super().__init__()
        self.on_error: ErrorHandler = on_error or _raise_later
        self._readers = QThreadPool(self)
        self._readers.setMaxThreadCount(4)
        self._writer = QThreadPool(self)
        self._writer.setMaxThreadCount(1)  # one writer thread: saves never race, order is kept
        self._pending: set[Task] = set()

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: ErrorHandler | None = None,
        *,
        write: bool = False,
        name: str = "",
    ) -> Task:
        """Runs `fn()` on the read pool (or the writer thread) and calls back on the UI thread."""
        return self._start(lambda _progress: fn(), on_done, on_error, write, name)

    def run_long(
        self,
        fn: Callable[[Progress], T],
        on_done: Callable[[T], None] | None = None,
        on_error: ErrorHandler | None = None,
        *,
        write: bool = False,
        name: str = "",
    ) -> Task:
        """Like `run`, for work that reports progress and can be cancelled (sync, PDFs)."""
        return self._start(fn, on_done, on_error, write, name)

    def _start(
        self,
        fn: Callable[[Progress], Any],
        on_done: Callable[[Any], None] | None,
        on_error: ErrorHandler | None,
        write: bool,
        name: str,
    ) -> Task:
        task = Task(name or getattr(fn, "__name__", "task"))
        self._pending.add(task)
        if on_done is not None:
            task.succeeded.connect(on_done)
        task.failed.connect(on_error or self.on_error)
        task.succeeded.connect(lambda _r: self._pending.discard(task))
        task.failed.connect(lambda _e: self._pending.discard(task))
        job = _Job(task, lambda: fn(task.control))
        (self._writer if write else self._readers).start(job)
        return task

    def forget_pending(self) -> None:
        """Results still on their way are dropped; the work itself (e.g. a save) still finishes."""
        for task in self._pending:
            task.forget()
        self._pending.clear()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def wait(self, msecs: int = 30_000) -> bool:
        """Blocks until both pools are idle (quitting, tests). True if they finished in time."""
        return self._writer.waitForDone(msecs) and self._readers.waitForDone(msecs)


def _raise_later(error: BaseException) -> None:
    raise error
