"""Reading the audit log: filter by class, student, person and date; export to .xlsx.

Only the principal, vice principals and administrators may read it (it shows who changed
whose scores). Entries are matched to a class or student by the `class_id` / `student_id`
the writing services put in `detail` (the convention of the mark book, homeroom and
locking services), or by the entity itself (a student, a class, an enrolment).

What is shown: when (school time), who (login and name), what (a Vietnamese label for
known actions), which class and student, and the change as "field: old → new".
Identification numbers in a detail are masked, on screen and in the export; the export
is itself written to the audit log, since the file leaves the program.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import ColumnElement, String, and_, cast, false, func, or_, select

from app.errors import UserFacingError
from app.models import AuditEntry, Enrolment, SchoolClass, SchoolYear, Student, UserAccount
from app.models.db import Database
from app.rules.identity import mask_national_id
from app.rules.vnsort import name_sort_key
from app.services import audit
from app.services.access import Actor, PermissionDenied
from app.services.backup_thinning import SCHOOL_TZ

DEFAULT_LIMIT = 2000
ID_KEYS = ("class_id", "student_id")
# Detail keys that are bookkeeping for the query, not part of what changed.
HIDDEN_KEYS = frozenset({"class_id", "student_id", "subject_id", "source"})

ACTION_LABELS: Mapping[str, str] = {
    "record.printed": "In bản có xác nhận",
    "score.set": "Nhập/sửa điểm",
    "markbook.lock": "Khoá sổ điểm",
    "markbook.unlock": "Mở khoá sổ điểm",
    "homeroom.conduct": "Rèn luyện",
    "homeroom.absences": "Chuyên cần",
    "homeroom.year_comment": "Nhận xét cả năm",
    "homeroom.reassessment": "Kiểm tra lại",
    "homeroom.award.add": "Thêm khen thưởng",
    "homeroom.award.remove": "Bỏ khen thưởng",
    "account.create": "Tạo tài khoản",
    "account.update": "Sửa tài khoản",
    "account.activate": "Mở lại tài khoản",
    "account.deactivate": "Khoá tài khoản",
    "account.unlock": "Mở khoá đăng nhập",
    "account.password_changed": "Đổi mật khẩu",
    "account.password_reset": "Đặt lại mật khẩu",
    "account.sign_in": "Đăng nhập",
    "account.sign_in_failed": "Đăng nhập sai",
    "student.create": "Thêm học sinh",
    "student.update": "Sửa thông tin học sinh",
    "student.import": "Nhập danh sách học sinh",
    "teacher.import": "Nhập danh sách giáo viên",
    "class.create": "Tạo lớp",
    "class.update": "Sửa lớp",
    "class.delete": "Xoá lớp",
    "class.set_homeroom": "Phân công chủ nhiệm",
    "teaching.assign": "Phân công giảng dạy",
    "teaching.unassign": "Bỏ phân công giảng dạy",
    "school.create": "Tạo trường",
    "school.update": "Sửa thông tin trường",
    "school_year.create": "Tạo năm học",
    "school_year.update": "Sửa năm học",
    "school_year.set_current": "Chọn năm học hiện tại",
    "export.class_list_full_ids": "Xuất danh sách lớp (đủ số định danh)",
    "audit.export": "Xuất nhật ký",
    "demo.create": "Tạo trường mẫu",
}


# Field names as people say them; a name not listed is shown as stored.
FIELD_LABELS: Mapping[str, str] = {
    "national_id": "số định danh",
    "full_name": "họ tên",
    "date_of_birth": "ngày sinh",
    "sex": "giới tính",
    "place_of_birth": "nơi sinh",
    "address": "địa chỉ",
    "level": "mức",
    "comment": "nhận xét",
    "failed_logins": "số lần đăng nhập sai",
    "active": "đang dùng",
    "roles": "vai trò",
    "must_change_password": "phải đổi mật khẩu",
    "semester": "học kì",
}


@dataclass(frozen=True)
class AuditFilter:
    class_id: int | None = None
    student_id: int | None = None
    actor_login: str | None = None
    date_from: date | None = None  # school days (UTC+7), inclusive
    date_to: date | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime  # aware, UTC
    actor_login: str
    actor_name: str
    action: str
    action_label: str
    entity: str
    entity_id: str | None
    class_name: str
    student_name: str
    change: str  # "gk: 7 → 8" and the like; identification numbers masked

    @property
    def local_time(self) -> str:
        return self.at.astimezone(SCHOOL_TZ).strftime("%d/%m/%Y %H:%M:%S")


@dataclass(frozen=True)
class AuditResult:
    rows: tuple[AuditRow, ...]
    total: int  # entries matching the filter (rows holds at most `limit`, newest first)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


@dataclass(frozen=True)
class Choice:
    id: int | str
    label: str


@dataclass(frozen=True)
class AuditChoices:
    classes: tuple[Choice, ...]
    users: tuple[Choice, ...]  # id = login


@dataclass(frozen=True)
class AuditExport:
    path: Path
    rows: int


def require_audit_reader(actor: Actor) -> None:
    if not (actor.is_leader or actor.is_admin):
        raise PermissionDenied(
            "Chỉ hiệu trưởng, phó hiệu trưởng hoặc cán bộ quản trị mới xem được nhật ký thay đổi."
        )


# --------------------------------------------------------------------------- choices for the filters


def audit_choices(db: Database, actor: Actor) -> AuditChoices:
    require_audit_reader(actor)
    with db.read() as s:
        classes = s.execute(
            select(SchoolClass.id, SchoolClass.name, SchoolYear.name)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .order_by(SchoolYear.name.desc(), SchoolClass.name)
        ).all()
        users = s.execute(select(UserAccount.login, UserAccount.full_name)).all()
        actors_seen = set(s.scalars(select(AuditEntry.actor).distinct()))
    class_choices = tuple(Choice(cid, f"{name} ({year})") for cid, name, year in classes)
    known = {login: name for login, name in users}
    logins = sorted(set(known) | actors_seen, key=lambda login: name_sort_key(known.get(login, login)))
    user_choices = tuple(Choice(login, f"{known.get(login, login)} ({login})") for login in logins)
    return AuditChoices(class_choices, user_choices)


def students_of_class(db: Database, actor: Actor, class_id: int) -> tuple[Choice, ...]:
    require_audit_reader(actor)
    with db.read() as s:
        rows = s.execute(
            select(Student.id, Student.full_name)
            .join(Enrolment, Enrolment.student_id == Student.id)
            .where(Enrolment.class_id == class_id)
        ).all()
    ordered = sorted(rows, key=lambda r: name_sort_key(r[1]))
    return tuple(Choice(sid, name) for sid, name in ordered)


# --------------------------------------------------------------------------- the query


def _detail_int(key: str) -> ColumnElement[Any]:
    return cast(func.json_extract(AuditEntry.detail, f"$.{key}"), String)


def _conditions(flt: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if flt.class_id is not None:
        cid = str(flt.class_id)
        enrolments = select(cast(Enrolment.id, String)).where(Enrolment.class_id == flt.class_id)
        conditions.append(
            or_(
                _detail_int("class_id") == cid,
                and_(AuditEntry.entity == "school_class", AuditEntry.entity_id == cid),
                and_(AuditEntry.entity == "enrolment", AuditEntry.entity_id.in_(enrolments)),
            )
        )
    if flt.student_id is not None:
        sid = str(flt.student_id)
        enrolments = select(cast(Enrolment.id, String)).where(Enrolment.student_id == flt.student_id)
        conditions.append(
            or_(
                _detail_int("student_id") == sid,
                and_(AuditEntry.entity == "student", AuditEntry.entity_id == sid),
                and_(AuditEntry.entity == "enrolment", AuditEntry.entity_id.in_(enrolments)),
            )
        )
    if flt.actor_login:
        conditions.append(AuditEntry.actor == flt.actor_login)
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        conditions.append(false())
    if flt.date_from:
        conditions.append(AuditEntry.at >= _utc_naive(flt.date_from))
    if flt.date_to:
        conditions.append(AuditEntry.at < _utc_naive(flt.date_to + timedelta(days=1)))
    return conditions


def _utc_naive(day: date) -> datetime:
    """Midnight of a school day, as the naive UTC the log stores."""
    return datetime.combine(day, time(0), SCHOOL_TZ).astimezone(UTC).replace(tzinfo=None)


def query_audit(db: Database, actor: Actor, flt: AuditFilter = AuditFilter()) -> AuditResult:
    require_audit_reader(actor)
    conditions = _conditions(flt)
    with db.read() as s:
        total = int(s.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0)
        entries = list(
            s.scalars(select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc()).limit(flt.limit))
        )
        names = _names(s, entries)
        rows = tuple(_row(e, names) for e in entries)
    return AuditResult(rows, total)


@dataclass(frozen=True)
class _Names:
    users: Mapping[str, str]
    classes: Mapping[int, str]
    students: Mapping[int, str]
    enrolments: Mapping[int, tuple[int, int]]  # enrolment id → (student id, class id)


def _ids(entries: Iterable[AuditEntry], key: str, entity: str) -> set[int]:
    found: set[int] = set()
    for e in entries:
        value = e.detail.get(key) if isinstance(e.detail, dict) else None
        if isinstance(value, int):
            found.add(value)
        if e.entity == entity and e.entity_id and e.entity_id.isdigit():
            found.add(int(e.entity_id))
    return found


def _names(s: Any, entries: list[AuditEntry]) -> _Names:
    enrolment_ids = {
        int(e.entity_id or 0) for e in entries if e.entity == "enrolment" and (e.entity_id or "").isdigit()
    }
    enrolments = {
        eid: (sid, cid)
        for eid, sid, cid in s.execute(
            select(Enrolment.id, Enrolment.student_id, Enrolment.class_id).where(
                Enrolment.id.in_(enrolment_ids)
            )
        )
    }
    class_ids = _ids(entries, "class_id", "school_class") | {c for _, c in enrolments.values()}
    student_ids = _ids(entries, "student_id", "student") | {st for st, _ in enrolments.values()}
    classes = dict(
        s.execute(select(SchoolClass.id, SchoolClass.name).where(SchoolClass.id.in_(class_ids))).all()
    )
    students = dict(s.execute(select(Student.id, Student.full_name).where(Student.id.in_(student_ids))).all())
    logins = {e.actor for e in entries}
    users = dict(
        s.execute(select(UserAccount.login, UserAccount.full_name).where(UserAccount.login.in_(logins))).all()
    )
    return _Names(users, classes, students, enrolments)


def _row(e: AuditEntry, names: _Names) -> AuditRow:
    detail = e.detail if isinstance(e.detail, dict) else {}
    class_id = detail.get("class_id")
    student_id = detail.get("student_id")
    if e.entity == "enrolment" and (e.entity_id or "").isdigit():
        student_id, class_id = names.enrolments.get(int(e.entity_id or 0), (student_id, class_id))
    if e.entity == "student" and (e.entity_id or "").isdigit():
        student_id = int(e.entity_id or 0)
    if e.entity == "school_class" and (e.entity_id or "").isdigit():
        class_id = int(e.entity_id or 0)
    at = e.at.replace(tzinfo=UTC) if e.at.tzinfo is None else e.at
    system = e.actor == "system"
    return AuditRow(
        id=e.id,
        at=at,
        actor_login=e.actor,
        actor_name="Hệ thống" if system else names.users.get(e.actor, e.actor),
        action=e.action,
        action_label=ACTION_LABELS.get(e.action, e.action),
        entity=e.entity,
        entity_id=e.entity_id,
        class_name=names.classes.get(class_id, "") if isinstance(class_id, int) else "",
        student_name=names.students.get(student_id, "") if isinstance(student_id, int) else "",
        change=describe_change(detail),
    )


def _value_text(key: str, value: object) -> str:
    if value is None or value == "":
        return "(trống)"
    if isinstance(value, list):
        return ", ".join(_value_text(key, v) for v in value) or "(trống)"
    text = str(value)
    if "national_id" in key or "cccd" in key or (len(text) == 12 and text.isdigit()):
        return mask_national_id(text)
    return text


def describe_change(detail: Mapping[str, object]) -> str:
    """A detail as people read it: "gk: 7 → 8; ghi chú: …" (identification numbers masked)."""
    parts: list[str] = []
    if "old" in detail or "new" in detail:
        key = str(detail.get("column") or detail.get("field") or "giá trị")
        label = FIELD_LABELS.get(key, key)
        old, new = _value_text(key, detail.get("old")), _value_text(key, detail.get("new"))
        parts.append(f"{label}: {old} → {new}")
    for key, value in detail.items():
        if key in HIDDEN_KEYS or key in ("old", "new", "column", "field"):
            continue
        label = FIELD_LABELS.get(key, key)
        if isinstance(value, list) and len(value) == 2 and not isinstance(value[0], list | dict):
            parts.append(f"{label}: {_value_text(key, value[0])} → {_value_text(key, value[1])}")
        elif isinstance(value, dict):
            inner = describe_change(value)
            if inner:
                parts.append(f"{label}: {inner}")
        else:
            parts.append(f"{label}: {_value_text(key, value)}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- export


HEADERS = ("Thời gian", "Người thực hiện", "Tài khoản", "Việc", "Lớp", "Học sinh", "Nội dung thay đổi")
WIDTHS = (20, 26, 18, 26, 10, 26, 70)


def export_audit_xlsx(
    db: Database,
    actor: Actor,
    flt: AuditFilter,
    out: Path,
) -> AuditExport:
    """Write the entries matching `flt` (all of them, not only a screenful) to `out` (.xlsx)."""
    require_audit_reader(actor)
    if out.suffix.lower() != ".xlsx":
        raise UserFacingError("Tệp xuất phải có đuôi .xlsx.", field="path")
    result = query_audit(db, actor, AuditFilter(**{**flt.__dict__, "limit": 10**9}))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Nhật ký"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in result.rows:
        sheet.append(
            [
                row.local_time,
                row.actor_name,
                row.actor_login,
                row.action_label,
                row.class_name,
                row.student_name,
                row.change,
            ]
        )
    for i, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    try:
        book.save(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserFacingError(
            f"Không ghi được tệp “{out}” ({exc.strerror}). Nếu tệp đang mở trong Excel, hãy đóng lại "
            "rồi thử lại."
        ) from exc
    with db.write() as s:
        audit.append(
            s,
            actor=actor.login,
            action="audit.export",
            entity="audit_log",
            detail={
                "file": out.name,
                "rows": len(result.rows),
                "filter": {
                    k: (str(v) if v is not None else None) for k, v in flt.__dict__.items() if k != "limit"
                },
            },
        )
    return AuditExport(out, len(result.rows))
