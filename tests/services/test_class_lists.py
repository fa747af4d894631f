"""The homeroom teacher's hand-in lists, and their .xlsx export opened back with openpyxl."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from app.errors import UserFacingError
from app.models.db import Database
from app.services import homeroom as hr
from app.services.access import PermissionDenied
from app.services.class_lists import (
    BASE_HEADERS,
    SECONDARY_KINDS,
    class_lists,
    export_xlsx,
    lists_html,
)
from tests.services.homeroom_data import (
    class_ids,
    find_student,
    homeroom_teacher,
    school,
    subject_teacher_not_homeroom,
    teacher_without_classes,
    template,
)

__all__ = ["school", "template"]  # fixtures


def _by_kind(db: Database, class_id: int) -> dict[str, object]:
    return {cl.kind: cl for cl in class_lists(db, homeroom_teacher(db, class_id), class_id)}


def test_lists_hold_the_right_students(school: Database) -> None:
    for class_id in class_ids(school):
        overview = hr.homeroom_overview(school, homeroom_teacher(school, class_id), class_id)
        lists = class_lists(school, homeroom_teacher(school, class_id), class_id)
        assert tuple(cl.kind for cl in lists) == SECONDARY_KINDS
        names = {cl.kind: [e.full_name for e in cl.entries] for cl in lists}
        students = overview.students
        assert names["len_lop"] == [s.full_name for s in students if s.promotion == "len_lop"]
        assert names["o_lai"] == [s.full_name for s in students if s.promotion == "o_lai"]
        assert names["kiem_tra_lai"] == [s.full_name for s in students if s.in_reassessment]
        assert names["ren_luyen_he"] == [s.full_name for s in students if s.in_summer_training]
        assert names["xuat_sac"] == [s.full_name for s in students if s.title == "xuat_sac"]
        assert names["gioi"] == [s.full_name for s in students if s.title == "gioi"]
        for cl in lists:
            assert [e.number for e in cl.entries] == list(range(1, len(cl.entries) + 1))
            assert all(len(e.cells) == len(cl.extra_headers) for e in cl.entries)


def test_reassessment_list_names_the_subjects_and_results(school: Database) -> None:
    found = find_student(school, "reassessment")
    lists = {cl.kind: cl for cl in class_lists(school, found.teacher, found.class_id)}
    entry = next(e for e in lists["kiem_tra_lai"].entries if e.student_id == found.student.student_id)
    subjects_cell, results_cell, decision = entry.cells
    for line in found.student.reassessment_subjects:
        assert f"{line.name} ({hr.subject_value_text(line.year)})" in subjects_cell
    assert results_cell == "" and decision == "Kiểm tra lại"
    first = found.student.reassessment_subjects[0]
    hr.set_reassessment(school, found.teacher, found.class_id, found.student.student_id, first.subject_id,
                        "6,5" if first.kind == "score" else "Đ")
    lists = {cl.kind: cl for cl in class_lists(school, found.teacher, found.class_id)}
    entry = next(e for e in lists["kiem_tra_lai"].entries if e.student_id == found.student.student_id)
    assert entry.cells[1] == f"{first.name} {'6,5' if first.kind == 'score' else 'Đạt'}"


def test_not_promoted_list_says_why(school: Database) -> None:
    found = find_student(school, "absence")
    lists = {cl.kind: cl for cl in class_lists(school, found.teacher, found.class_id)}
    entry = next(e for e in lists["o_lai"].entries if e.student_id == found.student.student_id)
    assert entry.cells[2] == f"Nghỉ {found.student.sessions_absent} buổi, quá 45 buổi"


def test_an_undecided_student_is_noted_under_every_list(school: Database) -> None:
    found = find_student(school, "promoted")
    hr.set_conduct(school, found.teacher, found.class_id, found.student.student_id, "hk1", None)
    lists = class_lists(school, found.teacher, found.class_id)
    for cl in lists:
        assert cl.note is not None and found.student.full_name in cl.note
        assert all(e.student_id != found.student.student_id for e in cl.entries)


def test_lists_need_the_right_to_see_the_class(school: Database) -> None:
    class_id = class_ids(school)[0]
    with pytest.raises(PermissionDenied):
        class_lists(school, teacher_without_classes(school), class_id)
    # A subject teacher of the class may see its results (as on the class page).
    assert class_lists(school, subject_teacher_not_homeroom(school, class_id), class_id)


def test_export_xlsx_cells(school: Database, tmp_path: Path) -> None:
    found = find_student(school, "reassessment")
    lists = class_lists(school, found.teacher, found.class_id)
    path = export_xlsx(lists, tmp_path / "danh sách.xlsx")
    assert path.exists() and not list(tmp_path.glob(".*.tmp"))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Lên lớp", "Ở lại lớp", "Kiểm tra lại", "Rèn luyện hè", "Học sinh Xuất sắc", "Học sinh Giỏi",
    ]
    sheet = book["Kiểm tra lại"]
    overview = found.overview
    assert sheet["A1"].value == overview.school_name
    assert sheet["A2"].value == "DANH SÁCH HỌC SINH PHẢI KIỂM TRA LẠI TRONG HÈ"
    assert f"Lớp {overview.class_name}" in str(sheet["A3"].value)
    assert overview.homeroom_name and overview.homeroom_name in str(sheet["A3"].value)
    header = [c.value for c in sheet[5]]
    assert header == [*BASE_HEADERS, "Các môn kiểm tra lại (ĐTBmcn)", "Kết quả kiểm tra lại", "Quyết định"]
    first = [c.value for c in sheet[6]]
    student = found.student
    assert first[0] == 1 and first[1] == student.full_name
    assert first[2] == datetime.combine(student.date_of_birth, datetime.min.time())
    assert sheet["C6"].number_format == "DD/MM/YYYY"
    assert first[3] in ("Nam", "Nữ")
    assert all(line.name in first[4] for line in student.reassessment_subjects)
    assert first[6] == "Kiểm tra lại"
    values = [c.value for row in sheet.iter_rows(min_row=7) for c in row if c.value]
    assert "Tổng số: 1 học sinh." in values
    assert "Giáo viên chủ nhiệm" in values and overview.homeroom_name in values
    assert sheet.freeze_panes == "A6"
    # The promoted list has as many rows as students promoted.
    promoted = book["Lên lớp"]
    names = [promoted.cell(row=r, column=2).value for r in range(6, 6 + len(lists[0].entries))]
    assert names == [e.full_name for e in lists[0].entries]


def test_empty_list_says_so(school: Database, tmp_path: Path) -> None:
    class_id = next(c for c in class_ids(school) if not _by_kind(school, c)["ren_luyen_he"].entries)  # type: ignore[attr-defined]
    lists = class_lists(school, homeroom_teacher(school, class_id), class_id)
    book = openpyxl.load_workbook(export_xlsx(lists, tmp_path / "x.xlsx"))
    assert book["Rèn luyện hè"]["A6"].value == "Không có học sinh nào."


def test_export_refuses_a_place_it_cannot_write(school: Database, tmp_path: Path) -> None:
    class_id = class_ids(school)[0]
    lists = class_lists(school, homeroom_teacher(school, class_id), class_id)
    blocker = tmp_path / "not a folder"
    blocker.write_text("x")
    with pytest.raises(UserFacingError, match="Không ghi được tệp"):
        export_xlsx(lists, blocker / "lists.xlsx")
    with pytest.raises(UserFacingError, match="Không có danh sách"):
        export_xlsx((), tmp_path / "empty.xlsx")


def test_printable_html_puts_each_list_on_its_own_page(school: Database) -> None:
    class_id = class_ids(school)[0]
    lists = class_lists(school, homeroom_teacher(school, class_id), class_id)
    page = lists_html(lists)
    assert page.count("page-break-before: always") == len(lists) - 1
    for cl in lists:
        assert cl.title.upper() in page
        for entry in cl.entries:
            assert entry.full_name in page
