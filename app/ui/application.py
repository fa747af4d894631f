"""Start the desktop app: QApplication, shipped fonts, then first run or sign-in, the
main window for the signed-in person, and the event loop.

`app.cli.gui` decides which database to open and where the demo school lives; everything
that needs Qt happens here. The window is always built for someone: the person who signed
in, the admin the first-run wizard just created, or (`--as LOGIN`, demo school only) a
named demo account — the non-interactive path for `--screenshot` and tests.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from app import config
from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.paths import resource
from app.services import accounts, first_run
from app.services.access import SYSTEM, Actor
from app.services.accounts import SignedIn
from app.ui import open_errors, theme
from app.ui.app_session import AppSession
from app.ui.context import UiContext
from app.ui.first_run_wizard import FirstRunWizard
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


def build_main_window(db: Database, actor: Actor = SYSTEM, *, data_dir: Path | None = None) -> MainWindow:
    """The window for `actor` (SYSTEM, with every right, for tests and tools)."""
    context = UiContext(
        db=db, actor=actor, overview=read_overview(db, actor), database_path=db.path, data_dir=data_dir
    )
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
    *,
    open_demo: Callable[[], Database] | None = None,
    as_login: str | None = None,
    data_dir: Path | None = None,
    after_school_created: Callable[[Database], Database] | None = None,
) -> int:
    """Open the database with `open_db`, then run until the person quits.

    A database without a school starts the first-run wizard (`open_demo` makes or opens
    the demo school). Otherwise the sign-in dialog comes first, unless `as_login` names a
    demo account (demo only: screenshots and tests). With `screenshot`, grab the first
    screen shown (wizard, sign-in or main window) to that PNG once painted, and quit.
    """
    started = time.perf_counter()
    app = application(headless_ok=screenshot is not None)
    setup_application(app)
    settings = config.load(data_dir) if data_dir is not None else config.Settings()

    try:
        db = open_db()
    except Exception as exc:
        log.error("could not open %s", db_path, exc_info=True)
        show_open_error(exc, db_path)
        return 1
    launcher = _Launcher(
        app, db, db_path, settings=settings, data_dir=data_dir, open_demo=open_demo,
        fixed_size=screenshot is not None,
    )
    launcher.after_school_created = after_school_created
    outcome = _Outcome(app, screenshot, started, process_age_ms)
    launcher.shown.connect(outcome.on_shown)
    launcher.failed.connect(outcome.fail)
    try:
        launcher.begin(as_login)
        code = app.exec() if not outcome.finished else 0
    finally:
        launcher.dispose()
    return outcome.code or code


class _Outcome(QObject):
    """Exit code, start-up timing, and the screenshot of the first screen shown."""

    def __init__(
        self,
        app: QApplication,
        screenshot: Path | None,
        started: float,
        process_age_ms: Callable[[], float | None],
    ) -> None:
        super().__init__(app)
        self._app = app
        self._screenshot = screenshot
        self._started = started
        self._process_age_ms = process_age_ms
        self._first: QWidget | None = None
        self._watcher: _FirstPaint | None = None
        self.finished = False
        self.code = 0

    @Slot(QWidget)
    def on_shown(self, widget: QWidget) -> None:
        if self._first is not None:
            return
        self._first = widget
        self._watcher = _FirstPaint(self._painted, widget)
        widget.installEventFilter(self._watcher)
        if self._screenshot is not None:
            # Should the platform never paint (a hidden window), grab anyway.
            QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, self, self._painted)

    def _painted(self) -> None:
        widget = self._first
        if self.finished or widget is None:
            return
        age = self._process_age_ms()
        if age is not None:
            log.info("first screen shown after %.0f ms (since process start)", age)
        log.info("%s shown %.0f ms after gui.run", type(widget).__name__,
                 (time.perf_counter() - self._started) * 1000)
        if self._screenshot is None:
            return
        self.finished = True
        if not widget.grab().save(str(self._screenshot), "PNG"):
            log.error("could not write screenshot %s", self._screenshot)
            self.code = 1
        self._app.quit()

    @Slot(int)
    def fail(self, code: int) -> None:
        self.finished = True
        self.code = code
        self._app.quit()


class _Launcher(QObject):
    """First run (wizard) or sign-in, then the session; owns the open database."""

    shown = Signal(QWidget)
    failed = Signal(int)

    def __init__(
        self,
        app: QApplication,
        db: Database,
        db_path: Path,
        *,
        settings: config.Settings,
        data_dir: Path | None,
        open_demo: Callable[[], Database] | None,
        fixed_size: bool,
    ) -> None:
        super().__init__(app)
        self._app = app
        self.db = db
        self._db_path = db_path
        self._settings = settings
        self._data_dir = data_dir
        self._open_demo = open_demo
        self._fixed_size = fixed_size
        self.wizard: FirstRunWizard | None = None
        self.session: AppSession | None = None
        # Encryption at rest for a newly created real school (app.ui.encryption_flow); may reopen.
        self.after_school_created: Callable[[Database], Database] | None = None

    def begin(self, as_login: str | None) -> None:
        if not first_run.has_school(self.db):
            wizard = FirstRunWizard(self.db, open_demo=self._open_demo)
            self.wizard = wizard
            wizard.finished.connect(lambda result: self._wizard_done(result, as_login))
            wizard.open()
            self.shown.emit(wizard)
            return
        self._start_session(None, as_login)

    def _wizard_done(self, result: int, as_login: str | None) -> None:
        wizard, self.wizard = self.wizard, None
        if wizard is None:
            return
        wizard.deleteLater()
        if result != QDialog.DialogCode.Accepted:
            self._app.quit()
            return
        if wizard.outcome == "demo" and wizard.demo_db is not None:
            if wizard.demo_db is not self.db:
                self.db.dispose()
                self.db = wizard.demo_db
            self._start_session(None, as_login)
        else:
            if self.after_school_created is not None:
                self.db = self.after_school_created(self.db)
            self._start_session(wizard.signed_in, None)

    def _start_session(self, signed: SignedIn | None, as_login: str | None) -> None:
        identity = first_run.school_identity(self.db)
        if identity is None:  # pragma: no cover - begin() checked
            self.failed.emit(1)
            return
        if as_login is not None:
            try:
                signed = accounts.sign_in_demo(self.db, as_login)
            except UserFacingError as exc:
                log.error("--as %s refused: %s", as_login, exc.message)
                QMessageBox.critical(None, _("Không đăng nhập được"), exc.message)
                self.failed.emit(2)
                return
        db, data_dir, fixed = self.db, self._data_dir, self._fixed_size
        session = AppSession(
            db,
            build_window=lambda actor: build_main_window(db, actor, data_dir=data_dir),
            show_window=lambda window: show_window(window, fixed_size=fixed),
            school_name=identity.name,
            is_demo=identity.is_demo,
            settings=self._settings,
            parent=self,
        )
        self.session = session
        session.shown.connect(self.shown)
        session.quit_requested.connect(self._app.quit)
        session.start(signed)

    def dispose(self) -> None:
        if self.session is not None:
            self.session.quit_requested.disconnect()
            self.session.quit()
            self.session.idle.stop()
        self._app.setQuitOnLastWindowClosed(True)
        self.db.dispose()
