"""Building records and sheets from the database: same results as the class page, and a
record with missing data refused with a message naming the student and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from app.documents.record import SecondaryYear
from app.documents.xml_record import sheet_xml, validate_xml
from app.errors import UserFacingError
from app.models import Conduct, Enrolment, SchoolClass, SecondaryAssessment, Student, Subject
from app.models.db import Database, open_database
from app.services.access import SYSTEM, Actor, PermissionDenied
from app.services.class_results import class_results
from app.services.record_sheets import class_sheets
from app.services.records import RecordOptions, class_records, find_class, find_student, student_record

LEVEL_CODES = {"Tốt": "T", "Khá": "K", "Đạt": "Đ", "Chưa đạt": "CĐ"}


def _first_student(db: Database, class_name: str) -> tuple[int, str, int]:
    """(student id, full name, enrolment id) of an assessed student of the class."""
    with db.read() as s:
        row = s.execute(
            select(Student.id, Student.full_name, Enrolment.id)
            .join(Enrolment, Enrolment.student_id == Student.id)
            .where(Enrolment.class_id == find_class(db, class_name), Student.disabled_not_assessed.is_(False))
            .order_by(Student.id)
            .limit(1)
        ).one()
    return int(row[0]), str(row[1]), int(row[2])


def test_records_agree_with_the_class_page(thcs_copy: Database) -> None:
    class_id = find_class(thcs_copy, "7A1")
    records = class_records(thcs_copy, class_id)
    page = class_results(thcs_copy, SYSTEM, class_id)
    assert [r.student.full_name for r in records] == [row.full_name for row in page.rows]
    for record, row in zip(records, page.rows, strict=True):
        assert isinstance(record.results, SecondaryYear)
        if record.student.disabled_not_assessed:
            assert record.results.promotion is None
            continue
        after = record.results.learning_after_reassessment or record.results.learning_year
        assert LEVEL_CODES[row.learning or ""] == after
        assert record.results.promotion == row.promotion
        assert record.absences.total == row.sessions_absent
    assert len({r.meta.record_id for r in records}) == len(records)


def test_one_student_and_a_correction_version(thcs_copy: Database) -> None:
    student_id, name, _ = _first_student(thcs_copy, "6A1")
    first = student_record(thcs_copy, student_id)
    assert first.student.full_name == name and first.meta.version == 1
    assert first.meta.issued_on.month == 5  # the school year's last day
    again = student_record(thcs_copy, student_id)
    assert again == first
    v2 = student_record(
        thcs_copy,
        student_id,
        options=RecordOptions(version=2, supersedes=first.meta.record_id, reason="Nhập nhầm điểm."),
    )
    assert v2.meta.record_id != first.meta.record_id and v2.meta.supersedes == first.meta.record_id
    assert find_student(thcs_copy, first.student.student_code) == student_id


@pytest.mark.parametrize(
    ("breakage", "field", "words"),
    [
        ("conduct", "conduct", "rèn luyện"),
        ("score", "subjects[1].hk2.ck", "môn Toán, học kì II, cuối kì"),
        ("birthplace", "student.place_of_birth", "nơi sinh"),
        ("homeroom", "class.homeroom_teacher", "giáo viên chủ nhiệm"),
    ],
)
def test_missing_data_is_refused_naming_student_and_field(
    thcs_copy: Database, breakage: str, field: str, words: str
) -> None:
    student_id, name, enrolment_id = _first_student(thcs_copy, "6A1")
    with thcs_copy.write() as s:
        if breakage == "conduct":
            s.execute(delete(Conduct).where(Conduct.enrolment_id == enrolment_id, Conduct.period == "hk1"))
        elif breakage == "score":
            grade_id = s.scalar(select(SchoolClass.grade_id).where(SchoolClass.name == "6A1"))
            toan = s.scalar(select(Subject.id).where(Subject.code == "toan", Subject.grade_id == grade_id))
            s.execute(
                update(SecondaryAssessment)
                .where(
                    SecondaryAssessment.enrolment_id == enrolment_id,
                    SecondaryAssessment.subject_id == toan,
                    SecondaryAssessment.semester == 2,
                )
                .values(ck=None)
            )
        elif breakage == "birthplace":
            s.execute(update(Student).where(Student.id == student_id).values(place_of_birth=None))
        else:
            s.execute(
                update(SchoolClass)
                .where(SchoolClass.id == find_class(thcs_copy, "6A1"))
                .values(homeroom_teacher_id=None)
            )
    with pytest.raises(UserFacingError) as caught:
        class_records(thcs_copy, find_class(thcs_copy, "6A1"))
    assert caught.value.field == field
    assert name in caught.value.message and words in caught.value.message
    # The other class is unaffected.
    assert class_records(thcs_copy, find_class(thcs_copy, "7A1"))


def test_a_teacher_of_another_class_may_not_build_its_records(thcs_copy: Database) -> None:
    stranger = Actor(user_id=999, login="gv.khac", full_name="Giáo viên khác", roles=frozenset({"gvbm"}))
    with pytest.raises(PermissionDenied):
        class_records(thcs_copy, find_class(thcs_copy, "6A1"), actor=stranger)


def test_class_sheets_cover_every_subject_and_term(thcs_copy: Database) -> None:
    class_id = find_class(thcs_copy, "6A1")
    sheets = class_sheets(thcs_copy, class_id)
    subjects = {s.subject_code for s in sheets}
    assert len(sheets) == 3 * len(subjects) == 39
    records = class_records(thcs_copy, class_id)
    referenced = {ref.sheet_id for ref in records[0].sheets}
    assert referenced == {s.sheet_id for s in sheets}
    for sheet in sheets:
        validate_xml(sheet_xml(sheet))
        assert len(sheet.rows) == 12
    toan = next(s for s in sheets if s.subject_code == "toan" and s.term == "canam")
    row = next(r for r in toan.rows if not r.not_assessed)
    record = next(r for r in records if r.student.student_code == row.student_code)
    assert isinstance(record.results, SecondaryYear)
    line = next(x for x in record.results.subjects if x.code == "toan")
    # The year sheet and the record say the same thing.
    assert row.values[:3] == (line.hk1, line.hk2, line.year)


def test_primary_sheets(tieuhoc_path: Path) -> None:
    db = open_database(tieuhoc_path)
    try:
        sheets = class_sheets(db, find_class(db, "2A"))
    finally:
        db.dispose()
    assert {s.term for s in sheets} == {"hocky1", "canam"}
    tested = next(s for s in sheets if s.subject_code == "toan")
    assert [c.code for c in tested.columns] == ["mucdat", "diemktdk"]
    for sheet in sheets:
        validate_xml(sheet_xml(sheet))


def test_missing_score_refuses_the_sheet(thcs_copy: Database) -> None:
    _, name, enrolment_id = _first_student(thcs_copy, "6A1")
    with thcs_copy.write() as s:
        s.execute(
            update(SecondaryAssessment)
            .where(SecondaryAssessment.enrolment_id == enrolment_id)
            .values(gk=None)
        )
    with pytest.raises(UserFacingError) as caught:
        class_sheets(thcs_copy, find_class(thcs_copy, "6A1"), terms=("hocky1",))
    assert name in caught.value.message and "giữa kì" in caught.value.message
