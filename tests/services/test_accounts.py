"""Accounts: sign-in with rate limiting, passwords, admin management, role enforcement.

A small real demo school (its accounts all use DEMO_PASSWORD) on a migrated SQLite file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.errors import UserFacingError
from app.models import AuditEntry, UserAccount
from app.models.db import Database, open_database
from app.models.people import ALL_ROLES, ROLE_ADMIN, ROLE_CLERK, ROLE_SUBJECT_TEACHER
from app.services import accounts
from app.services.access import Actor, PermissionDenied
from app.services.audit import verify_chain
from app.services.demo import DEMO_PASSWORD, create_demo_school

NOW = datetime(2026, 11, 23, 8, 0, 0)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "school.sqlite3")
    create_demo_school(database, classes=2, students_per_class=3, seed=3)
    yield database
    database.dispose()


def _actor(db: Database, login: str) -> Actor:
    with db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
    assert user_id is not None
    return accounts.actor_for(db, user_id)


def _teacher_login(db: Database) -> str:
    choices = accounts.sign_in_choices(db)
    return next(c.login for c in choices if c.login.startswith("gv."))


@dataclass(frozen=True)
class _UserRow:
    failed_logins: int
    locked_until: datetime | None
    must_change_password: bool
    active: bool


@dataclass(frozen=True)
class _Entry:
    actor: str
    action: str
    detail: dict[str, Any]


def _row(db: Database, login: str) -> _UserRow:
    with db.read() as s:
        u = s.scalar(select(UserAccount).where(UserAccount.login == login))
        assert u is not None
        return _UserRow(u.failed_logins, u.locked_until, u.must_change_password, u.active)


def _audit(db: Database, action: str) -> list[_Entry]:
    with db.read() as s:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return [_Entry(e.actor, e.action, e.detail) for e in s.scalars(query)]


# --------------------------------------------------------------------------- sign-in


def test_sign_in_list_is_active_accounts_in_vietnamese_name_order(db: Database) -> None:
    choices = accounts.sign_in_choices(db)
    logins = [c.login for c in choices]
    assert {"admin", "hieutruong", "phohieutruong", "vanthu"} <= set(logins)
    from app.rules.vnsort import name_sort_key

    assert [c.full_name for c in choices] == sorted((c.full_name for c in choices), key=name_sort_key)
    admin = _actor(db, "admin")
    target = _actor(db, "vanthu")
    accounts.set_active(db, admin, target.user_id or 0, False)
    assert "vanthu" not in [c.login for c in accounts.sign_in_choices(db)]


def test_correct_password_signs_in_and_is_audited(db: Database) -> None:
    signed = accounts.sign_in(db, "  Admin ", DEMO_PASSWORD, now=NOW)
    assert signed.login == "admin" and not signed.must_change_password
    entries = _audit(db, "account.sign_in")
    assert [e.actor for e in entries] == ["admin"]


def test_wrong_passwords_count_down_then_lock_with_growing_time(db: Database) -> None:
    login = _teacher_login(db)
    remaining = []
    for i in range(accounts.FREE_TRIES - 1):
        with pytest.raises(accounts.SignInFailed) as caught:
            accounts.sign_in(db, login, "sai-mat-khau", now=NOW + timedelta(seconds=i))
        remaining.append(caught.value.remaining_tries)
        assert "Còn" in caught.value.message and "lần thử" in caught.value.message
    assert remaining == [4, 3, 2, 1]
    # The counted failures are committed although the call raised.
    assert _row(db, login).failed_logins == 4

    with pytest.raises(accounts.SignInFailed) as caught:
        accounts.sign_in(db, login, "sai-mat-khau", now=NOW + timedelta(minutes=1))
    assert caught.value.remaining_tries == 0
    assert caught.value.locked_until == NOW + timedelta(minutes=1) + accounts.FIRST_LOCK
    assert "tạm khoá 5 phút" in caught.value.message

    # While locked, even the right password is refused and not even counted.
    with pytest.raises(accounts.SignInFailed) as caught:
        accounts.sign_in(db, login, DEMO_PASSWORD, now=NOW + timedelta(minutes=3))
    assert "đang tạm khoá" in caught.value.message and "3 phút" in caught.value.message
    assert _row(db, login).failed_logins == 5

    # After the lock, another wrong password locks twice as long.
    after = NOW + timedelta(minutes=7)
    with pytest.raises(accounts.SignInFailed) as caught:
        accounts.sign_in(db, login, "van-sai", now=after)
    assert caught.value.locked_until == after + 2 * accounts.FIRST_LOCK

    # The right password after that lock works and starts afresh.
    signed = accounts.sign_in(db, login, DEMO_PASSWORD, now=after + timedelta(minutes=11))
    assert signed.login == login
    row = _row(db, login)
    assert row.failed_logins == 0 and row.locked_until is None
    failures = _audit(db, "account.sign_in_failed")
    assert [e.detail["failed_logins"] for e in failures] == [[n, n + 1] for n in range(6)]


def test_lock_durations_double_and_are_capped() -> None:
    assert [accounts.lock_duration(n) for n in range(accounts.FREE_TRIES)] == [None] * accounts.FREE_TRIES
    minutes = [accounts.lock_duration(n).total_seconds() / 60 for n in range(5, 10)]  # type: ignore[union-attr]
    assert minutes == [5, 10, 20, 40, 80]
    assert accounts.lock_duration(60) == accounts.MAX_LOCK


def test_unknown_and_deactivated_accounts_cannot_sign_in(db: Database) -> None:
    with pytest.raises(UserFacingError, match="Không có tài khoản"):
        accounts.sign_in(db, "khong.co.ai", DEMO_PASSWORD, now=NOW)
    with pytest.raises(UserFacingError, match="chọn tên"):
        accounts.sign_in(db, "   ", DEMO_PASSWORD, now=NOW)
    accounts.set_active(db, _actor(db, "admin"), _actor(db, "vanthu").user_id or 0, False)
    with pytest.raises(UserFacingError, match="Không có tài khoản"):
        accounts.sign_in(db, "vanthu", DEMO_PASSWORD, now=NOW)


# --------------------------------------------------------------------------- passwords


def test_change_own_password(db: Database) -> None:
    me = _actor(db, "vanthu")
    with pytest.raises(UserFacingError, match="hiện tại chưa đúng") as caught:
        accounts.change_password(db, me, "khong-dung", "mat-khau-moi-1")
    assert caught.value.field == "current_password"
    with pytest.raises(UserFacingError, match="ít nhất 8"):
        accounts.change_password(db, me, DEMO_PASSWORD, "ngan")
    with pytest.raises(UserFacingError, match="khác mật khẩu hiện tại"):
        accounts.change_password(db, me, DEMO_PASSWORD, DEMO_PASSWORD)
    accounts.change_password(db, me, DEMO_PASSWORD, "hoa-phuong-do")
    with pytest.raises(accounts.SignInFailed):
        accounts.sign_in(db, "vanthu", DEMO_PASSWORD, now=NOW)
    assert accounts.sign_in(db, "vanthu", "hoa-phuong-do", now=NOW).login == "vanthu"


def test_password_equal_to_login_is_refused() -> None:
    with pytest.raises(UserFacingError, match="trùng với tên đăng nhập"):
        accounts.check_new_password("Gv.NguyenVanA", login="gv.nguyenvana")


def test_admin_reset_unlocks_and_forces_a_change(db: Database) -> None:
    login = _teacher_login(db)
    for i in range(accounts.FREE_TRIES):
        with pytest.raises(accounts.SignInFailed):
            accounts.sign_in(db, login, "sai", now=NOW + timedelta(seconds=i))
    admin = _actor(db, "admin")
    target = next(c.user_id for c in accounts.sign_in_choices(db) if c.login == login)
    temporary = accounts.reset_password(db, admin, target)
    assert len(temporary) == 11 and temporary[5] == "-"
    row = _row(db, login)
    assert row.must_change_password and row.failed_logins == 0 and row.locked_until is None
    signed = accounts.sign_in(db, login, temporary, now=NOW + timedelta(seconds=30))
    assert signed.must_change_password
    teacher = accounts.actor_for(db, signed.user_id)
    accounts.change_password(db, teacher, temporary, "mat-khau-rieng")
    assert not _row(db, login).must_change_password
    again = accounts.sign_in(db, login, "mat-khau-rieng", now=NOW + timedelta(minutes=1))
    assert not again.must_change_password


def test_audit_never_holds_a_password_or_hash(db: Database) -> None:
    admin = _actor(db, "admin")
    created = accounts.create_account(
        db, admin, login="gv.moi", full_name="Lê  Thị   Mới", roles=[ROLE_SUBJECT_TEACHER],
        temporary_password="tam-thoi-123",
    )
    accounts.reset_password(db, admin, created.user_id, "dat-lai-456")
    signed = accounts.sign_in(db, "gv.moi", "dat-lai-456", now=NOW)
    accounts.change_password(db, accounts.actor_for(db, signed.user_id), "dat-lai-456", "rieng-cua-toi")
    with pytest.raises(accounts.SignInFailed):
        accounts.sign_in(db, "gv.moi", "doan-thu-1", now=NOW)
    with db.read() as s:
        text = json.dumps([e.detail for e in s.scalars(select(AuditEntry))], ensure_ascii=False)
        hashes = list(s.scalars(select(UserAccount.password_hash)))
        assert verify_chain(s).ok
    for secret in ("tam-thoi-123", "dat-lai-456", "rieng-cua-toi", "doan-thu-1", "$argon2", *hashes):
        assert secret not in text
    actions = [e.action for e in _audit(db, "account.create")]
    assert actions == ["account.create"]


# --------------------------------------------------------------------------- admin


def test_create_account_validates_and_must_change_password(db: Database) -> None:
    admin = _actor(db, "admin")
    info = accounts.create_account(
        db, admin, login=" GV.Tran.B ", full_name="Trần Văn B", roles=["gvcn", "gvbm"],
        temporary_password="tam-thoi-123",
    )
    assert info.login == "gv.tran.b" and info.must_change_password and info.active
    assert info.roles == ("gvcn", "gvbm")
    entry = _audit(db, "account.create")[-1]
    assert entry.actor == "admin"
    assert entry.detail == {"login": "gv.tran.b", "full_name": "Trần Văn B", "roles": ["gvcn", "gvbm"]}
    with pytest.raises(UserFacingError, match="đã có người dùng") as caught:
        accounts.create_account(db, admin, login="gv.tran.b", full_name="X", roles=["gvbm"],
                                temporary_password="tam-thoi-123")
    assert caught.value.field == "login"
    for bad_login in ("ab", "nguyễn", "có dấu cách", "-dau"):
        with pytest.raises(UserFacingError, match="Tên đăng nhập cần") as caught:
            accounts.create_account(db, admin, login=bad_login, full_name="X", roles=["gvbm"],
                                    temporary_password="tam-thoi-123")
    with pytest.raises(UserFacingError, match="ít nhất một vai trò"):
        accounts.create_account(db, admin, login="gv.c", full_name="X", roles=[],
                                temporary_password="tam-thoi-123")
    with pytest.raises(UserFacingError, match="Vai trò không hợp lệ"):
        accounts.create_account(db, admin, login="gv.c", full_name="X", roles=["boss"],
                                temporary_password="tam-thoi-123")
    with pytest.raises(UserFacingError, match="họ và tên"):
        accounts.create_account(db, admin, login="gv.c", full_name="  ", roles=["gvbm"],
                                temporary_password="tam-thoi-123")


def test_update_roles_and_name_audits_old_and_new(db: Database) -> None:
    admin = _actor(db, "admin")
    clerk = _actor(db, "vanthu")
    accounts.update_account(db, admin, clerk.user_id or 0, full_name="Phạm Thị Văn Thư",
                            roles=[ROLE_CLERK, ROLE_SUBJECT_TEACHER])
    entry = _audit(db, "account.update")[-1]
    assert entry.detail["full_name"] == [clerk.full_name, "Phạm Thị Văn Thư"]
    assert entry.detail["roles"] == [["vanthu"], ["gvbm", "vanthu"]]
    assert _actor(db, "vanthu").roles == {"vanthu", "gvbm"}
    count = len(_audit(db, "account.update"))
    accounts.update_account(db, admin, clerk.user_id or 0, roles=["gvbm", "vanthu"])
    assert len(_audit(db, "account.update")) == count, "no change, no entry"


def test_the_last_admin_cannot_be_removed(db: Database) -> None:
    admin = _actor(db, "admin")
    with pytest.raises(UserFacingError, match="chính mình"):
        accounts.set_active(db, admin, admin.user_id or 0, False)
    with pytest.raises(UserFacingError, match="duy nhất"):
        accounts.update_account(db, admin, admin.user_id or 0, roles=[ROLE_CLERK])
    principal = _actor(db, "hieutruong")
    accounts.update_account(db, admin, principal.user_id or 0, roles=["hieutruong", ROLE_ADMIN])
    accounts.update_account(db, admin, admin.user_id or 0, roles=[ROLE_CLERK])
    assert ROLE_ADMIN not in _actor(db, "admin").roles


def test_list_accounts_shows_locks_and_inactive_last(db: Database) -> None:
    admin = _actor(db, "admin")
    login = _teacher_login(db)
    for i in range(accounts.FREE_TRIES):
        with pytest.raises(accounts.SignInFailed):
            accounts.sign_in(db, login, "sai", now=NOW + timedelta(seconds=i))
    accounts.set_active(db, admin, _actor(db, "vanthu").user_id or 0, False)
    listed = accounts.list_accounts(db, admin, now=NOW + timedelta(minutes=1))
    assert listed[-1].login == "vanthu" and not listed[-1].active
    locked = next(a for a in listed if a.login == login)
    assert locked.locked_until is not None and locked.failed_logins == 5
    accounts.unlock(db, admin, locked.user_id)
    assert accounts.sign_in(db, login, DEMO_PASSWORD, now=NOW + timedelta(minutes=1)).login == login


def test_suggested_logins_are_ascii_and_unique() -> None:
    assert accounts.suggest_login("Nguyễn Thị Hoà") == "gv.nguyenthihoa"
    assert accounts.suggest_login("Đặng Văn Đức", taken=["gv.dangvanduc"]) == "gv.dangvanduc2"


# --------------------------------------------------------------------------- roles


def _admin_calls(db: Database) -> dict[str, Callable[[Actor], object]]:
    target = _actor(db, "vanthu").user_id or 0
    return {
        "list_accounts": lambda a: accounts.list_accounts(db, a),
        "create_account": lambda a: accounts.create_account(
            db, a, login="gv.x", full_name="X", roles=["gvbm"], temporary_password="tam-thoi-123"
        ),
        "update_account": lambda a: accounts.update_account(db, a, target, roles=["admin"]),
        "set_active": lambda a: accounts.set_active(db, a, target, False),
        "reset_password": lambda a: accounts.reset_password(db, a, target),
        "unlock": lambda a: accounts.unlock(db, a, target),
    }


@pytest.mark.parametrize("login_kind", ["hieutruong", "phohieutruong", "vanthu", "teacher"])
def test_only_admins_manage_accounts(db: Database, login_kind: str) -> None:
    login = _teacher_login(db) if login_kind == "teacher" else login_kind
    actor = _actor(db, login)
    assert not actor.is_admin
    for name, call in _admin_calls(db).items():
        with pytest.raises(PermissionDenied, match="quản trị"):
            call(actor)
        assert name  # (named for the failure message)
    assert _row(db, "vanthu").active and not _row(db, "vanthu").must_change_password
    with db.read() as s:
        assert s.scalar(select(UserAccount).where(UserAccount.login == "gv.x")) is None


def test_every_role_has_a_vietnamese_name() -> None:
    assert set(accounts.ROLE_NAMES) == set(ALL_ROLES) == set(accounts.ROLE_ORDER)
    assert accounts.role_names(["gvbm", "admin"]) == "Cán bộ quản trị, Giáo viên bộ môn"


def test_password_free_sign_in_only_in_the_demo(db: Database, tmp_path: Path) -> None:
    signed = accounts.sign_in_demo(db, "hieutruong")
    assert signed.login == "hieutruong"
    assert _audit(db, "account.sign_in")[-1].detail == {"demo": True}
    with pytest.raises(UserFacingError, match="không có tài khoản"):
        accounts.sign_in_demo(db, "nobody")
    real = open_database(tmp_path / "real.sqlite3")
    try:
        from app.services.first_run import NewSchool, create_school

        create_school(real, NewSchool(
            name="Trường THCS A", school_code="1", department_code="1", province="Huế",
            issuing_place="Huế", levels=("thcs",), start_year=2026, admin_full_name="Quản Trị",
            admin_login="quantri", admin_password="mat-khau-quan-tri",
        ))
        with pytest.raises(UserFacingError, match="Chỉ trường mẫu"):
            accounts.sign_in_demo(real, "quantri")
    finally:
        real.dispose()
