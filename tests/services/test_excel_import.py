"""Student import from the spreadsheets schools really have: real .xlsx files written with
openpyxl, a real migrated SQLite demo school, real audit chain."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from app.errors import NotFound, UserFacingError
from app.models import AuditEntry, Enrolment, SchoolClass, Student
from app.models.db import Database
from app.services.access import SYSTEM, PermissionDenied
from app.services.audit import verify_chain
from app.services.excel_import import import_students, import_students_file, preview_students
from tests.fixtures.demo_school import copy_of, homeroom_actor, make_template, subject_teacher_actor
from tests.fixtures.excel_files import (
    StudentRow,
    national_id_for,
    sample_students,
    write_handmade_list,
    write_provincial_export,
    write_rows,
)

HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số định danh", "Mã học sinh", "Lớp"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("excel") / "template.sqlite3")


@pytest.fixture
def school(template: Path, tmp_path: Path) -> Iterator[Database]:
    db = copy_of(template, tmp_path / "school.sqlite3")
    yield db
    db.dispose()


def counts(db: Database) -> tuple[int, int, int]:
    with db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Student)) or 0,
            s.scalar(select(func.count()).select_from(Enrolment)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def students_of(db: Database, class_name: str) -> dict[str, SimpleNamespace]:
    """The class's students as plain values (read sessions expire ORM objects on close)."""
    with db.read() as s:
        rows = s.scalars(
            select(Student)
            .join(Enrolment, Enrolment.student_id == Student.id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .where(SchoolClass.name == class_name)
        ).all()
        return {
            st.full_name: SimpleNamespace(**{c.key: getattr(st, c.key) for c in Student.__table__.columns})
            for st in rows
        }


def errors_by_row(report_errors: tuple) -> dict[int, set[str]]:  # type: ignore[type-arg]
    found: dict[int, set[str]] = {}
    for e in report_errors:
        found.setdefault(e.row, set()).add(e.field)
    return found


# --------------------------------------------------------------------------- good files


def test_provincial_export_imports_every_row_with_zeros_restored(school: Database, tmp_path: Path) -> None:
    wanted = sample_students(12, "6A1", seed=1)
    path = write_provincial_export(tmp_path / "so.xlsx", wanted)
    before = counts(school)

    report = import_students_file(school, SYSTEM, path)

    assert report.errors == ()
    assert (report.rows, report.imported) == (12, 12)
    stored = students_of(school, "6A1")
    for row in wanted:
        student = stored[row.full_name]  # names written in capitals are stored in title case
        assert student.national_id == row.national_id  # "001…": the lost leading zeros are back
        assert student.national_id is not None and student.national_id.startswith("00")
        assert student.date_of_birth == row.date_of_birth
        assert student.sex == row.sex
        assert student.place_of_birth == row.place_of_birth
        assert student.father_name == row.father_name
        assert student.mother_name == row.mother_name
    after = counts(school)
    # 12 students, 12 enrolments, 12 creation entries + 1 import entry in the audit log.
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (12, 12, 13)
    with school.read() as s:
        assert verify_chain(s).ok
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "student.import")).one()
        assert entry.detail["imported"] == 12 and entry.detail["classes"] == {"6A1": 12}
        details = " ".join(str(e.detail) for e in s.scalars(select(AuditEntry)))
        assert all(row.national_id not in details for row in wanted)  # no id in the audit log


def test_handmade_list_with_text_dates_ticks_nfd_blank_rows_and_footer(
    school: Database, tmp_path: Path
) -> None:
    wanted = sample_students(15, "7A1", seed=2, first_serial=500)
    path = write_handmade_list(tmp_path / "lop.xlsx", wanted, class_title="7A1")

    preview = preview_students(school, SYSTEM, path)

    assert preview.parsed.header_row == 3
    assert len(preview.rows) == 15  # blank rows, totals and the signature block are not students
    assert preview.parsed.footer_rows  # and the footer is reported as left out
    assert preview.errors == ()
    assert any("Ghi chú" in w.message for w in preview.warnings)  # the unused column is named
    report = import_students(school, SYSTEM, preview)
    assert report.imported == 15
    stored = students_of(school, "7A1")
    for row in wanted:
        student = stored[row.full_name]  # NFD and doubled spaces → the NFC, single-spaced name
        assert unicodedata.is_normalized("NFC", student.full_name)
        assert (
            student.date_of_birth == row.date_of_birth
        )  # "05/09/2014", "5-9-2014", "2014-09-05", "5.9.2014"
        assert student.sex == row.sex  # from the "Nu" column ticked with x
        assert student.national_id == row.national_id
        assert student.student_code.startswith(f"{_school_code(school)}-T")  # no code in the file
        assert student.hocba_code == f"{_school_code(school)}-{student.student_code}"


