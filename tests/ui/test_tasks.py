"""The background helper: results come back on the UI thread, writes run one at a time in order."""

from __future__ import annotations

import threading
import time

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QThread

from sp_desktop.ui.tasks import Cancelled, Progress, Tasks


def test_result_arrives_on_the_ui_thread(qtbot: QtBot) -> None:
    tasks = Tasks()
    ui_thread = QThread.currentThread()
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker"] = threading.current_thread() is threading.main_thread()
        return 42

    def done(result: int) -> None:
        seen["result"] = result
        seen["on_ui"] = QThread.currentThread() is ui_thread

    tasks.run(work, done)
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen == {"worker": False, "result": 42, "on_ui": True}


def test_errors_come_back_to_the_caller(qtbot: QtBot) -> None:
    tasks = Tasks()
    errors: list[BaseException] = []
    tasks.run(lambda: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ZeroDivisionError)


def test_writes_run_one_at_a_time_in_the_order_asked(qtbot: QtBot) -> None:
    tasks = Tasks()
    order: list[int] = []
    running = 0
    overlap = False
    lock = threading.Lock()

    def write(n: int) -> None:
        nonlocal running, overlap
        with lock:
            running += 1
            overlap = overlap or running > 1
        time.sleep(0.005)
        order.append(n)
        with lock:
            running -= 1

    for n in range(20):
        tasks.run(lambda n=n: write(n), write=True)
    assert tasks.wait()
    qtbot.waitUntil(lambda: not tasks.busy)
    assert order == list(range(20))
    assert not overlap


def test_forgotten_results_are_dropped(qtbot: QtBot) -> None:
    tasks = Tasks()
    got: list[int] = []
    release = threading.Event()
    tasks.run(lambda: (release.wait(5), 7)[1], got.append)
    tasks.forget_pending()
    release.set()
    assert tasks.wait()
    qtbot.wait(50)
    assert got == []


def test_long_tasks_report_progress_and_can_be_cancelled(qtbot: QtBot) -> None:
    tasks = Tasks()
    progress: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    started = threading.Event()

    def long(control: Progress) -> None:
        control.report(1, 3)
        started.set()
        for _ in range(500):
            control.check()
            time.sleep(0.01)

    task = tasks.run_long(long, on_error=errors.append)
    task.progress.connect(lambda done, total: progress.append((done, total)))
    assert started.wait(5)
    task.cancel()
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], Cancelled)
    assert progress == [(1, 3)]


def test_unhandled_error_goes_to_the_app_handler(qtbot: QtBot) -> None:
    seen: list[BaseException] = []
    tasks = Tasks(on_error=seen.append)
    tasks.run(lambda: (_ for _ in ()).throw(ValueError("x")))
    qtbot.waitUntil(lambda: bool(seen))
    assert isinstance(seen[0], ValueError)


@pytest.mark.parametrize("write", [False, True])
def test_busy_until_delivered(qtbot: QtBot, write: bool) -> None:
    tasks = Tasks()
    tasks.run(lambda: None, write=write)
    assert tasks.busy
    qtbot.waitUntil(lambda: not tasks.busy)
