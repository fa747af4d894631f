"""Teacher import: accounts, assignments and homeroom classes from a real .xlsx, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models import AuditEntry, SchoolClass, Subject, TeachingAssignment, UserAccount
from app.models.db import Database
from app.services.access import SYSTEM, PermissionDenied
from app.services.accounts import sign_in
from app.services.excel_teachers import import_teachers_file, preview_teachers
from tests.fixtures.demo_school import copy_of, homeroom_actor, make_template
from tests.fixtures.excel_files import write_rows

HEADER = ["STT", "Họ và tên giáo viên", "Tên đăng nhập", "Môn dạy", "Lớp dạy", "Chủ nhiệm lớp", "Chức vụ"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("teachers") / "template.sqlite3")


@pytest.fixture
def school(template: Path, tmp_path: Path) -> Iterator[Database]:
    db = copy_of(template, tmp_path / "school.sqlite3")
    # Free two pairs for the new teachers: nobody teaches Tin học in 6A1 and 7A1 any more,
    # and 7A1 has no homeroom teacher.
    with db.write() as s:
        for assignment in s.scalars(select(TeachingAssignment).join(Subject).where(Subject.code == "tinhoc")):
            s.delete(assignment)
        s.execute(
            SchoolClass.__table__.update().where(SchoolClass.name == "7A1").values(homeroom_teacher_id=None)
        )
    yield db
    db.dispose()


def accounts_count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(UserAccount)) or 0


def test_teachers_get_accounts_assignments_and_homeroom(school: Database, tmp_path: Path) -> None:
    rows = [
        ["DANH SÁCH GIÁO VIÊN"],
        HEADER,
        [1, "Đinh Thị Hoà", None, "Tin học", "6A1, 7A1", "7A1", "Giáo viên"],
        [2, "NGUYỄN VĂN TOÀN", "gv.toan2", "tin hoc", None, None, None],
    ]
    path = write_rows(tmp_path / "gv.xlsx", rows)
    slips = tmp_path / "tai_khoan.xlsx"

    report = import_teachers_file(school, SYSTEM, path, accounts_out=slips)

    assert report.errors == ()
    assert (report.rows, report.imported) == (2, 2)
    first, second = report.accounts
    assert first.login == "gv.dinhthihoa" and second.login == "gv.toan2"
    assert second.full_name == "Nguyễn Văn Toàn"
    with school.read() as s:
        user = s.scalars(select(UserAccount).where(UserAccount.login == "gv.dinhthihoa")).one()
        assert user.must_change_password and user.role_codes == {"gvbm", "gvcn"}
        taught = set(
            s.execute(
                select(SchoolClass.name, Subject.code)
                .join(TeachingAssignment, TeachingAssignment.class_id == SchoolClass.id)
                .join(Subject, Subject.id == TeachingAssignment.subject_id)
                .where(TeachingAssignment.teacher_id == user.id)
            ).all()
        )
        assert taught == {("6A1", "tinhoc"), ("7A1", "tinhoc")}
        assert s.scalar(select(SchoolClass.homeroom_teacher_id).where(SchoolClass.name == "7A1")) == user.id
        details = " ".join(str(e.detail) for e in s.scalars(select(AuditEntry)))
        assert first.temporary_password not in details  # never a password in the audit log
    # The printed slip has the temporary passwords, and they work once.
    ws = load_workbook(slips).active
    assert ws is not None
    slip_rows = [r for r in ws.iter_rows(values_only=True) if r and r[0] in (1, 2)]
    assert [(r[2], r[3]) for r in slip_rows] == [(a.login, a.temporary_password) for a in report.accounts]
    assert sign_in(school, first.login, first.temporary_password).must_change_password
    assert "temporary_password" not in str(report.to_json_dict())


def test_teacher_rows_with_problems_create_nothing(school: Database, tmp_path: Path) -> None:
    with school.read() as s:
        existing = s.scalars(select(UserAccount).where(UserAccount.login.like("gv.%"))).first()
        assert existing is not None
        existing_name, existing_login = existing.full_name, existing.login
    rows = [
        HEADER,
        [1, "Phan Văn Mới", None, "Thiên văn", "6A1", None, None],  # 2: unknown subject
        [2, "Trịnh Thị Lớp", None, "Tin học", "9Z9", None, None],  # 3: unknown class
        [3, "Lâm Văn Trùng", existing_login, None, None, None, None],  # 4: login taken
        [4, existing_name, None, None, None, None, None],  # 5: the same person again?
        [5, "Cao Văn Toán", None, "Toán", "6A1", None, None],  # 6: already taught by someone
        [6, "Mạc Văn Quản", None, None, None, None, "Quản trị"],  # 7: no admins from a file
        [7, "Tô Thị Chủ", None, None, None, "6A1", None],  # 8: 6A1 has a homeroom teacher
        [8, "Hà Văn Đúp", "gv.dup", None, None, None, None],
        [9, "Hà Văn Đúp Hai", "GV.DUP", None, None, None, None],  # 10: same login as row 9
        [10, None, "gv.khongten", None, None, None, None],  # 11: no name
    ]
    before = accounts_count(school)

    report = import_teachers_file(school, SYSTEM, write_rows(tmp_path / "bad.xlsx", rows), accounts_out=None)

    assert report.imported == 0 and accounts_count(school) == before
    assert {(e.row, e.field) for e in report.errors} == {
        (2, "subjects"),
        (3, "classes"),
        (4, "login"),
        (5, "full_name"),
        (6, "classes"),
        (7, "roles"),
        (8, "homeroom_class"),
        (10, "login"),
        (11, "full_name"),
    }


def test_only_the_admin_imports_teachers(school: Database, tmp_path: Path) -> None:
    path = write_rows(tmp_path / "gv.xlsx", [HEADER, [1, "Đinh Thị Hoà", None, None, None, None, None]])
    with pytest.raises(PermissionDenied):
        preview_teachers(school, homeroom_actor(school, "6A1"), path)
    report = import_teachers_file(school, SYSTEM, path, dry_run=True)
    assert report.dry_run and report.errors == () and report.imported == 0 and report.accounts == ()
