"""One running Học bạ số per data folder; a second start brings the running window forward.

The data folder's OS lock (app.services.datafolder.InstanceLock) decides who runs: it is
released by the kernel when a process dies, so a crash never blocks the next start. The
first instance also listens on a local socket (QLocalServer: a named pipe on Windows, a
Unix socket elsewhere) named after the folder; a second start that cannot take the lock
connects there, asks the first to show its window, and exits.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QWidget

from app.services.datafolder import LOCK_FILE, InstanceLock

log = logging.getLogger(__name__)

RAISE_REQUEST = b"show\n"
CONNECT_TIMEOUT_MS = 500
# The first instance may still be starting (recovery, migration) when the second arrives.
FORWARD_ATTEMPTS_SECONDS = 5.0


def server_name(folder: Path) -> str:
    """A per-folder name (the same folder under another spelling gives the same name)."""
    resolved = str(folder.expanduser().resolve())
    if sys.platform == "win32":  # pragma: no cover - Windows paths are case-insensitive
        resolved = resolved.casefold()
    return "hocba-" + hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:24]


def ask_running_instance_to_show(folder: Path, *, wait_seconds: float = FORWARD_ATTEMPTS_SECONDS) -> bool:
    """Connect to the instance holding `folder` and ask it to show its window; True if it answered."""
    _allow_foreground(folder)
    name = server_name(folder)
    deadline = time.monotonic() + wait_seconds
    while True:
        socket = QLocalSocket()
        socket.connectToServer(name)
        if socket.waitForConnected(CONNECT_TIMEOUT_MS):
            socket.write(RAISE_REQUEST)
            socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
            # Wait for the first instance to read and close, so the request is not lost.
            socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
            socket.abort()
            return True
        socket.abort()
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _allow_foreground(folder: Path) -> None:  # pragma: no cover - Windows only
    """Windows lets only the foreground process raise windows: hand that right to the first instance.

    Untested on Linux (no such rule there). Any failure is ignored: the window then flashes
    in the task bar instead of coming forward.
    """
    if sys.platform != "win32":
        return
    try:
        import ctypes

        pid = int((folder / LOCK_FILE).read_text(encoding="ascii", errors="ignore").split()[0])
        ctypes.windll.user32.AllowSetForegroundWindow(pid)
    except (OSError, ValueError, IndexError, AttributeError):
        pass


def bring_forward(window: QWidget) -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


class SingleInstance(QObject):
    """Holds the folder lock for the app's lifetime and answers "show yourself" requests."""

    show_requested = Signal()

    def __init__(self, folder: Path, lock: InstanceLock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.lock = lock
        self.server: QLocalServer | None = None

    @classmethod
    def claim(cls, folder: Path) -> SingleInstance | None:
        """The instance for `folder`, or None if another process already has it."""
        lock = InstanceLock.try_acquire(folder)
        return None if lock is None else cls(folder, lock)

    def listen(self) -> bool:
        """Start answering second starts (needs the QApplication to exist)."""
        name = server_name(self.folder)
        # We hold the folder lock, so a socket left with this name is a dead instance's.
        QLocalServer.removeServer(name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(name):
            log.warning("single-instance server could not listen: %s", server.errorString())
            return False
        server.newConnection.connect(self._on_connection)
        self.server = server
        return True

    @Slot()
    def _on_connection(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.waitForReadyRead(CONNECT_TIMEOUT_MS)
            request = bytes(socket.readAll().data())
            socket.disconnectFromServer()
            socket.deleteLater()
            if request.startswith(RAISE_REQUEST.strip()):
                self.show_requested.emit()
                self.show_windows()

    def show_windows(self) -> None:
        """Bring the app's visible top-level windows (main window or sign-in dialog) forward."""
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        for widget in app.topLevelWidgets():
            shown = widget.isVisible() or widget.isMinimized()
            if shown and widget.windowType() in (Qt.WindowType.Window, Qt.WindowType.Dialog):
                bring_forward(widget)

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        with contextlib.suppress(OSError):
            self.lock.release()
