"""Class list and mark book exports: written to real .xlsx files, opened again, cell by cell."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.errors import UserFacingError
from app.models import AuditEntry, Enrolment, SchoolClass, SecondaryAssessment, Student, Subject
from app.models.db import Database
from app.rules import tt22
from app.rules.identity import mask_national_id
from app.rules.vnsort import name_sort_key
from app.services.access import SYSTEM, Actor, PermissionDenied
from app.services.excel_export import (
    CLASS_LIST_HEADERS,
    export_class_list,
    export_mark_book,
    find_class,
    find_subject,
)
from app.services.excel_import import import_students_file
from tests.fixtures.demo_school import copy_of, homeroom_actor, make_template, subject_teacher_actor


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("export") / "template.sqlite3")


@pytest.fixture
def school(template: Path, tmp_path: Path) -> Iterator[Database]:
    db = copy_of(template, tmp_path / "school.sqlite3")
    yield db
    db.dispose()


def table_rows(path: Path, header_first: str = "STT") -> tuple[list[object], list[list[object]]]:
    """(header, data rows) of the first sheet: the rows under the header until "Tổng cộng"."""
    ws = load_workbook(path).active
    assert ws is not None
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and r[0] == header_first)
    data = []
    for r in rows[start + 1 :]:
        if r[0] is None:
            break
        data.append(r)
    return rows[start], data


def class_students(db: Database, class_name: str) -> list[tuple[str, object, int, str | None, str]]:
    with db.read() as s:
        rows = s.execute(
            select(
                Student.full_name,
                Student.date_of_birth,
                Student.sex,
                Student.national_id,
                Student.student_code,
            )
            .join(Enrolment, Enrolment.student_id == Student.id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .where(SchoolClass.name == class_name)
        ).all()
    return sorted((tuple(r) for r in rows), key=lambda r: name_sort_key(r[0]))  # type: ignore[misc]


def test_class_list_has_masked_ids_in_vietnamese_name_order(school: Database, tmp_path: Path) -> None:
    class_id = find_class(school, "lớp 6a1")
    out = tmp_path / "6A1.xlsx"

    result = export_class_list(school, homeroom_actor(school, "6A1"), class_id, out)

    expected = class_students(school, "6A1")
    header, data = table_rows(out)
    assert tuple(header) == CLASS_LIST_HEADERS
    assert result.rows == len(data) == len(expected) > 0
    for number, (row, (name, dob, sex, national_id, code)) in enumerate(zip(data, expected, strict=True), 1):
        assert row[0] == number
        assert row[1] == name
        assert isinstance(row[2], datetime) and row[2].date() == dob
        assert row[3] == {1: "Nam", 2: "Nữ"}[sex]
        assert row[6] == code
        assert row[7] == mask_national_id(national_id)
        assert national_id is None or national_id not in str(row)
        assert row[8] == "6A1"
    ws = load_workbook(out).active
    assert ws is not None
    first = 6  # three title lines, a blank line, the header on row 5
    assert ws.cell(first, 8).number_format == "@" and ws.cell(first, 3).number_format == "dd/mm/yyyy"


def test_full_ids_only_for_the_admin_audited_and_reimportable(school: Database, tmp_path: Path) -> None:
    class_id = find_class(school, "7A1")
    out = tmp_path / "full.xlsx"
    with pytest.raises(PermissionDenied):
        export_class_list(school, homeroom_actor(school, "7A1"), class_id, out, full_ids=True)
    assert not out.exists()

    export_class_list(school, SYSTEM, class_id, out, full_ids=True)

    expected = class_students(school, "7A1")
    _, data = table_rows(out)
    assert [r[7] or None for r in data] == [e[3] for e in expected]  # "001…" kept as text
    with school.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export.class_list_full_ids")).one()
        assert entry.detail["students"] == len(expected)
    # The exported file is read back by the importer: every student is already there.
    report = import_students_file(school, SYSTEM, out, dry_run=True)
    assert report.rows == len(expected) and report.imported == 0
    assert {e.row for e in report.errors} == set(range(6, 6 + len(expected)))


def test_classes_outside_the_teachers_assignments_cannot_be_exported(
    school: Database, tmp_path: Path
) -> None:
    teacher = subject_teacher_actor(school)
    taught = sorted(teacher.taught_class_ids)
    export_class_list(school, teacher, taught[0], tmp_path / "mine.xlsx")  # a class they teach: fine
    stranger = Actor(user_id=None, login="gv.moi", full_name="Giáo viên mới", roles=frozenset({"gvbm"}))
    with pytest.raises(PermissionDenied):
        export_class_list(school, stranger, taught[0], tmp_path / "x.xlsx")
    with pytest.raises(PermissionDenied):
        export_mark_book(
            school, stranger, taught[0], find_subject(school, taught[0], "toan"), 1, tmp_path / "y.xlsx"
        )
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "y.xlsx").exists()


def _marks(db: Database, class_id: int, subject_id: int, semester: int) -> dict[str, SecondaryAssessment]:
    with db.read() as s:
        rows = s.execute(
            select(Student.full_name, SecondaryAssessment)
            .join(Enrolment, Enrolment.student_id == Student.id)
            .join(SecondaryAssessment, SecondaryAssessment.enrolment_id == Enrolment.id)
            .where(
                Enrolment.class_id == class_id,
                SecondaryAssessment.subject_id == subject_id,
                SecondaryAssessment.semester == semester,
            )
        ).all()
        for _, mark in rows:
            s.expunge(mark)
        return {name: mark for name, mark in rows}


@pytest.mark.parametrize("semester", [1, 2])
def test_mark_book_scores_are_exactly_the_stored_ones(
    school: Database, tmp_path: Path, semester: int
) -> None:
    class_id = find_class(school, "6A1")
    subject_id = find_subject(school, class_id, "Toán")
    with school.read() as s:
        lessons = s.scalar(select(Subject.lessons_per_year).where(Subject.id == subject_id))
    assert lessons is not None
    out = tmp_path / "toan.xlsx"

    result = export_mark_book(school, SYSTEM, class_id, subject_id, semester, out)

    marks = _marks(school, class_id, subject_id, semester)
    header, data = table_rows(out)
    # At least the required number of ĐĐGtx columns; more when a teacher entered more.
    n_tx = max(tt22.required_tx_count(lessons), *(len(m.tx) for m in marks.values()))
    assert header == [
        "STT",
        "Họ và tên",
        *(f"ĐĐGtx {i}" for i in range(1, n_tx + 1)),
        "ĐĐGgk",
        "ĐĐGck",
        "ĐTBmhk",
        "Nhận xét",
    ]
    assert result.rows == len(data) == len(marks) > 0
    for row in data:
        mark = marks[str(row[1])]
        stored = [*mark.tx, *([None] * (n_tx - len(mark.tx))), mark.gk, mark.ck]
        written = row[2 : 2 + n_tx + 2]
        for cell, value in zip(written, stored, strict=True):
            assert (cell is None) == (value is None)
            if value is not None:
                assert Decimal(str(cell)) == Decimal(value)
        average = tt22.semester_average(
            tt22.ScoredSemester(tuple(Decimal(v) for v in mark.tx), Decimal(mark.gk), Decimal(mark.ck)),
            lessons,
        )
        assert Decimal(str(row[-2])) == average
        assert row[-1] == mark.comment


def test_mark_book_of_a_comment_subject_writes_d_and_cd(school: Database, tmp_path: Path) -> None:
    class_id = find_class(school, "6A1")
    subject_id = find_subject(school, class_id, "gdtc")
    out = tmp_path / "gdtc.xlsx"
    export_mark_book(school, SYSTEM, class_id, subject_id, 1, out)
    marks = _marks(school, class_id, subject_id, 1)
    header, data = table_rows(out)
    assert header[-2] == "Kết quả học kỳ"
    for row in data:
        mark = marks[str(row[1])]
        assert row[2 : 2 + len(mark.tx)] == list(mark.tx)
        assert set(row[2:-1]) <= {"Đ", "CĐ", None}
        assert row[-2] in ("Đ", "CĐ")


def test_output_problems_are_user_facing(school: Database, tmp_path: Path) -> None:
    class_id = find_class(school, "6A1")
    with pytest.raises(UserFacingError, match="không tồn tại"):
        export_class_list(school, SYSTEM, class_id, tmp_path / "missing" / "x.xlsx")
    with pytest.raises(UserFacingError, match=r"\.xlsx"):
        export_class_list(school, SYSTEM, class_id, tmp_path / "x.csv")
    with pytest.raises(UserFacingError, match="không có lớp"):
        find_class(school, "12Z")
    with pytest.raises(UserFacingError, match="không học môn"):
        find_subject(school, class_id, "thiên văn")
    assert [p.name for p in tmp_path.iterdir() if "xlsx" in p.name or "partial" in p.name] == []
    with school.read() as s:
        assert (
            s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("export%")))
            == 0
        )
