"""Emit Qt signals from Python without losing a reference to `True` (PySide6 6.12.0 defect).

PySide6 6.12.0's `SignalInstance.emit()` returns `True` without taking a reference to it,
so every emit from Python lowers `True`'s reference count by one. On Python 3.11 (where
`True` is not yet immortal) the interpreter aborts with "bool_dealloc: deallocating True or
False" once the count reaches zero: after a few thousand emits, which a teacher entering a
class's marks reaches in one sitting, or at the latest when the process exits. PySide6
6.11.3 does not have the defect (measured the same way).

`emit(signal, *args)` emits and, only when this PySide6 is found to have the defect
(measured once, on first use), adds the reference PySide6 forgot. Nothing is held, so
nothing is released later either; with a fixed PySide6 the function is a plain emit.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_PROBES = 16
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None
_leaks: bool | None = None


class _Probe(QObject):
    fired = Signal()


def _measure() -> bool:
    """True if emitting drops a reference to its result; repays what the probe dropped."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.fired.emit()
    # Other threads' temporaries can move the count by a few; a defect moves it by all.
    leaks = before - sys.getrefcount(True) >= _PROBES // 2
    if leaks:
        for _ in range(_PROBES):
            _incref(True)
    return leaks


def emit(signal: Any, *args: Any) -> None:
    """`signal.emit(*args)`, adding back the reference PySide6 6.12.0 drops."""
    global _leaks
    if _leaks is None:
        _leaks = _measure()
    result = signal.emit(*args)
    if _leaks and result is not None:
        _incref(result)
