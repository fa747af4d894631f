"""Exporting a class list and a mark book to .xlsx.

Each file carries only what its use needs (data minimisation; the files leave the
program and get e-mailed and printed):

- **Class list** (for printing, attendance, checking names with the class): number,
  name, date of birth, sex, ethnicity, place of birth, student code, class, and the
  identification number **masked** (••••••••4567) — enough to tell two students apart
  and to check a number against a paper, not enough to misuse. Parents' names and
  addresses are left out. The **full** numbers are written only when an admin asks for
  them (`full_ids=True`, for handing data to another system); that export is recorded in
  the audit log. With full numbers the file can be imported again as it is.
- **Mark book** of a class × subject × semester: names and the scores exactly as stored
  (numbers as numbers so Excel can sum them, Đ/CĐ as text), the semester average
  computed by the rules when the semester is complete, and the subject comment. No
  identification numbers, no dates of birth.

Files are written to a temporary name next to the target and renamed into place, so a
failed export never leaves a half-written file under the name the user chose.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Protocol

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, UserFacingError
from app.models import (
    Enrolment,
    School,
    SchoolClass,
    SchoolYear,
    SecondaryAssessment,
    Student,
    Subject,
    TeachingAssignment,
    UserAccount,
)
from app.models.db import Database
from app.rules import tt22
from app.rules.errors import RuleInputError
from app.rules.identity import mask_national_id
from app.rules.vnsort import name_sort_key
from app.services import audit
from app.services.access import Actor, require_admin, require_view_class
from app.services.excel_values import class_key

__all__ = [
    "CLASS_LIST_HEADERS",
    "ExportResult",
    "export_class_list",
    "export_mark_book",
    "export_new_accounts",
    "find_class",
    "find_subject",
]

CLASS_LIST_HEADERS = (
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Dân tộc",
    "Nơi sinh",
    "Mã học sinh",
    "Số định danh",
    "Lớp",
)
_SEX = {0: "", 1: "Nam", 2: "Nữ"}
_SEMESTER = {1: "HỌC KỲ I", 2: "HỌC KỲ II"}
_DATE_FORMAT = "dd/mm/yyyy"
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


class NewAccountLike(Protocol):
    @property
    def login(self) -> str: ...
    @property
    def full_name(self) -> str: ...
    @property
    def temporary_password(self) -> str: ...


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int  # students written


# --------------------------------------------------------------------------- lookups


def find_class(db: Database, name: str) -> int:
    """The id of the class called `name` ("6A1", "lớp 6a1") in the current school year."""
    with db.read() as s:
        year = _current_year(s)
        for klass in s.scalars(select(SchoolClass).where(SchoolClass.school_year_id == year.id)):
            if class_key(klass.name) == class_key(name):
                return klass.id
        raise NotFound(
            f"Năm học {year.name} không có lớp “{name}”. Hãy kiểm tra lại tên lớp.", field="class_name"
        )


def find_subject(db: Database, class_id: int, code_or_name: str) -> int:
    """The id of the subject of this class's grade named by code ("toan") or name ("Toán")."""
    wanted = class_key(code_or_name)
    with db.read() as s:
        klass = _class(s, class_id)
        for subject in s.scalars(
            select(Subject).where(
                Subject.school_year_id == klass.school_year_id, Subject.grade_id == klass.grade_id
            )
        ):
            if wanted in (class_key(subject.code), class_key(subject.name)):
                return subject.id
        raise NotFound(
            f"Lớp {klass.name} không học môn “{code_or_name}”. Hãy kiểm tra lại tên môn.", field="subject"
        )


def _current_year(s: Session) -> SchoolYear:
    year = s.scalar(
        select(SchoolYear).order_by(SchoolYear.is_current.desc(), SchoolYear.start_date.desc()).limit(1)
    )
    if year is None:
        raise UserFacingError("Trường chưa có năm học nào.")
    return year


def _class(s: Session, class_id: int) -> SchoolClass:
    klass = s.get(SchoolClass, class_id)
    if klass is None:
        raise NotFound("Không tìm thấy lớp này; có thể lớp vừa bị xoá. Hãy tải lại danh sách lớp.")
    return klass


def _students(s: Session, class_id: int) -> list[tuple[Enrolment, Student]]:
    rows = s.execute(
        select(Enrolment, Student)
        .join(Student, Student.id == Enrolment.student_id)
        .where(Enrolment.class_id == class_id, Enrolment.end_date.is_(None))
    ).all()
    return sorted(((e, st) for e, st in rows), key=lambda pair: name_sort_key(pair[1].full_name))


# --------------------------------------------------------------------------- class list


