"""Whether this PySide6 build leaks references to `None`, which aborts a long session.

PySide6 6.12.0 on Python 3.11 drops one reference to `None` each time Python calls a Qt method
that returns nothing (`setText`, `update`, `setObjectName`…). On Python 3.11 `None` is an
ordinary object, so after some hundred thousand such calls its count reaches zero and Python
aborts ("Fatal Python error: none_dealloc"). From Python 3.12 `None` is immortal and the drop is
harmless. pyproject.toml excludes the broken pair; this probe lets the self-test, the app's start
and the tests prove the installed pair is sound, so a future build with the same defect is caught.
"""

from __future__ import annotations

import ctypes
import sys

PROBE_CALLS = 10_000
# A sound build drifts by a handful of references at most (interned objects, caches); the
# broken one loses one per call, 3 per round.
TOLERATED_DRIFT = 100


def none_refcount_drift(calls: int = PROBE_CALLS) -> int:
    """How far `sys.getrefcount(None)` falls over `calls` rounds of three void Qt calls.

    Safe on a broken build: a cushion of references keeps the count off zero while probing, and
    whatever was lost is repaid afterwards.
    """
    from PySide6.QtCore import QTimer

    timer = QTimer()
    cushion = [None] * (3 * calls)
    before = sys.getrefcount(None)
    for _ in range(calls):
        # Each returns nothing (void in C++), like the label updates and timer restarts the
        # app makes on every key press and mouse move.
        timer.setInterval(1000)
        timer.start()
        timer.stop()
    drift = before - sys.getrefcount(None)
    _repay(drift)
    del cushion
    timer.deleteLater()
    return drift


def leaks_none(calls: int = 1_000) -> bool:
    """True where this Python and PySide6 pair would crash a long session."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal: a dropped reference cannot free it
    return none_refcount_drift(calls) > TOLERATED_DRIFT


def _repay(lost: int) -> None:
    """Gives `None` back the references a probe on a broken build took, for good.

    A Python list of `None`s would not do: it is freed at exit before the other owners, and the
    count would then reach zero and abort the exit.
    """
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    incref.restype = None
    for _ in range(lost):
        incref(None)