def _school_code(db: Database) -> str:
    with db.read() as s:
        return str(s.scalar(text("SELECT school_code FROM school")))


def test_two_row_header_with_nam_nu_columns_and_split_name(school: Database, tmp_path: Path) -> None:
    a, b = sample_students(2, None, seed=3, first_serial=900)
    rows = [
        ["TRƯỜNG THCS DEMO"],
        ["STT", "Họ đệm", "Tên", "Ngày, tháng, năm sinh", "Giới tính", None, "CCCD", "Họ tên cha/mẹ"],
        [None, None, None, None, "Nam", "Nữ", None, None],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)"],
        [
            1,
            *a.full_name.rsplit(" ", 1),
            a.date_of_birth,
            "x" if a.sex == 1 else None,
            "x" if a.sex == 2 else None,
            a.national_id,
            "Nguyễn Văn Bố / Trần Thị Mẹ",
        ],
        [
            2,
            *b.full_name.rsplit(" ", 1),
            b.date_of_birth,
            "x" if b.sex == 1 else None,
            "x" if b.sex == 2 else None,
            b.national_id,
            "Lê Văn Một",
        ],
    ]
    path = write_rows(tmp_path / "two_rows.xlsx", rows, merges=("E2:F2",), date_columns=(4,))

    preview = preview_students(school, SYSTEM, path, class_name="6A1")

    assert preview.parsed.header_row == 3
    assert [d.row for d in preview.rows] == [5, 6]
    assert preview.errors == ()
    first, second = preview.rows
    assert (first.full_name, first.sex, first.national_id) == (a.full_name, a.sex, a.national_id)
    assert (second.full_name, second.sex) == (b.full_name, b.sex)
    assert (first.father_name, first.mother_name) == ("Nguyễn Văn Bố", "Trần Thị Mẹ")
    assert second.father_name is None and second.mother_name is None  # one name: cha or mẹ?
    assert any("Họ tên cha/mẹ" in w.message for w in preview.warnings)


def test_student_code_that_lost_its_zero_is_restored_for_the_departments_code(
    school: Database, tmp_path: Path
) -> None:
    with school.write() as s:
        s.execute(text("UPDATE school SET department_code = '01'"))
    (row,) = sample_students(1, "6A1", seed=4, first_serial=42, code_prefix="01")
    path = write_provincial_export(tmp_path / "hn.xlsx", [row])  # the code is written as a number

    preview = preview_students(school, SYSTEM, path)

    assert preview.rows[0].student_code == row.student_code == "0100000042"
    assert "student_code" in preview.rows[0].note_fields()


def test_header_below_title_rows_on_a_later_sheet_and_repeated_header_skipped(
    school: Database, tmp_path: Path
) -> None:
    a, b = sample_students(2, "6A1", seed=5, first_serial=700)
    rows = [
        ["DANH SÁCH HỌC SINH LỚP 6A1"],
        ["Năm học: 2026-2027", None, None, "Giáo viên chủ nhiệm: Lê Thị Nhung"],
        [],
        ["Lớp", "  Số định danh cá nhân ", "Giới tính", "NGÀY SINH", "HỌ VÀ TÊN HỌC SINH"],
        [
            "6a1",
            a.national_id,
            "NỮ" if a.sex == 2 else "nam",
            a.date_of_birth.strftime("%d/%m/%Y"),
            a.full_name,
        ],
        ["Lớp", "Số định danh cá nhân", "Giới tính", "Ngày sinh", "Họ và tên"],  # printed page 2
        ["Lớp 6A1", b.national_id, "Nữ" if b.sex == 2 else "Nam", b.date_of_birth.isoformat(), b.full_name],
    ]
    path = write_rows(
        tmp_path / "sheets.xlsx", rows, merges=("A1:E1",), extra_sheets=(("Ghi chú", [["Không có gì"]]),)
    )

    preview = preview_students(school, SYSTEM, path)

    assert [d.row for d in preview.rows] == [5, 7]
    assert preview.errors == ()
    assert {d.class_name for d in preview.rows} == {"6A1"}  # "6a1", "Lớp 6A1" → the school's "6A1"


# --------------------------------------------------------------------------- problems


