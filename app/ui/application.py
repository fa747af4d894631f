"""Start the desktop app: QApplication, shipped fonts, the main window, the event loop.

`app.cli.gui` decides which database to open (and creates the demo school on first run);
everything that needs Qt happens here.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.i18n import _
from app.models.db import Database
from app.paths import resource
from app.services.access import SYSTEM, Actor
from app.ui import open_errors, theme
from app.ui.context import UiContext
from app.ui.main_window import MainWindow
from app.ui.reads import read_overview

log = logging.getLogger(__name__)

APPLICATION_NAME = "Học bạ số"
ORGANIZATION_NAME = "HocBaSo"
FONT_FILES = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSans-Italic.ttf")
FALLBACK_FAMILY = "Noto Sans"
WINDOW_SIZE = (1280, 800)
SCREENSHOT_TIMEOUT_MS = 10_000


def application(*, headless_ok: bool = False) -> QApplication:
    """The one QApplication (tests already have one; the app makes it here).

    `headless_ok`: on a Linux machine with no display (a build server making screenshots
    for the docs), use Qt's offscreen platform instead of failing to start.
    """
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    if (
        headless_ok
        and sys.platform.startswith("linux")
        and not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return QApplication(sys.argv[:1])


def load_fonts() -> str | None:
    """Register the shipped Noto Sans; return its family, or None if none could be loaded.

    School PCs (and the offscreen platform) may lack a font with Vietnamese letters;
    shipping our own means text looks the same everywhere.
    """
    family = None
    for name in FONT_FILES:
        path = resource("fonts", name)
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("font %s could not be loaded", path)
            continue
        families = QFontDatabase.applicationFontFamilies(font_id)
        family = family or (families[0] if families else None)
    return family


def setup_application(app: QApplication) -> None:
    """Names, the shipped font at a comfortable size, and the style sheet. Idempotent."""
    app.setApplicationName(APPLICATION_NAME)
    app.setApplicationDisplayName(APPLICATION_NAME)
    app.setOrganizationName(ORGANIZATION_NAME)
    if app.property("hocba_setup"):
        return
    family = load_fonts() or FALLBACK_FAMILY
    font = QFont(family)
    font.setPointSizeF(theme.BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(theme.STYLE_SHEET)
    app.setProperty("hocba_setup", True)


def build_main_window(db: Database, actor: Actor = SYSTEM) -> MainWindow:
    # Until sign-in exists the window acts with full rights, as the command line does.
    context = UiContext(db=db, actor=actor, overview=read_overview(db, actor), database_path=db.path)
    return MainWindow(context)


def show_open_error(exc: BaseException, path: Path) -> None:
    QMessageBox.critical(None, _(open_errors.TITLE), open_errors.describe_open_error(exc, path))


class _FirstPaint(QObject):
    """Calls back once, on the event loop turn after the window's first paint."""

    def __init__(self, callback: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback
        self._done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._done and event.type() == QEvent.Type.Paint:
            self._done = True
            QTimer.singleShot(0, self._callback)
        return False


def show_window(window: QWidget, *, fixed_size: bool) -> None:
    width, height = WINDOW_SIZE
    screen = QGuiApplication.primaryScreen()
    available = screen.availableGeometry() if screen is not None else None
    if fixed_size or available is None:
        window.resize(width, height)
        window.show()
    elif available.width() <= width or available.height() <= height:
        window.showMaximized()  # a 1366×768 laptop: use all of it
    else:
        window.resize(width, height)
        window.show()


def run(
    open_db: Callable[[], Database],
    db_path: Path,
    screenshot: Path | None = None,
    process_age_ms: Callable[[], float | None] = lambda: None,
) -> int:
    """Open the database with `open_db`, show the main window, run until it closes.

    With `screenshot`, grab the window to that PNG once it has been painted, and quit.
    """
    started = time.perf_counter()
    app = application(headless_ok=screenshot is not None)
    setup_application(app)

    db: Database | None = None
    try:
        db = open_db()
        window = build_main_window(db)
    except Exception as exc:
        log.error("could not open %s", db_path, exc_info=True)
        if db is not None:
            db.dispose()
        show_open_error(exc, db_path)
        return 1

    screenshot_failed = False
    done = False

    def on_shown() -> None:
        nonlocal done, screenshot_failed
        if done:
            return
        done = True
        age = process_age_ms()
        if age is not None:
            log.info("main window shown after %.0f ms (since process start)", age)
        log.info("main window shown %.0f ms after gui.run", (time.perf_counter() - started) * 1000)
        if screenshot is not None:
            if not window.grab().save(str(screenshot), "PNG"):
                log.error("could not write screenshot %s", screenshot)
                screenshot_failed = True
            window.close()
            app.quit()

    watcher = _FirstPaint(on_shown, window)
    window.installEventFilter(watcher)
    show_window(window, fixed_size=screenshot is not None)
    if screenshot is not None:
        # Should the platform never paint (a minimised or hidden window), grab anyway.
        QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, window, on_shown)
    try:
        code = app.exec()
    finally:
        window.removeEventFilter(watcher)
        window.deleteLater()
        db.dispose()
    return code or int(screenshot_failed)
