"""Notices when the adviser has stopped using the app, so it can lock itself.

A Python event filter on the whole application runs for every event Qt delivers: tens of
thousands while screens are built, and each one needs the GIL, so it also made the UI thread
wait on any background work. Here the filter is only armed now and then: it is removed by the
first key press, click, scroll or mouse move it sees and armed again by a timer a moment later
(at most a second, a tenth of the idle time when that is shorter). While the adviser works,
Python sees about one event a second; the lock may come up to that moment early.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}
_ARM_MS_MAX = 1000
_ARM_MS_MIN = 10


class IdleWatcher(QObject):
    """Signal: idle() after `minutes` without a key press, click, scroll or mouse move."""

    idle = Signal()

    def __init__(self, app: QApplication, minutes: int) -> None:
        super().__init__()
        self._app = app
        self._armed = False
        self._timer = QTimer(self)  # the idle deadline, restarted by any activity seen
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        # Not armed at first: nothing is filtered while the window is being built; the first
        # tick of the event loop arms it.
        self._arm_timer = QTimer(self)
        self._arm_timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._arm_timer.timeout.connect(self._arm)
        self.set_minutes(minutes)

    def set_minutes(self, minutes: int) -> None:
        self.set_interval_ms(minutes * 60_000)

    def set_interval_ms(self, msecs: int) -> None:
        self._timer.setInterval(msecs)
        self._arm_timer.setInterval(max(_ARM_MS_MIN, min(_ARM_MS_MAX, msecs // 10)))
        self.restart()

    def restart(self) -> None:
        self._timer.start()
        self._arm_timer.start()

    @property
    def armed(self) -> bool:
        """Whether the next input event is being watched for (tests and benchmarks)."""
        return self._armed

    def _arm(self) -> None:
        self._arm_timer.stop()
        if not self._armed:
            self._armed = True
            self._app.installEventFilter(self)

    def _disarm(self) -> None:
        if self._armed:
            self._armed = False
            self._app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802  # Qt's name
        if event.type() in _ACTIVITY:
            self._disarm()
            self.restart()
        return False