def test_every_row_problem_is_reported_with_row_field_and_message_and_nothing_is_written(
    school: Database, tmp_path: Path
) -> None:
    good = sample_students(3, "6A1", seed=6, first_serial=300)
    with school.read() as s:
        taken_id, taken_code = s.execute(
            select(Student.national_id, Student.student_code).where(Student.national_id.is_not(None)).limit(1)
        ).one()
    dob = date(2015, 3, 4)
    rows: list[list[object]] = [["DANH SÁCH"], HEADER]
    rows += [
        [
            1,
            good[0].full_name,
            good[0].date_of_birth,
            "Nam" if good[0].sex == 1 else "Nữ",
            good[0].national_id,
            "S-1",
            "6A1",
        ],  # row 3: fine
        [2, "Trần Văn Sai Số", dob, "Nam", "999215000001", "S-2", "6A1"],  # 4: province
        [3, "Lê Thị Sai Năm", dob, "Nữ", national_id_for(date(2014, 1, 1), 2, 5), "S-3", "6A1"],  # 5: year
        [4, "Phạm Trùng Số", dob, "Nam", good[0].national_id, "S-4", "6A1"],  # 6: dup row 3
        [5, "Hồ Trùng Mã", dob, "Nam", None, "S-1", "6A1"],  # 7: dup code
        [6, "Vũ Lớp Lạ", dob, "Nam", None, "S-6", "9Z9"],  # 8: class
        [7, None, dob, "Nam", None, "S-7", "6A1"],  # 9: name
        [8, "Đỗ Thiếu Ngày", None, "Nam", None, "S-8", "6A1"],  # 10: dob
        [9, "Bùi Thiếu Giới", dob, None, None, "S-9", "6A1"],  # 11: sex
        [10, "Ngô Ngày Sai", "31/02/2015", "Nam", None, "S-10", "6A1"],  # 12: no 31 Feb
        [11, "Dương Năm Ngắn", "04/03/15", "Nam", None, "S-11", "6A1"],  # 13: 2-digit year
        [12, "Hoàng Đã Có", dob, "Nam", taken_id, "S-12", "6A1"],  # 14: in database
        [13, "Mai Mã Đã Có", dob, "Nam", None, taken_code, "6A1"],  # 15: code in db
        [14, "Lý Giới Lạ", dob, "Khác", None, "S-14", "6A1"],  # 16: sex word
        [15, "Tạ Số Ngắn", dob, "Nam", "12345678", "S-15", "6A1"],  # 17: 8 digits
    ]
    path = write_rows(tmp_path / "bad.xlsx", rows, text_columns=(5,))
    before = counts(school)

    report = import_students_file(school, SYSTEM, path, today=date(2026, 10, 1))

    assert report.imported == 0
    assert counts(school) == before  # all or nothing: not even the good rows
    found = errors_by_row(report.errors)
    assert found == {
        4: {"national_id"},
        5: {"national_id"},
        6: {"national_id"},
        7: {"student_code"},
        8: {"class_name"},
        9: {"full_name"},
        10: {"date_of_birth"},
        11: {"sex"},
        12: {"date_of_birth"},
        13: {"date_of_birth"},
        14: {"national_id"},
        15: {"student_code"},
        16: {"sex"},
        17: {"national_id"},
    }
    messages = {(e.row, e.field): e.message for e in report.errors}
    assert "999" in messages[(4, "national_id")] and "mã tỉnh" in messages[(4, "national_id")]
    assert "năm sinh" in messages[(5, "national_id")].lower()
    assert "dòng 3" in messages[(6, "national_id")]
    assert "dòng 3" in messages[(7, "student_code")]
    assert "9Z9" in messages[(8, "class_name")]
    assert "ngày 31" in messages[(12, "date_of_birth")]
    assert "bốn chữ số" in messages[(13, "date_of_birth")]
    assert "đã có trong hồ sơ" in messages[(14, "national_id")]
    assert "12 chữ số" in messages[(17, "national_id")]
    for e in report.errors:
        assert unicodedata.is_normalized("NFC", e.message)
    assert report.to_json_dict()["errors"][0] == {
        "row": 4,
        "field": "national_id",
        "message": messages[(4, "national_id")],
    }


def test_same_name_and_birth_date_in_the_class_is_a_duplicate(school: Database, tmp_path: Path) -> None:
    existing = next(iter(students_of(school, "6A1").values()))
    rows = [
        HEADER,
        [
            1,
            existing.full_name,
            existing.date_of_birth,
            "Nam" if existing.sex == 1 else "Nữ",
            None,
            None,
            "6A1",
        ],
    ]
    report = import_students_file(school, SYSTEM, write_rows(tmp_path / "again.xlsx", rows))
    assert errors_by_row(report.errors) == {2: {"full_name"}}
    assert "đã có" in report.errors[0].message


def test_future_birth_date_and_chosen_class_conflicting_with_the_file(
    school: Database, tmp_path: Path
) -> None:
    (a,) = sample_students(1, "7A1", seed=8, first_serial=880)
    rows = [
        HEADER,
        [1, a.full_name, a.date_of_birth, "Nam" if a.sex == 1 else "Nữ", a.national_id, None, "7A1"],
        [2, "Trần Tương Lai", datetime(2030, 1, 1), "Nam", None, None, None],
    ]
    path = write_rows(tmp_path / "mixed.xlsx", rows, date_columns=(3,))
    preview = preview_students(school, SYSTEM, path, class_name="6A1", today=date(2026, 10, 1))
    assert errors_by_row(preview.errors) == {2: {"class_name"}, 3: {"date_of_birth"}}
    assert preview.rows[1].class_name == "6A1"  # a blank class cell takes the chosen class