def export_class_list(
    db: Database, actor: Actor, class_id: int, out: Path, *, full_ids: bool = False
) -> ExportResult:
    """Write the class list of `class_id` to `out` (.xlsx); see the module docstring."""
    require_view_class(actor, class_id)
    if full_ids:
        require_admin(actor)
    with db.read() as s:
        klass = _class(s, class_id)
        year = s.get(SchoolYear, klass.school_year_id)
        school = s.scalar(select(School).order_by(School.id).limit(1))
        students = _students(s, class_id)
        title_lines = [
            (school.name.upper() if school else ""),
            f"DANH SÁCH HỌC SINH LỚP {klass.name}",
            f"Năm học {year.name if year else ''}",
        ]
        data: list[list[object]] = [
            [
                number,
                st.full_name,
                st.date_of_birth,
                _SEX.get(st.sex, ""),
                st.ethnicity,
                st.place_of_birth,
                st.student_code,
                (st.national_id or "") if full_ids else mask_national_id(st.national_id),
                klass.name,
            ]
            for number, (_, st) in enumerate(students, start=1)
        ]
        class_name = klass.name
    wb, ws = _sheet("Danh sách lớp", title_lines, CLASS_LIST_HEADERS)
    for row in data:
        ws.append(row)
    first = len(title_lines) + 2
    _format_body(ws, first, len(data), len(CLASS_LIST_HEADERS))
    for r in range(first, first + len(data)):
        ws.cell(r, 3).number_format = _DATE_FORMAT
        ws.cell(r, 7).number_format = "@"  # codes and numbers stay text: leading zeros survive
        ws.cell(r, 8).number_format = "@"
    _widths(ws, (6, 30, 13, 10, 12, 22, 16, 16, 8))
    ws.cell(first + len(data) + 1, 2, f"Tổng cộng: {len(data)} học sinh")
    if full_ids:
        with db.write() as s:
            audit.append(
                s,
                actor=actor.login,
                action="export.class_list_full_ids",
                entity="school_class",
                entity_id=class_id,
                detail={"class": class_name, "students": len(data), "file": Path(out).name},
            )
    _save(wb, Path(out))
    return ExportResult(Path(out), len(data))


# --------------------------------------------------------------------------- mark book


def export_mark_book(
    db: Database, actor: Actor, class_id: int, subject_id: int, semester: int, out: Path
) -> ExportResult:
    """Write the mark book of a class × subject × semester (Thông tư 22) to `out`."""
    if semester not in (1, 2):
        raise UserFacingError("Học kỳ phải là 1 hoặc 2.", field="semester")
    require_view_class(actor, class_id)
    with db.read() as s:
        klass = _class(s, class_id)
        subject = s.get(Subject, subject_id)
        if (
            subject is None
            or subject.grade_id != klass.grade_id
            or subject.school_year_id != klass.school_year_id
        ):
            raise NotFound("Lớp này không học môn đã chọn. Hãy chọn lại môn.", field="subject")
        if subject.assessment == "level":
            raise UserFacingError(
                "Môn này đánh giá theo mức (tiểu học, Thông tư 27), không có sổ điểm theo học kỳ để xuất.",
                field="subject",
            )
        year = s.get(SchoolYear, klass.school_year_id)
        teacher = s.scalar(
            select(UserAccount.full_name)
            .join(TeachingAssignment, TeachingAssignment.teacher_id == UserAccount.id)
            .where(TeachingAssignment.class_id == class_id, TeachingAssignment.subject_id == subject_id)
        )
        students = _students(s, class_id)
        marks = {
            a.enrolment_id: a
            for a in s.scalars(
                select(SecondaryAssessment).where(
                    SecondaryAssessment.enrolment_id.in_([e.id for e, _ in students]),
                    SecondaryAssessment.subject_id == subject_id,
                    SecondaryAssessment.semester == semester,
                )
            )
        }
        scored = subject.assessment == "score"
        tx_count = max(
            [tt22.required_tx_count(subject.lessons_per_year)] + [len(a.tx or []) for a in marks.values()]
        )
        headers = [
            "STT",
            "Họ và tên",
            *(f"ĐĐGtx {i}" for i in range(1, tx_count + 1)),
            "ĐĐGgk",
            "ĐĐGck",
            "ĐTBmhk" if scored else "Kết quả học kỳ",
            "Nhận xét",
        ]
        title_lines = [
            f"SỔ ĐIỂM MÔN {subject.name.upper()} — LỚP {klass.name} — {_SEMESTER[semester]}",
            f"Năm học {year.name if year else ''}"
            + (f" · Giáo viên bộ môn: {teacher}" if teacher else "")
            + f" · {subject.lessons_per_year} tiết/năm",
        ]
        data: list[list[object]] = []
        for number, (enrolment, st) in enumerate(students, start=1):
            mark = marks.get(enrolment.id)
            tx = list(mark.tx or []) if mark else []
            gk, ck = (mark.gk, mark.ck) if mark else (None, None)
            data.append(
                [
                    number,
                    st.full_name,
                    *(_score_cell(tx[i]) if i < len(tx) else None for i in range(tx_count)),
                    _score_cell(gk),
                    _score_cell(ck),
                    _semester_result(tx, gk, ck, subject.lessons_per_year, scored),
                    mark.comment if mark else None,
                ]
            )
    wb, ws = _sheet("Sổ điểm", title_lines, headers)
    for row in data:
        ws.append(row)
    first = len(title_lines) + 2
    _format_body(ws, first, len(data), len(headers))
    for r in range(first, first + len(data)):
        for c in range(3, len(headers)):
            cell = ws.cell(r, c)
            cell.alignment = Alignment(horizontal="center")
            if isinstance(cell.value, float):
                cell.number_format = "0.0"  # "8.0" stays "8.0", as stored and as averages are written
        ws.cell(r, len(headers)).alignment = Alignment(wrap_text=True, vertical="top")
    _widths(ws, (6, 30, *([9] * (len(headers) - 3)), 40))
    _save(wb, Path(out))
    return ExportResult(Path(out), len(data))


