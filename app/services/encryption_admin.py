"""What the admin does about encryption from inside the app: ask for it, and see the code again.

Converting cannot happen under the open app (the database file is swapped), so the admin's
request is a note beside the database; the next start converts before opening it
(app.ui.encryption_flow) and shows the recovery code once.
"""

from __future__ import annotations

from pathlib import Path

from app.models.db import Database
from app.services import keys, safe_files
from app.services.access import Actor, PermissionDenied
from app.services.audit import append

REQUEST_SUFFIX = ".encrypt-requested"


def recovery_code_for(db: Database, actor: Actor) -> str:
    """The recovery code again (a lost sheet, a second copy for the district): admins only, audited."""
    if not actor.is_admin:
        raise PermissionDenied("Chỉ cán bộ quản trị mới xem được mã khôi phục của dữ liệu.")
    code = keys.recovery_code_of(db.path)
    with db.write() as s:
        append(s, actor=actor.login, action="encryption.recovery_code_shown", entity="database")
    return code


# --------------------------------------------------------------------------- asked for in the app


def request_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + REQUEST_SUFFIX)


def request_encryption(db: Database, actor: Actor) -> None:
    """The admin turns encryption on in Cài đặt: done at the next start, before the database is
    opened (it cannot be swapped under the open app). Audited."""
    if not actor.is_admin:
        raise PermissionDenied("Chỉ cán bộ quản trị mới bật được mã hoá dữ liệu.")
    if keys.is_encrypted(db.path):
        return
    note = request_path(db.path)
    note.write_text(actor.login, encoding="utf-8")
    safe_files.fsync_file(note)
    safe_files.fsync_dir(note.parent)
    with db.write() as s:
        append(s, actor=actor.login, action="encryption.requested", entity="database")


def encryption_requested(db_path: Path) -> bool:
    return request_path(db_path).exists() and not keys.is_encrypted(db_path)


def clear_request(db_path: Path) -> None:
    request_path(db_path).unlink(missing_ok=True)
