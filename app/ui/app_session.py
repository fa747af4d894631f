"""Who is using the shared PC right now: sign-in, the window built for them, lock, sign-out.

The main window is built for one signed-in person (their `Actor`): the areas, classes and
actions they may use. Signing out closes it and shows the sign-in dialog again; after the
idle time the window hides behind the lock screen, where the same person types their
password to continue or someone else signs in — then a new window is built for them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Signal, Slot
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from app.config import Settings
from app.i18n import _
from app.models.db import Database
from app.services import accounts
from app.services.access import Actor
from app.services.accounts import SignedIn, SignInChoice
from app.ui.idle_lock import IdleWatcher
from app.ui.login_dialog import LoginDialog
from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

WindowFactory = Callable[[Actor], MainWindow]
ShowWindow = Callable[[QWidget], None]


class AppSession(QObject):
    """Drives sign-in → window → lock / sign-out → … until the person quits."""

    # Every top-level the session shows (sign-in, lock screen, main window): for screenshots.
    shown = Signal(QWidget)
    quit_requested = Signal()

    def __init__(
        self,
        db: Database,
        *,
        build_window: WindowFactory,
        show_window: ShowWindow,
        school_name: str,
        is_demo: bool,
        settings: Settings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self._app = app
        self._db = db
        self._build_window = build_window
        self._show_window = show_window
        self._school_name = school_name
        self._is_demo = is_demo
        self.window: MainWindow | None = None
        self.actor: Actor | None = None
        self.login_dialog: LoginDialog | None = None
        self.locked = False
        self._replacing = False
        self._hidden: list[QWidget] = []
        # Windows come and go while the app runs: only an explicit quit ends it.
        app.setQuitOnLastWindowClosed(False)
        self.idle = IdleWatcher(app, settings.idle_lock_minutes, self)
        self.idle.pause()
        self.idle.idle.connect(self.lock)

    # -- starting ------------------------------------------------------------------------------

    def start(self, signed: SignedIn | None = None) -> None:
        """Open the window for `signed`, or ask who is there first."""
        if signed is not None:
            self._open_window_for(signed)
        else:
            self._ask(locked_for=None)

    def _ask(self, locked_for: SignInChoice | None) -> None:
        dialog = LoginDialog(
            self._db, school_name=self._school_name, is_demo=self._is_demo, locked_for=locked_for
        )
        self.login_dialog = dialog
        dialog.finished.connect(self._answered)
        dialog.open()
        self.shown.emit(dialog)

    @Slot(int)
    def _answered(self, result: int) -> None:
        dialog, self.login_dialog = self.login_dialog, None
        if dialog is None:
            return
        dialog.deleteLater()
        signed = dialog.signed_in
        if result != QDialog.DialogCode.Accepted or signed is None:
            self.quit()
            return
        if self.locked and self.window is not None and self.actor is not None \
                and signed.user_id == self.actor.user_id:
            log.info("unlocked by the same person")
            self.locked = False
            for widget in self._hidden:
                with contextlib.suppress(RuntimeError):  # closed meanwhile: nothing to show
                    widget.show()
            self._hidden = []
            self.idle.resume()
            return
        self._hidden = []
        self._open_window_for(signed)

    def _open_window_for(self, signed: SignedIn) -> None:
        actor = accounts.actor_for(self._db, signed.user_id)
        self._close_window()
        self.locked = False
        self.actor = actor
        window = self._build_window(actor)
        window.sign_out_requested.connect(self.sign_out)
        window.lock_requested.connect(self.lock)
        window.installEventFilter(self)
        window.settings_changed.connect(self.apply_settings)
        self.window = window
        log.info("window built for %s; areas: %s", actor.login, ", ".join(_(a.title) for a in window.areas))
        self._show_window(window)
        self.shown.emit(window)
        self.idle.resume()

    def _close_window(self) -> None:
        window, self.window = self.window, None
        if window is None:
            return
        self._replacing = True
        try:
            window.removeEventFilter(self)
            window.close()
        finally:
            self._replacing = False
        window.deleteLater()

    # -- what the window and the idle timer ask for -----------------------------------------

    @Slot()
    def sign_out(self) -> None:
        if self.window is None:
            return
        log.info("%s signed out", self.actor.login if self.actor else "?")
        self.idle.pause()
        self._close_window()
        self.actor = None
        self.locked = False
        self._ask(locked_for=None)

    @Slot()
    def lock(self) -> None:
        if self.window is None or self.actor is None or self.login_dialog is not None:
            return
        self.idle.pause()
        self.locked = True
        # Hidden, not merely covered: a passer-by must not read students' data. Dialogs and
        # viewers opened from the window are windows of their own and hide separately.
        self._hidden = [w for w in self._app.topLevelWidgets() if w.isVisible()]
        for widget in self._hidden:
            widget.hide()
        me = self.actor
        self._ask(locked_for=SignInChoice(me.user_id or 0, me.login, me.full_name, tuple(me.roles)))

    @Slot(object)
    def apply_settings(self, settings: Settings) -> None:
        self.idle.set_minutes(settings.idle_lock_minutes)
        if self.window is None or self.locked:
            self.idle.pause()

    def quit(self) -> None:
        self.idle.pause()
        self._close_window()
        self.quit_requested.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The person closed the main window (or chose Thoát): the app ends.
        if watched is self.window and event.type() == QEvent.Type.Close and not self._replacing:
            self.idle.pause()
            self.quit_requested.emit()
        return False
