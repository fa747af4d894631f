"""Accounts on a shared school PC: sign in, passwords, and the admin's account management.

Sign-in is rate-limited per account with the `failed_logins` / `locked_until` columns:
the first `FREE_TRIES` wrong passwords in a row only count down; the next ones lock the
account for `FIRST_LOCK` and then twice as long after each further wrong password (capped
at `MAX_LOCK`). A correct password, or an admin resetting the password, starts afresh.
While an account is locked its password is not even checked, so guessing gains nothing.

Every change is written to the audit log with old → new values, never a password or a
hash of one. Management functions are admin-only (`require_admin`); a person changes
their own password by proving the current one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound, UserFacingError
from app.models import School, UserAccount, UserRole
from app.models.base import utcnow
from app.models.db import Database
from app.models.people import ALL_ROLES, ROLE_ADMIN
from app.rules.vnsort import fold, name_sort_key
from app.services import audit
from app.services.access import Actor, load_actor, require_admin
from app.services.passwords import hash_password, needs_rehash, verify_password

FREE_TRIES = 5
FIRST_LOCK = timedelta(minutes=5)
MAX_LOCK = timedelta(hours=24)
MIN_PASSWORD_LENGTH = 8

# Vietnamese names of the roles, as the admin and the sign-in list show them.
ROLE_NAMES: dict[str, str] = {
    "admin": "Cán bộ quản trị",
    "hieutruong": "Hiệu trưởng",
    "phohieutruong": "Phó hiệu trưởng",
    "gvcn": "Giáo viên chủ nhiệm",
    "gvbm": "Giáo viên bộ môn",
    "vanthu": "Văn thư",
}
# Most senior first: the order roles are listed in.
ROLE_ORDER = ("admin", "hieutruong", "phohieutruong", "gvcn", "gvbm", "vanthu")

_LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
# No 0/O, 1/l/i: a temporary password is read aloud or copied from a slip of paper.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class SignInChoice:
    """One line of the sign-in list (no secrets, no lock state)."""

    user_id: int
    login: str
    full_name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    login: str
    full_name: str
    must_change_password: bool


@dataclass(frozen=True)
class AccountInfo:
    """An account as the admin sees it."""

    user_id: int
    login: str
    full_name: str
    roles: tuple[str, ...]
    active: bool
    must_change_password: bool
    failed_logins: int
    locked_until: datetime | None  # UTC, only while still in the future


class SignInFailed(UserFacingError):
    """Wrong password or locked account; says how many tries are left or until when."""

    def __init__(
        self, message: str, *, remaining_tries: int | None = None, locked_until: datetime | None = None
    ) -> None:
        super().__init__(message, field="password")
        self.remaining_tries = remaining_tries
        self.locked_until = locked_until


# --------------------------------------------------------------------------- helpers


def role_names(roles: Iterable[str]) -> str:
    """"Giáo viên chủ nhiệm, Giáo viên bộ môn" — senior roles first."""
    present = set(roles)
    return ", ".join(ROLE_NAMES[r] for r in ROLE_ORDER if r in present)


def sorted_roles(roles: Iterable[str]) -> tuple[str, ...]:
    present = set(roles)
    return tuple(r for r in ROLE_ORDER if r in present)


def lock_duration(failed_logins: int) -> timedelta | None:
    """How long the account locks after this many wrong passwords in a row (None: no lock)."""
    if failed_logins < FREE_TRIES:
        return None
    doublings = min(failed_logins - FREE_TRIES, 20)
    lock: timedelta = min(FIRST_LOCK * (2**doublings), MAX_LOCK)
    return lock


def format_wait(until: datetime, now: datetime) -> str:
    """'4 phút (đến 10:35)' in the PC's local time; `until`/`now` are naive UTC."""
    seconds = max(0.0, (until - now).total_seconds())
    minutes = max(1, int(-(-seconds // 60)))
    local = until.replace(tzinfo=UTC).astimezone()
    amount = f"khoảng {round(minutes / 60)} giờ" if minutes >= 120 else f"{minutes} phút"
    clock = local.strftime("%H:%M") if minutes < 24 * 60 else local.strftime("%H:%M ngày %d/%m")
    return f"{amount} (đến {clock})"


def normalise_login(login: str) -> str:
    return login.strip().lower()


def suggest_login(full_name: str, taken: Iterable[str] = ()) -> str:
    """'Nguyễn Thị Hoà' → 'gv.nguyenthihoa' (or …2, …3 when taken)."""
    base = "gv." + "".join(ch for ch in fold(full_name) if ch.isascii() and ch.isalnum())
    if base == "gv.":
        base = "gv.giaovien"
    used = {normalise_login(t) for t in taken}
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}{n}"
    return candidate[:60]


def generate_temporary_password() -> str:
    """Ten easy-to-read characters in two groups, e.g. 'kq7m4-x9tha'."""
    chars = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def check_new_password(password: str, *, login: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserFacingError(
            f"Mật khẩu mới cần ít nhất {MIN_PASSWORD_LENGTH} kí tự. Hãy chọn mật khẩu dài hơn.",
            field="new_password",
        )
    if not password.strip():
        raise UserFacingError("Mật khẩu không được chỉ gồm dấu cách.", field="new_password")
    if normalise_login(password) == normalise_login(login):
        raise UserFacingError(
            "Mật khẩu không được trùng với tên đăng nhập. Hãy chọn mật khẩu khác.", field="new_password"
        )


def check_login(login: str) -> str:
    clean = normalise_login(login)
    if not _LOGIN_RE.match(clean):
        raise UserFacingError(
            "Tên đăng nhập cần 3–60 kí tự, chỉ gồm chữ không dấu, chữ số, dấu chấm, gạch dưới "
            "hoặc gạch ngang, ví dụ gv.nguyenvana.",
            field="login",
        )
    return clean


def check_full_name(full_name: str) -> str:
    clean = " ".join(full_name.split())
    if not clean:
        raise UserFacingError("Hãy nhập họ và tên.", field="full_name")
    if len(clean) > 100:
        raise UserFacingError("Họ và tên dài quá 100 kí tự.", field="full_name")
    return clean


def _check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    clean = sorted_roles(roles)
    unknown = set(roles) - set(ALL_ROLES)
    if unknown:
        raise UserFacingError(f"Vai trò không hợp lệ: {', '.join(sorted(unknown))}.", field="roles")
    if not clean:
        raise UserFacingError("Hãy chọn ít nhất một vai trò cho tài khoản.", field="roles")
    return clean


def _user(s: Session, user_id: int) -> UserAccount:
    user = s.get(UserAccount, user_id)
    if user is None:
        raise NotFound("Không tìm thấy tài khoản này; có thể nó vừa bị xoá. Hãy tải lại danh sách.")
    return user


def _info(user: UserAccount, now: datetime) -> AccountInfo:
    locked = user.locked_until if user.locked_until and user.locked_until > now else None
    return AccountInfo(
        user_id=user.id,
        login=user.login,
        full_name=user.full_name,
        roles=sorted_roles(user.role_codes),
        active=user.active,
        must_change_password=user.must_change_password,
        failed_logins=user.failed_logins,
        locked_until=locked,
    )


def _other_active_admins(s: Session, user_id: int) -> int:
    return int(
        s.scalar(
            select(func.count())
            .select_from(UserAccount)
            .join(UserRole, UserRole.user_id == UserAccount.id)
            .where(UserRole.role == ROLE_ADMIN, UserAccount.active.is_(True), UserAccount.id != user_id)
        )
        or 0
    )


# --------------------------------------------------------------------------- sign-in


def sign_in_choices(db: Database) -> tuple[SignInChoice, ...]:
    """Active accounts for the sign-in list, in Vietnamese name order."""
    with db.read() as s:
        users = s.scalars(
            select(UserAccount).where(UserAccount.active.is_(True)).options(selectinload(UserAccount.roles))
        ).all()
        choices = [SignInChoice(u.id, u.login, u.full_name, sorted_roles(u.role_codes)) for u in users]
    return tuple(sorted(choices, key=lambda c: (name_sort_key(c.full_name), c.login)))


def sign_in(db: Database, login: str, password: str, *, now: datetime | None = None) -> SignedIn:
    """Check a login and password; count and lock on failure (committed before raising)."""
    now = now or utcnow()
    clean = normalise_login(login)
    if not clean:
        raise UserFacingError("Hãy chọn tên của mình trong danh sách hoặc nhập tên đăng nhập.", field="login")
    failure: SignInFailed | None = None
    with db.write() as s:
        user = s.scalar(select(UserAccount).where(UserAccount.login == clean))
        if user is None or not user.active:
            raise UserFacingError(
                "Không có tài khoản đang dùng với tên đăng nhập này. "
                "Hãy kiểm tra lại, hoặc nhờ cán bộ quản trị tạo tài khoản.",
                field="login",
            )
        if user.locked_until is not None and user.locked_until > now:
            raise SignInFailed(
                "Tài khoản đang tạm khoá vì nhập sai mật khẩu nhiều lần. "
                f"Hãy thử lại sau {format_wait(user.locked_until, now)}, "
                "hoặc nhờ cán bộ quản trị đặt lại mật khẩu.",
                remaining_tries=0,
                locked_until=user.locked_until,
            )
        if verify_password(user.password_hash, password):
            if user.failed_logins or user.locked_until:
                user.failed_logins = 0
                user.locked_until = None
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            audit.append(
                s, actor=user.login, action="account.sign_in", entity="user_account", entity_id=user.id
            )
            return SignedIn(user.id, user.login, user.full_name, user.must_change_password)
        old_count = user.failed_logins
        user.failed_logins = old_count + 1
        lock = lock_duration(user.failed_logins)
        user.locked_until = now + lock if lock else None
        detail: dict[str, object] = {"failed_logins": [old_count, user.failed_logins]}
        if user.locked_until:
            detail["locked_until"] = user.locked_until.isoformat(timespec="seconds")
        audit.append(
            s, actor=user.login, action="account.sign_in_failed", entity="user_account",
            entity_id=user.id, detail=detail,
        )
        if user.locked_until is not None:
            failure = SignInFailed(
                "Mật khẩu chưa đúng. Tài khoản tạm khoá "
                f"{format_wait(user.locked_until, now)} để tránh bị đoán mật khẩu. "
                "Hãy thử lại sau, hoặc nhờ cán bộ quản trị đặt lại mật khẩu.",
                remaining_tries=0,
                locked_until=user.locked_until,
            )
        else:
            remaining = FREE_TRIES - user.failed_logins
            failure = SignInFailed(
                f"Mật khẩu chưa đúng. Còn {remaining} lần thử trước khi tài khoản bị tạm khoá "
                f"{int(FIRST_LOCK.total_seconds() // 60)} phút. Hãy kiểm tra bộ gõ tiếng Việt và "
                "phím Caps Lock.",
                remaining_tries=remaining,
            )
    # Raised after the transaction so the counted failure is committed.
    raise failure


def sign_in_demo(db: Database, login: str) -> SignedIn:
    """Sign in without a password — only in the demo school (`gui --as LOGIN`, screenshots).

    The demo's password is published anyway; a real school always asks for the password.
    """
    clean = normalise_login(login)
    with db.write() as s:
        school = s.scalar(select(School).order_by(School.id).limit(1))
        if school is None or not school.is_demo:
            raise UserFacingError(
                "Chỉ trường mẫu (DEMO) mới cho đăng nhập không cần mật khẩu. Hãy mở ứng dụng và đăng nhập."
            )
        user = s.scalar(select(UserAccount).where(UserAccount.login == clean))
        if user is None or not user.active:
            raise UserFacingError(f"Trường mẫu không có tài khoản “{clean}”.", field="login")
        audit.append(s, actor=user.login, action="account.sign_in", entity="user_account",
                     entity_id=user.id, detail={"demo": True})
        return SignedIn(user.id, user.login, user.full_name, False)


def actor_for(db: Database, user_id: int) -> Actor:
    """The signed-in person with their current assignments (what the window is built for)."""
    with db.read() as s:
        return load_actor(s, user_id)


def change_password(db: Database, actor: Actor, current_password: str, new_password: str) -> None:
    """The signed-in person changes their own password (also ends must_change_password)."""
    if actor.user_id is None:
        raise UserFacingError("Tài khoản hệ thống không có mật khẩu để đổi.")
    with db.write() as s:
        user = _user(s, actor.user_id)
        if not verify_password(user.password_hash, current_password):
            raise UserFacingError(
                "Mật khẩu hiện tại chưa đúng. Hãy nhập lại mật khẩu đang dùng.", field="current_password"
            )
        check_new_password(new_password, login=user.login)
        if new_password == current_password:
            raise UserFacingError("Mật khẩu mới phải khác mật khẩu hiện tại.", field="new_password")
        old_must = user.must_change_password
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        audit.append(
            s, actor=actor.login, action="account.password_changed", entity="user_account",
            entity_id=user.id, detail={"must_change_password": [old_must, False]},
        )


# --------------------------------------------------------------------------- admin


def list_accounts(db: Database, actor: Actor, *, now: datetime | None = None) -> tuple[AccountInfo, ...]:
    require_admin(actor)
    now = now or utcnow()
    with db.read() as s:
        query = select(UserAccount).options(selectinload(UserAccount.roles))
        infos = [_info(u, now) for u in s.scalars(query)]
    return tuple(sorted(infos, key=lambda a: (not a.active, name_sort_key(a.full_name), a.login)))


def create_account(
    db: Database,
    actor: Actor,
    *,
    login: str,
    full_name: str,
    roles: Iterable[str],
    temporary_password: str,
) -> AccountInfo:
    """A new account that must choose its own password at first sign-in."""
    require_admin(actor)
    clean_login = check_login(login)
    name = check_full_name(full_name)
    role_codes = _check_roles(tuple(roles))
    check_new_password(temporary_password, login=clean_login)
    password_hash = hash_password(temporary_password)
    with db.write() as s:
        school_id = s.scalar(select(School.id).order_by(School.id).limit(1))
        if school_id is None:
            raise UserFacingError("Chưa có trường nào; hãy tạo trường trước khi tạo tài khoản.")
        if s.scalar(select(UserAccount.id).where(UserAccount.login == clean_login)) is not None:
            raise UserFacingError(
                f"Tên đăng nhập “{clean_login}” đã có người dùng. Hãy chọn tên khác.", field="login"
            )
        user = UserAccount(
            school_id=school_id,
            login=clean_login,
            full_name=name,
            password_hash=password_hash,
            must_change_password=True,
            active=True,
            failed_logins=0,
        )
        user.roles = [UserRole(role=r) for r in role_codes]
        s.add(user)
        s.flush()
        audit.append(
            s, actor=actor.login, action="account.create", entity="user_account", entity_id=user.id,
            detail={"login": clean_login, "full_name": name, "roles": list(role_codes)},
        )
        return _info(user, utcnow())


def update_account(
    db: Database,
    actor: Actor,
    user_id: int,
    *,
    full_name: str | None = None,
    roles: Iterable[str] | None = None,
) -> AccountInfo:
    """Change a person's name or roles (old → new in the audit log)."""
    require_admin(actor)
    with db.write() as s:
        user = _user(s, user_id)
        changes: dict[str, object] = {}
        if full_name is not None:
            name = check_full_name(full_name)
            if name != user.full_name:
                changes["full_name"] = [user.full_name, name]
                user.full_name = name
        if roles is not None:
            new_roles = _check_roles(tuple(roles))
            old_roles = sorted_roles(user.role_codes)
            if new_roles != old_roles:
                if ROLE_ADMIN in old_roles and ROLE_ADMIN not in new_roles:
                    _refuse_losing_last_admin(s, user)
                keep = [r for r in user.roles if r.role in new_roles]
                have = {r.role for r in keep}
                user.roles = keep + [UserRole(role=r) for r in new_roles if r not in have]
                changes["roles"] = [list(old_roles), list(new_roles)]
        if changes:
            audit.append(
                s, actor=actor.login, action="account.update", entity="user_account",
                entity_id=user.id, detail=changes,
            )
        s.flush()
        return _info(user, utcnow())


def _refuse_losing_last_admin(s: Session, user: UserAccount) -> None:
    if user.active and _other_active_admins(s, user.id) == 0:
        raise UserFacingError(
            "Đây là cán bộ quản trị duy nhất còn hoạt động. Hãy giao quyền quản trị cho người khác "
            "trước, nếu không sẽ không ai thiết lập được trường."
        )


def set_active(db: Database, actor: Actor, user_id: int, active: bool) -> AccountInfo:
    """Deactivate (nobody can sign in with it; history stays) or reactivate an account."""
    require_admin(actor)
    with db.write() as s:
        user = _user(s, user_id)
        if user.active == active:
            return _info(user, utcnow())
        if not active:
            if user.id == actor.user_id:
                raise UserFacingError("Bạn không thể tự ngừng tài khoản của chính mình.")
            if ROLE_ADMIN in user.role_codes:
                _refuse_losing_last_admin(s, user)
        user.active = active
        audit.append(
            s, actor=actor.login, action="account.activate" if active else "account.deactivate",
            entity="user_account", entity_id=user.id, detail={"active": [not active, active]},
        )
        return _info(user, utcnow())


def reset_password(
    db: Database, actor: Actor, user_id: int, temporary_password: str | None = None
) -> str:
    """Set a temporary password the person must change at next sign-in; also unlocks.

    Returns the temporary password (generated when none is given) for the admin to pass on.
    """
    require_admin(actor)
    password = temporary_password or generate_temporary_password()
    with db.write() as s:
        user = _user(s, user_id)
        check_new_password(password, login=user.login)
        detail: dict[str, object] = {"must_change_password": [user.must_change_password, True]}
        if user.failed_logins or user.locked_until:
            detail["failed_logins"] = [user.failed_logins, 0]
        user.password_hash = hash_password(password)
        user.must_change_password = True
        user.failed_logins = 0
        user.locked_until = None
        audit.append(
            s, actor=actor.login, action="account.password_reset", entity="user_account",
            entity_id=user.id, detail=detail,
        )
    return password


def unlock(db: Database, actor: Actor, user_id: int) -> AccountInfo:
    """Lift a lock from wrong passwords without changing the password."""
    require_admin(actor)
    with db.write() as s:
        user = _user(s, user_id)
        if user.failed_logins or user.locked_until:
            audit.append(
                s, actor=actor.login, action="account.unlock", entity="user_account", entity_id=user.id,
                detail={"failed_logins": [user.failed_logins, 0]},
            )
            user.failed_logins = 0
            user.locked_until = None
        return _info(user, utcnow())
