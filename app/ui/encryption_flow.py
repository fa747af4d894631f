"""Turning encryption on from the app: right after the first run creates a real school, and at
the start after the admin asked for it in Cài đặt (app.services.encryption_admin).

Both happen before the database is in use (the conversion swaps the file), with the data
folder's lock held by this instance; the work runs off the GUI thread behind a busy dialog,
and the recovery code is shown once at the end (app.ui.recovery_code_dialog).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database, open_database
from app.services import backup_settings, encryption_admin, first_run, keys
from app.services.encryption import ConversionResult, encrypt_database
from app.ui.background import run_in_background
from app.ui.recovery_code_dialog import show_recovery_code
from app.ui.startup_guard import StartupGuard

log = logging.getLogger(__name__)

FAILED_TITLE = "Chưa mã hoá được dữ liệu"
FAILED_TAIL = (
    "Dữ liệu vẫn dùng bình thường (chưa mã hoá). Cán bộ quản trị có thể bật lại mã hoá trong Cài đặt."
)


def run_busy(text: str, work: Callable[[], Any]) -> Any:
    """`work()` on the thread pool while a busy dialog shows; its result, or its exception raised here."""
    dialog = QProgressDialog(text, "", 0, 0)
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.setWindowTitle(_("Học bạ số"))
    dialog.show()
    loop = QEventLoop()
    outcome: dict[str, Any] = {}

    def done(result: Any) -> None:
        outcome["result"] = result
        loop.quit()

    def failed(exc: BaseException) -> None:
        outcome["error"] = exc
        loop.quit()

    run_in_background(dialog, work, done, failed)
    if not outcome:
        loop.exec()
    dialog.close()
    dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def encrypt_now(guard: StartupGuard, path: Path, school_name: str = "") -> bytes | None:
    """Convert the (closed) database at `path`; show the recovery code; return the key (None if refused)."""
    folders = backup_settings.backup_folders(path)
    try:
        result: ConversionResult = run_busy(
            _("Đang mã hoá dữ liệu học bạ… Xin đừng tắt máy."),
            lambda: encrypt_database(path, backup_folders=folders, lock_held=True),
        )
        key = keys.database_key(path)
    except UserFacingError as exc:
        log.warning("encryption refused: %s", exc.__class__.__name__)
        QMessageBox.warning(None, _(FAILED_TITLE), exc.message + "\n\n" + _(FAILED_TAIL))
        return None
    guard.key = key
    if guard.scheduler is not None:
        guard.scheduler.key = key  # the automatic backups from now on open it with the key
    if result.recovery_code is not None:
        show_recovery_code(result.recovery_code, school_name)
    if result.plain_backups:
        QMessageBox.information(None, _("Mã hoá dữ liệu"), "\n\n".join(result.notes))
    return key


def encrypt_if_requested(guard: StartupGuard, path: Path) -> None:
    """At start, before opening: the conversion the admin asked for in Cài đặt."""
    if not encryption_admin.encryption_requested(path):
        return
    log.info("encryption was requested; converting %s", path.name)
    encrypt_now(guard, path)
    encryption_admin.clear_request(path)


def encrypt_new_school(guard: StartupGuard, path: Path, db: Database) -> Database:
    """After the first run created a real school: encrypt it before anyone enters personal data."""
    identity = first_run.school_identity(db)
    if identity is None or identity.is_demo or db.key is not None:
        return db
    db.dispose()
    key = encrypt_now(guard, path, identity.name)
    return open_database(path, key=key)
