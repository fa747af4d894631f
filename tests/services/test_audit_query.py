"""The audit log as the principal reads it: filters, readable changes, masking, export, roles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.models import AuditEntry, Enrolment, SchoolClass, Student, UserAccount
from app.models.db import Database, open_database
from app.services import audit
from app.services.access import SYSTEM, Actor, PermissionDenied, load_actor
from app.services.audit_query import (
    AuditFilter,
    audit_choices,
    describe_change,
    export_audit_xlsx,
    query_audit,
    students_of_class,
)
from app.services.backup_thinning import SCHOOL_TZ
from tests.services.data_safety_helpers import make_demo


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, dict[str, int]]]:
    """A demo school with a few logged changes of the kinds the services write."""
    path = make_demo(tmp_path_factory.mktemp("audit") / "hocba.sqlite3", classes=2, students=6)
    db = open_database(path)
    with db.write() as s:
        classes = list(s.scalars(select(SchoolClass).order_by(SchoolClass.id)))
        first, second = classes[0], classes[1]
        e1 = s.scalars(select(Enrolment).where(Enrolment.class_id == first.id).order_by(Enrolment.id)).first()
        e2 = s.scalars(
            select(Enrolment).where(Enrolment.class_id == second.id).order_by(Enrolment.id)
        ).first()
        assert e1 and e2
        teacher = s.scalars(select(UserAccount.login).where(UserAccount.login.like("gv.%"))).first()
        assert teacher
        audit.append(
            s,
            actor=teacher,
            action="score.set",
            entity="secondary_assessment",
            entity_id="1:2:1",
            detail={
                "class_id": first.id,
                "student_id": e1.student_id,
                "subject_id": 2,
                "column": "gk",
                "old": "7",
                "new": "8.5",
                "source": "typed",
            },
        )
        audit.append(
            s,
            actor="hieutruong",
            action="homeroom.conduct",
            entity="enrolment",
            entity_id=e2.id,
            detail={"level": ["Khá", "Tốt"]},
        )
        audit.append(
            s,
            actor="admin",
            action="student.update",
            entity="student",
            entity_id=e1.student_id,
            detail={"national_id": ["001203004567", "001203004568"]},
        )
        audit.append(
            s,
            actor="admin",
            action="markbook.lock",
            entity="teaching_assignment",
            entity_id=5,
            detail={"class_id": second.id, "semester": 1},
        )
        ids = {"first": first.id, "second": second.id, "student": e1.student_id, "student2": e2.student_id}
        uid = {
            login: s.scalar(select(UserAccount.id).where(UserAccount.login == login))
            for login in ("admin", "hieutruong", "phohieutruong", "vanthu", teacher)
        }
    ids.update({f"user:{k}": v for k, v in uid.items() if v is not None})
    ids["user:teacher"] = uid[teacher] or 0
    yield db, ids
    db.dispose()


def _actor(db: Database, user_id: int) -> Actor:
    with db.read() as s:
        return load_actor(s, user_id)


def test_unfiltered_newest_first_with_readable_changes(logged: tuple[Database, dict[str, int]]) -> None:
    db, ids = logged
    result = query_audit(db, _actor(db, ids["user:hieutruong"]))
    assert result.total == 5 and not result.truncated
    actions = [r.action for r in result.rows]
    assert actions == ["markbook.lock", "student.update", "homeroom.conduct", "score.set", "demo.create"]
    score = result.rows[3]
    assert score.change == "gk: 7 → 8.5" and score.action_label == "Nhập/sửa điểm"
    assert score.class_name and score.student_name
    conduct = result.rows[2]
    assert conduct.change == "mức: Khá → Tốt" and conduct.class_name and conduct.student_name
    identity = result.rows[1]
    assert "001203004567" not in identity.change and identity.change.endswith("••••••••4568")
    assert result.rows[-1].actor_name == "Hệ thống"


def test_filters_by_class_student_user_and_date(logged: tuple[Database, dict[str, int]]) -> None:
    db, ids = logged
    principal = _actor(db, ids["user:hieutruong"])
    by_class = query_audit(db, principal, AuditFilter(class_id=ids["second"]))
    assert {r.action for r in by_class.rows} == {"homeroom.conduct", "markbook.lock"}
    by_student = query_audit(db, principal, AuditFilter(student_id=ids["student"]))
    assert {r.action for r in by_student.rows} == {"score.set", "student.update"}
    by_user = query_audit(db, principal, AuditFilter(actor_login="admin"))
    assert {r.action for r in by_user.rows} == {"student.update", "markbook.lock"}
    today = datetime.now(SCHOOL_TZ).date()
    assert query_audit(db, principal, AuditFilter(date_from=today, date_to=today)).total == 5
    assert query_audit(db, principal, AuditFilter(date_to=today - timedelta(days=1))).total == 0
    assert query_audit(db, principal, AuditFilter(date_from=today + timedelta(days=1))).total == 0
    assert (
        query_audit(db, principal, AuditFilter(date_from=date(2030, 1, 2), date_to=date(2030, 1, 1))).total
        == 0
    )
    limited = query_audit(db, principal, AuditFilter(limit=2))
    assert len(limited.rows) == 2 and limited.truncated


def test_choices_for_the_filters(logged: tuple[Database, dict[str, int]]) -> None:
    db, ids = logged
    admin = _actor(db, ids["user:admin"])
    choices = audit_choices(db, admin)
    assert len(choices.classes) == 2
    logins = [c.id for c in choices.users]
    assert "system" in logins and "admin" in logins
    students = students_of_class(db, admin, ids["first"])
    assert len(students) == 6 and ids["student"] in [c.id for c in students]


def test_export_writes_the_filtered_rows_masked_and_is_itself_logged(
    logged: tuple[Database, dict[str, int]], tmp_path: Path
) -> None:
    db, ids = logged
    admin = _actor(db, ids["user:admin"])
    out = tmp_path / "nhat-ky.xlsx"
    exported = export_audit_xlsx(db, admin, AuditFilter(student_id=ids["student"]), out)
    assert exported.rows == 2
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Thời gian" and len(rows) == 3
    flat = " ".join(str(v) for row in rows for v in row)
    assert "001203004567" not in flat and "001203004568" not in flat
    with db.read() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last is not None and last.action == "audit.export" and last.actor == "admin"
        assert audit.verify_chain(s).ok
    with pytest.raises(Exception, match=r"\.xlsx"):
        export_audit_xlsx(db, admin, AuditFilter(), tmp_path / "x.csv")


def test_only_leaders_and_admins_read_the_log(
    logged: tuple[Database, dict[str, int]], tmp_path: Path
) -> None:
    db, ids = logged
    teacher = _actor(db, ids["user:teacher"])
    clerk = _actor(db, ids["user:vanthu"])
    for who in (teacher, clerk):
        with pytest.raises(PermissionDenied, match="nhật ký"):
            query_audit(db, who)
        with pytest.raises(PermissionDenied):
            audit_choices(db, who)
        with pytest.raises(PermissionDenied):
            students_of_class(db, who, ids["first"])
        with pytest.raises(PermissionDenied):
            export_audit_xlsx(db, who, AuditFilter(), tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    for login in ("hieutruong", "phohieutruong", "admin"):
        assert query_audit(db, _actor(db, ids[f"user:{login}"])).total >= 5
    assert query_audit(db, SYSTEM).total >= 5


def test_describe_change_shapes() -> None:
    assert describe_change({"failed_logins": [3, 0]}) == "số lần đăng nhập sai: 3 → 0"
    assert describe_change({"column": "tx1", "old": None, "new": "9"}) == "tx1: (trống) → 9"
    assert describe_change({"class_id": 1, "student_id": 2}) == ""
    assert describe_change({"national_id": "079306001234"}) == "số định danh: ••••••••1234"
    assert Student  # the model the student filter joins through
