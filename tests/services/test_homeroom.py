"""Homeroom services on a real demo school: the overview, the writes, the summer paths,
who may write, and the audit trail."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import NotFound, UserFacingError
from app.models import Conduct, Enrolment, Reassessment, SecondaryAssessment, Subject
from app.models.db import Database, open_database
from app.services import homeroom as hr
from app.services.access import SYSTEM, PermissionDenied
from app.services.audit import verify_chain
from app.services.class_results import school_overview
from app.services.demo import create_demo_school
from app.services.homeroom_types import ClassSubject
from tests.services.homeroom_data import (
    actor_by_login,
    audit_count,
    class_ids,
    find_student,
    homeroom_teacher,
    last_audit,
    school,
    subject_teacher_not_homeroom,
    template,
)

__all__ = ["school", "template"]  # fixtures


# ------------------------------------------------------------------------------ overview


def test_overview_has_every_student_with_semester_and_year_results(school: Database) -> None:
    class_id = class_ids(school)[0]
    teacher = homeroom_teacher(school, class_id)
    overview = hr.homeroom_overview(school, teacher, class_id)
    assert overview.editable
    assert [s.number for s in overview.students] == list(range(1, len(overview.students) + 1))
    assessed = [s for s in overview.students if not s.not_assessed]
    assert assessed and all(s.problem is None for s in assessed)
    for s in assessed:
        assert s.learning_hk1 in hr.LEVEL_LABELS and s.learning_hk2 in hr.LEVEL_LABELS
        assert s.conduct_hk1 and s.conduct_hk2 and s.conduct_year
        assert s.sessions_absent == sum(s.absent(1)) + sum(s.absent(2))
        assert s.year_comment  # the demo writes one for everyone
        assert len(s.subjects) == len(overview.subjects)
    disabled = [s for s in overview.students if s.not_assessed]
    assert disabled and disabled[0].promotion is None
    assert disabled[0].explanations[0].kind == "not_assessed"


def test_the_deciding_sentence_comes_first(school: Database) -> None:
    promoted = find_student(school, "promoted", title="gioi").student
    assert [e.kind for e in promoted.explanations[:2]] == ["promotion", "title"]
    assert promoted.explanations[0].text.startswith("Được lên lớp")
    # "Why not Xuất sắc" right after the decision.
    assert "Chưa đạt danh hiệu Học sinh Xuất sắc" in promoted.explanations[1].text

    absent = find_student(school, "absence").student
    assert absent.promotion == "o_lai"
    assert absent.explanations[0].kind == "promotion"
    assert f"nghỉ {absent.sessions_absent} buổi" in absent.explanations[0].text

    summer = find_student(school, "summer").student
    assert [e.kind for e in summer.explanations[:2]] == ["promotion", "conduct_year"]

    again = find_student(school, "reassessment").student
    assert [e.kind for e in again.explanations[:2]] == ["promotion", "learning_year"]
    assert again.explanations[0].text.startswith("Phải kiểm tra lại")
    # Every sentence of the engine is still there, only reordered.
    assert len({e.kind for e in again.explanations}) == len(again.explanations) == 6


def test_homeroom_classes_for_teacher_and_principal(school: Database) -> None:
    classes = school_overview(school, SYSTEM).classes
    first = classes[0].id
    teacher = homeroom_teacher(school, first)
    assert [c.id for c in hr.homeroom_classes(teacher, classes)] == [first]
    principal = actor_by_login(school, "hieutruong")
    assert {c.id for c in hr.homeroom_classes(principal, classes)} == {c.id for c in classes}


def test_principal_reads_but_may_not_write(school: Database) -> None:
    found = find_student(school, "promoted")
    principal = actor_by_login(school, "hieutruong")
    overview = hr.homeroom_overview(school, principal, found.class_id)
    assert not overview.editable
    before = audit_count(school)
    with pytest.raises(PermissionDenied, match="giáo viên chủ nhiệm"):
        hr.set_conduct(school, principal, found.class_id, found.student.student_id, "hk1", "CĐ")
    with pytest.raises(PermissionDenied):
        hr.set_year_comment(school, principal, found.class_id, found.student.student_id, "Hiệu trưởng sửa")
    assert audit_count(school) == before
    again = hr.homeroom_overview(school, principal, found.class_id).student(found.student.student_id)
    assert again.conduct_hk1 == found.student.conduct_hk1
    assert again.year_comment == found.student.year_comment


@pytest.mark.parametrize("who", ["other_homeroom", "subject_teacher"])
def test_other_teachers_are_refused(school: Database, who: str) -> None:
    first, second = class_ids(school)
    found = find_student(school, "promoted")
    other_class = second if found.class_id == first else first
    actor = (
        homeroom_teacher(school, other_class)
        if who == "other_homeroom"
        else subject_teacher_not_homeroom(school, found.class_id)
    )
    before = audit_count(school)
    calls = (
        lambda: hr.set_conduct(school, actor, found.class_id, found.student.student_id, "hk2", "T"),
        lambda: hr.set_absences(school, actor, found.class_id, found.student.student_id, 1, excused=9,
                                unexcused=0),
        lambda: hr.add_award(school, actor, found.class_id, found.student.student_id, kind="khac",
                             title="Giải Nhất"),
    )
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert audit_count(school) == before


# ------------------------------------------------------------------------------ writes


def test_conduct_write_is_audited_old_to_new_and_changes_the_year(school: Database) -> None:
    found = find_student(school, "promoted")
    student = found.student
    new = "CĐ"
    row = hr.set_conduct(school, found.teacher, found.class_id, student.student_id, "hk2", new)
    assert row.conduct_hk2 == "CĐ" and row.conduct_year == "CĐ"
    # Year conduct Chưa đạt, learning at least Đạt: summer training (Điều 13).
    assert row.promotion == "ren_luyen_he" and row.decided_by == "summer"
    entry = last_audit(school)
    assert entry.action == "homeroom.conduct"
    assert entry.actor == found.teacher.login
    assert entry.entity == "enrolment" and entry.entity_id == str(student.enrolment_id)
    assert entry.detail == {
        "class_id": found.class_id, "student_id": student.student_id, "period": "hk2",
        "old": student.conduct_hk2, "new": "CĐ",
    }
    with school.read() as s:
        assert verify_chain(s).ok
    # The same value again changes nothing and writes no audit entry.
    before = audit_count(school)
    hr.set_conduct(school, found.teacher, found.class_id, student.student_id, "hk2", "Chưa đạt")
    assert audit_count(school) == before


def test_conduct_cleared_leaves_semester_results(school: Database) -> None:
    found = find_student(school, "promoted")
    row = hr.set_conduct(school, found.teacher, found.class_id, found.student.student_id, "hk2", None)
    assert row.conduct_hk2 is None and row.conduct_year is None
    assert row.promotion is None and row.problem_field == "conduct"
    assert "học kì II" in (row.problem or "")
    # Learning is still computed for each semester and the year: only conduct is missing.
    assert row.learning_hk1 == found.student.learning_hk1
    assert row.learning_year == found.student.learning_year
    assert last_audit(school).detail["new"] is None


def test_bad_conduct_value_is_refused_with_what_to_type(school: Database) -> None:
    found = find_student(school, "promoted")
    with pytest.raises(UserFacingError, match="Tốt \\(T\\), Khá \\(K\\)"):
        hr.set_conduct(school, found.teacher, found.class_id, found.student.student_id, "hk1", "Giỏi")
    assert hr.parse_conduct("tốt") == "T"
    assert hr.parse_conduct("cđ") == "CĐ"
    assert hr.parse_conduct("chua dat") == "CĐ"


def test_absences_over_the_limit_hold_the_student_back(school: Database) -> None:
    found = find_student(school, "promoted")
    sid = found.student.student_id
    row = hr.set_absences(school, found.teacher, found.class_id, sid, 1, excused=30, unexcused=0)
    assert row.absent(1) == (30, 0)
    row = hr.set_absences(school, found.teacher, found.class_id, sid, 2, excused=10, unexcused=6)
    assert row.sessions_absent == 46
    assert row.promotion == "o_lai" and row.decided_by == "absence"
    assert row.explanations[0].text.startswith("Ở lại lớp")
    entry = last_audit(school)
    assert entry.action == "homeroom.absences"
    assert entry.detail["new"] == [10, 6] and entry.detail["semester"] == 2
    with pytest.raises(UserFacingError, match="từ 0 đến"):
        hr.set_absences(school, found.teacher, found.class_id, sid, 2, excused=-1, unexcused=0)


def test_year_comment_and_awards(school: Database) -> None:
    found = find_student(school, "promoted", title="gioi")
    sid = found.student.student_id
    row = hr.set_year_comment(school, found.teacher, found.class_id, sid, "  Em chăm ngoan, học tốt.  ")
    assert row.year_comment == "Em chăm ngoan, học tốt."
    assert last_audit(school).detail["old"] == found.student.year_comment
    row = hr.add_award(school, found.teacher, found.class_id, sid, kind="gioi", title="Học sinh Giỏi")
    award = row.awards[-1]
    assert (award.kind, award.title) == ("gioi", "Học sinh Giỏi")
    assert last_audit(school).action == "homeroom.award.add"
    with pytest.raises(UserFacingError, match="nội dung khen thưởng"):
        hr.add_award(school, found.teacher, found.class_id, sid, kind="khac", title="   ")
    row = hr.remove_award(school, found.teacher, found.class_id, award.id)
    assert all(a.id != award.id for a in row.awards)
    assert last_audit(school).detail["old"]["title"] == "Học sinh Giỏi"  # type: ignore[index]
    with pytest.raises(NotFound):
        hr.remove_award(school, found.teacher, found.class_id, award.id)
    row = hr.set_year_comment(school, found.teacher, found.class_id, sid, "")
    assert row.year_comment == ""


# --------------------------------------------------------------------------- summer paths


def test_summer_conduct_updates_the_decision(school: Database) -> None:
    found = find_student(school, "summer")
    sid = found.student.student_id
    assert found.student.promotion == "ren_luyen_he"
    row = hr.set_conduct(school, found.teacher, found.class_id, sid, "he", "Đ")
    assert row.promotion == "len_lop" and row.conduct_after_summer == "Đ"
    assert row.explanations[0].kind == "promotion"
    assert "sau rèn luyện trong kì nghỉ hè" in row.explanations[0].text
    assert row.explanations[1].kind == "conduct_after_summer"
    # Stored: a fresh read says the same.
    fresh = hr.homeroom_overview(school, found.teacher, found.class_id).student(sid)
    assert fresh.promotion == "len_lop"
    row = hr.set_conduct(school, found.teacher, found.class_id, sid, "he", "CĐ")
    assert row.promotion == "o_lai"
    row = hr.set_conduct(school, found.teacher, found.class_id, sid, "he", None)
    assert row.promotion == "ren_luyen_he"


def test_summer_conduct_refused_for_a_student_not_in_summer_training(school: Database) -> None:
    found = find_student(school, "promoted")
    before = audit_count(school)
    with pytest.raises(UserFacingError, match="không thuộc diện rèn luyện trong kì nghỉ hè"):
        hr.set_conduct(school, found.teacher, found.class_id, found.student.student_id, "he", "T")
    assert audit_count(school) == before
    with school.read() as s:
        stored = s.scalar(
            select(Conduct).where(Conduct.enrolment_id == found.student.enrolment_id, Conduct.period == "he")
        )
    assert stored is None


def test_change_that_voids_a_summer_result_is_refused(school: Database) -> None:
    found = find_student(school, "summer")
    sid = found.student.student_id
    hr.set_conduct(school, found.teacher, found.class_id, sid, "he", "Đ")
    with pytest.raises(UserFacingError, match="xoá kết quả sau hè"):
        hr.set_conduct(school, found.teacher, found.class_id, sid, "hk2", "T")
    row = hr.homeroom_overview(school, found.teacher, found.class_id).student(sid)
    assert row.conduct_hk2 == found.student.conduct_hk2 and row.conduct_after_summer == "Đ"


def test_reassessment_results_update_the_decision(school: Database) -> None:
    found = find_student(school, "reassessment")
    sid = found.student.student_id
    subjects = found.student.reassessment_subjects
    assert len(subjects) >= 2 and found.student.promotion == "kiem_tra_lai"
    good = {"score": "8,0", "comment": "Đạt"}
    row = hr.set_reassessment(school, found.teacher, found.class_id, sid, subjects[0].subject_id,
                              good[subjects[0].kind])
    # One result is not enough: the student still waits for the others.
    assert row.promotion == "kiem_tra_lai"
    assert "Còn chờ kết quả" in row.explanations[0].text
    for line in subjects[1:]:
        row = hr.set_reassessment(
            school, found.teacher, found.class_id, sid, line.subject_id, good[line.kind]
        )
    assert row.promotion == "len_lop"
    assert row.learning_after_reassessment in ("Đ", "K", "T")
    assert [e.kind for e in row.explanations[:2]] == ["promotion", "learning_after_reassessment"]
    entry = last_audit(school)
    assert entry.action == "homeroom.reassessment" and entry.detail["subject_id"] == subjects[-1].subject_id
    with school.read() as s:
        stored = s.scalar(
            select(Reassessment.value).where(
                Reassessment.enrolment_id == found.student.enrolment_id,
                Reassessment.subject_id == subjects[0].subject_id,
            )
        )
    assert stored == ("8" if subjects[0].kind == "score" else "Đ")
    # Failing the re-assessment: the learning result stays Chưa đạt, the student stays back.
    bad = {"score": "2", "comment": "CĐ"}
    for line in subjects:
        row = hr.set_reassessment(school, found.teacher, found.class_id, sid, line.subject_id, bad[line.kind])
    assert row.promotion == "o_lai"


def test_reassessment_refused_for_a_subject_not_on_the_list(school: Database) -> None:
    found = find_student(school, "reassessment")
    other = next(s for s in found.student.subjects if not s.needs_reassessment)
    with pytest.raises(UserFacingError, match="không thuộc diện kiểm tra lại"):
        hr.set_reassessment(school, found.teacher, found.class_id, found.student.student_id,
                            other.subject_id, "7")


def test_summer_result_refused_while_the_year_is_incomplete(school: Database) -> None:
    found = find_student(school, "reassessment")
    line = found.student.reassessment_subjects[0]
    with school.write() as s:  # a mid-term score goes missing (arranged straight in the file)
        row = s.scalar(
            select(SecondaryAssessment).where(
                SecondaryAssessment.enrolment_id == found.student.enrolment_id,
                SecondaryAssessment.subject_id == line.subject_id,
                SecondaryAssessment.semester == 2,
            )
        )
        assert row is not None
        row.gk = None
    with pytest.raises(UserFacingError, match="kết quả cả năm chưa tính được"):
        hr.set_reassessment(school, found.teacher, found.class_id, found.student.student_id,
                            line.subject_id, "7")


def test_student_of_another_class_is_not_found(school: Database) -> None:
    first, second = class_ids(school)
    teacher = homeroom_teacher(school, first)
    stranger = hr.homeroom_overview(school, SYSTEM, second).students[0]
    with pytest.raises(NotFound):
        hr.set_year_comment(school, teacher, first, stranger.student_id, "Nhầm lớp")


def test_parse_reassessment() -> None:
    scored = ClassSubject(1, "toan", "Toán", "score", 140, None, False)
    comment = ClassSubject(2, "gdtc", "Giáo dục thể chất", "comment", 70, None, False)
    assert hr.parse_reassessment("6,5", scored) == "6.5"
    assert hr.parse_reassessment("7", scored) == "7"
    assert hr.parse_reassessment("10.0", scored) == "10"
    assert hr.parse_reassessment("", scored) is None
    for bad in ("10,5", "6,25", "bảy", "-1"):
        with pytest.raises(UserFacingError, match="từ 0 đến 10"):
            hr.parse_reassessment(bad, scored)
    assert hr.parse_reassessment("Đạt", comment) == "Đ"
    assert hr.parse_reassessment("cđ", comment) == "CĐ"
    with pytest.raises(UserFacingError, match="Đ \\(Đạt\\) hoặc CĐ"):
        hr.parse_reassessment("7", comment)


def test_summer_entries_list_what_to_enter(school: Database) -> None:
    found = find_student(school, "reassessment")
    entries = hr.summer_entries(found.overview)
    mine = [e for e in entries if e.student_id == found.student.student_id]
    assert [e.subject_id for e in mine] == [s.subject_id for s in found.student.reassessment_subjects]
    assert all(e.kind == "reassessment" and e.value is None for e in mine)
    assert all(Decimal(e.before.replace(",", ".")) < 5 for e in mine if e.subject_kind == "score")
    summer = [e for e in entries if e.kind == "conduct"]
    assert all(e.before == "Chưa đạt" for e in summer)


def test_writes_on_a_student_who_left_are_refused(school: Database) -> None:
    found = find_student(school, "promoted")
    with school.write() as s:
        enrolment = s.get(Enrolment, found.student.enrolment_id)
        assert enrolment is not None
        enrolment.end_date = enrolment.start_date
        enrolment.end_reason = "chuyển trường"
    with pytest.raises(NotFound, match="không \\(còn\\) học ở lớp này"):
        hr.set_year_comment(school, found.teacher, found.class_id, found.student.student_id, "Chào em")


def test_conduct_refused_for_primary_classes(tmp_path: Path) -> None:
    db = open_database(tmp_path / "primary.sqlite3")
    try:
        create_demo_school(db, level="tieuhoc", classes=1, students_per_class=8, seed=3)
        class_id = class_ids(db)[0]
        teacher = homeroom_teacher(db, class_id)
        overview = hr.homeroom_overview(db, teacher, class_id)
        assert overview.is_primary and overview.students[0].learning_year in ("HTXS", "HTT", "HT", "CHT")
        assert overview.students[0].explanations[0].kind in ("primary_completion", "not_assessed")
        with pytest.raises(UserFacingError, match="tiểu học"):
            hr.set_conduct(db, teacher, class_id, overview.students[0].student_id, "hk1", "T")
        first = overview.students[0].student_id
        row = hr.set_absences(db, teacher, class_id, first, 1, excused=2, unexcused=1)
        assert row.absent(1) == (2, 1)
        with db.read() as s:
            assert s.scalar(select(Subject.assessment).limit(1)) == "level"
    finally:
        db.dispose()