def test_database_changed_between_preview_and_import_writes_nothing(school: Database, tmp_path: Path) -> None:
    wanted = sample_students(4, "6A1", seed=9, first_serial=600)
    path = write_provincial_export(tmp_path / "race.xlsx", wanted)
    preview = preview_students(school, SYSTEM, path)
    assert preview.ok
    # Someone else imports the same list first.
    assert import_students_file(school, SYSTEM, path).imported == 4
    before = counts(school)

    report = import_students(school, SYSTEM, preview)

    assert report.imported == 0
    assert {e.field for e in report.errors} >= {"national_id"}
    assert counts(school) == before


# --------------------------------------------------------------------------- unusable files


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("old.xls", ".xlsx"),
        ("list.csv", ".xlsx"),
    ],
)
def test_formats_other_than_xlsx_get_a_message_saying_how_to_convert(
    school: Database, tmp_path: Path, name: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0 not really excel")
    with pytest.raises(UserFacingError) as info:
        preview_students(school, SYSTEM, path)
    assert expected in info.value.message and "Save As" in info.value.message


def test_missing_broken_headerless_and_empty_files(school: Database, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        preview_students(school, SYSTEM, tmp_path / "none.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(UserFacingError, match="không phải tệp Excel"):
        preview_students(school, SYSTEM, broken)
    no_header = write_rows(tmp_path / "plain.xlsx", [["a", "b"], [1, 2]])
    with pytest.raises(UserFacingError, match="dòng tiêu đề"):
        preview_students(school, SYSTEM, no_header)
    empty = write_rows(tmp_path / "empty.xlsx", [HEADER, [], [None, "Tổng cộng: 0 học sinh"]])
    with pytest.raises(UserFacingError, match="không có dòng học sinh"):
        preview_students(school, SYSTEM, empty)


# --------------------------------------------------------------------------- who may import


def test_who_may_import(school: Database, tmp_path: Path) -> None:
    wanted = sample_students(2, "6A1", seed=10, first_serial=1000)
    path = write_provincial_export(tmp_path / "who.xlsx", wanted)
    teacher = subject_teacher_actor(school)
    with pytest.raises(PermissionDenied):
        preview_students(school, teacher, path)

    homeroom = homeroom_actor(school, "6A1")
    with pytest.raises(PermissionDenied):  # must name their class
        preview_students(school, homeroom, path)
    with pytest.raises(PermissionDenied):  # not their class
        preview_students(school, homeroom, path, class_name="7A1")
    report = import_students_file(school, homeroom, path, class_name="6A1")
    assert report.imported == 2
    with school.read() as s:
        actors = set(s.scalars(select(AuditEntry.actor).where(AuditEntry.action.like("student.%"))))
    assert actors == {homeroom.login}


def test_homeroom_teacher_cannot_slip_rows_of_another_class_in(school: Database, tmp_path: Path) -> None:
    wanted = sample_students(2, "6A1", seed=11, first_serial=1100)
    rows = [HEADER] + [
        [i, s.full_name, s.date_of_birth, "Nam" if s.sex == 1 else "Nữ", s.national_id, None, klass]
        for i, (s, klass) in enumerate(zip(wanted, ("6A1", "7A1"), strict=True), start=1)
    ]
    path = write_rows(tmp_path / "slip.xlsx", rows)
    report = import_students_file(school, homeroom_actor(school, "6A1"), path, class_name="6A1")
    assert report.imported == 0 and errors_by_row(report.errors) == {3: {"class_name"}}


def test_dry_run_writes_nothing(school: Database, tmp_path: Path) -> None:
    path = write_provincial_export(
        tmp_path / "dry.xlsx", sample_students(3, "6A1", seed=12, first_serial=1200)
    )
    before = counts(school)
    report = import_students_file(school, SYSTEM, path, dry_run=True)
    assert (report.rows, report.imported, report.errors, report.dry_run) == (3, 0, (), True)
    assert counts(school) == before


def test_rows_keep_excel_row_numbers(school: Database, tmp_path: Path) -> None:
    students: list[StudentRow] = sample_students(20, "6A1", seed=13, first_serial=1300)
    path = write_handmade_list(tmp_path / "numbers.xlsx", students)
    preview = preview_students(school, SYSTEM, path)
    # Header on row 3, a blank row after every 7th student: students 1–7 on rows 4–10,
    # 8–14 on rows 12–18, 15–20 on rows 20–25.
    expected = [*range(4, 11), *range(12, 19), *range(20, 26)]
    assert [d.row for d in preview.rows] == expected