def _score_cell(value: str | None) -> object:
    """A stored score as Excel should hold it: a number when it is one, else the text."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value  # Đ / CĐ
    # One-decimal scores are exact enough as floats for Excel to show them as stored.
    return int(number) if number == number.to_integral_value() and "." not in value else float(number)


def _semester_result(tx: list[str], gk: str | None, ck: str | None, lessons: int, scored: bool) -> object:
    try:
        if scored:
            average = tt22.semester_average(
                tt22.ScoredSemester(
                    tx=tuple(Decimal(v) for v in tx),
                    gk=Decimal(gk) if gk is not None else None,
                    ck=Decimal(ck) if ck is not None else None,
                ),
                lessons,
            )
            return float(average)
        passed = tt22.comment_semester_result(
            tt22.CommentSemester(tx=tuple(v == "Đ" for v in tx), gk=_passed(gk), ck=_passed(ck)), lessons
        )
        return "Đ" if passed else "CĐ"
    except (RuleInputError, InvalidOperation):
        return None  # not complete yet: the cell stays empty rather than guessing


def _passed(value: str | None) -> bool | None:
    return None if value is None else value == "Đ"


# --------------------------------------------------------------------------- new accounts


def export_new_accounts(accounts: Iterable[NewAccountLike], out: Path) -> ExportResult:
    """The slips for new accounts: login and temporary password, to print and hand out.

    The only file the program writes with passwords in it; its title says to print it and
    delete it. Each password works once: the person must choose their own at first sign-in.
    """
    rows = list(accounts)
    wb, ws = _sheet(
        "Tài khoản mới",
        [
            "TÀI KHOẢN MỚI — MẬT KHẨU TẠM",
            "In ra, trao tận tay từng người rồi xoá tệp này. Lần đăng nhập đầu tiên, mỗi người phải "
            "đổi mật khẩu.",
        ],
        ("STT", "Họ và tên", "Tên đăng nhập", "Mật khẩu tạm"),
    )
    for number, account in enumerate(rows, start=1):
        ws.append([number, account.full_name, account.login, account.temporary_password])
    first = 4
    _format_body(ws, first, len(rows), 4)
    for r in range(first, first + len(rows)):
        ws.cell(r, 4).font = Font(name="Consolas", size=12)
    _widths(ws, (6, 30, 26, 20))
    _save(wb, Path(out))
    return ExportResult(Path(out), len(rows))


# --------------------------------------------------------------------------- workbook helpers


def _sheet(
    title: str, title_lines: list[str], headers: tuple[str, ...] | list[str]
) -> tuple[Workbook, Worksheet]:
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = title
    for i, line in enumerate(title_lines, start=1):
        cell = ws.cell(i, 1, line)
        cell.font = Font(bold=i <= 2, size=13 if i == 2 else 11)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(headers))
        cell.alignment = Alignment(horizontal="center")
    ws.append([])
    ws.append(list(headers))
    header_row = len(title_lines) + 1
    for c in range(1, len(headers) + 1):
        cell = ws.cell(header_row, c)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.freeze_panes = ws.cell(header_row + 1, 3)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return wb, ws


def _format_body(ws: Worksheet, first: int, rows: int, columns: int) -> None:
    for r in range(first, first + rows):
        for c in range(1, columns + 1):
            ws.cell(r, c).border = _BORDER


def _widths(ws: Worksheet, widths: tuple[int, ...]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _save(wb: Workbook, out: Path) -> None:
    if out.suffix.lower() != ".xlsx":
        raise UserFacingError("Tên tệp xuất ra phải có đuôi .xlsx.", field="out")
    if not out.parent.is_dir():
        raise UserFacingError(f"Thư mục {out.parent} không tồn tại. Hãy chọn nơi lưu khác.", field="out")
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        wb.save(partial)
        os.replace(partial, out)
    except PermissionError:
        partial.unlink(missing_ok=True)
        raise UserFacingError(
            f"Không ghi được tệp {out.name}: tệp đang mở trong Excel hoặc thư mục không cho ghi. "
            "Hãy đóng tệp trong Excel hoặc chọn nơi lưu khác.",
            field="out",
        ) from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserFacingError(
            f"Không ghi được tệp {out.name} ({exc.strerror}). Hãy chọn nơi lưu khác.", field="out"
        ) from None
