"""The pre-sign checklist: each kind of item from a precise change to a real demo school."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.models import SecondaryAssessment, Student, Subject, TeachingAssignment
from app.models.base import utcnow
from app.models.db import Database
from app.services import homeroom as hr
from app.services.access import PermissionDenied
from app.services.checklist import (
    BLOCKING_KINDS,
    KIND_LABELS,
    PAGE_HOMEROOM,
    PAGE_MARKBOOK,
    PAGE_STUDENTS,
    Checklist,
    ChecklistItem,
    class_checklist,
    mark_looked,
)
from tests.services.homeroom_data import (
    Found,
    actor_by_login,
    class_ids,
    find_student,
    homeroom_teacher,
    school,
    subject_teacher_not_homeroom,
    template,
)

__all__ = ["school", "template"]  # fixtures


def _items(checklist: Checklist, kind: str) -> list[ChecklistItem]:
    return [i for i in checklist.items if i.kind == kind]


def _promoted(db: Database) -> Found:
    return find_student(db, "promoted")


def _lock_all(db: Database, class_id: int) -> None:
    with db.write() as s:
        s.execute(update(TeachingAssignment).where(TeachingAssignment.class_id == class_id)
                  .values(locked_at=utcnow()))


def test_unlocked_subjects_until_each_is_locked(school: Database) -> None:
    found = _promoted(school)
    checklist = class_checklist(school, found.teacher, found.class_id)
    unlocked = _items(checklist, "unlocked_subject")
    assert {i.target.subject_id for i in unlocked} == {s.id for s in found.overview.subjects}
    first = unlocked[0]
    assert first.blocking and first.target.page == PAGE_MARKBOOK
    assert first.target.class_id == found.class_id and first.target.student_id is None
    with school.write() as s:
        s.execute(update(TeachingAssignment).where(
            TeachingAssignment.class_id == found.class_id,
            TeachingAssignment.subject_id == first.target.subject_id,
        ).values(locked_at=utcnow()))
    again = _items(class_checklist(school, found.teacher, found.class_id), "unlocked_subject")
    assert first.target.subject_id not in {i.target.subject_id for i in again}
    assert len(again) == len(unlocked) - 1


def test_unassigned_subject(school: Database) -> None:
    found = _promoted(school)
    subject = found.overview.subjects[0]
    with school.write() as s:
        row = s.scalar(select(TeachingAssignment).where(
            TeachingAssignment.class_id == found.class_id, TeachingAssignment.subject_id == subject.id))
        s.delete(row)
    items = _items(class_checklist(school, found.teacher, found.class_id), "unassigned_subject")
    assert [(i.subject_name, i.target.subject_id) for i in items] == [(subject.name, subject.id)]
    assert "chưa được phân công" in items[0].text


def test_missing_score_points_at_the_cell(school: Database) -> None:
    found = _promoted(school)
    student = found.student
    subject = next(s for s in found.overview.subjects if s.kind == "score")
    with school.write() as s:
        row = s.scalar(select(SecondaryAssessment).where(
            SecondaryAssessment.enrolment_id == student.enrolment_id,
            SecondaryAssessment.subject_id == subject.id, SecondaryAssessment.semester == 2))
        assert row is not None
        row.ck = None
    checklist = class_checklist(school, found.teacher, found.class_id)
    items = _items(checklist, "missing_scores")
    assert len(items) == 1
    item = items[0]
    assert item.blocking and item.student_name == student.full_name and item.subject_name == subject.name
    assert "cuối kì học kì II" in item.text
    assert (item.target.page, item.target.subject_id, item.target.student_id) == (
        PAGE_MARKBOOK, subject.id, student.student_id)
    assert (item.target.period, item.target.field) == ("2", "ck")
    assert item.target.selection() == {
        "class_id": found.class_id, "subject_id": subject.id, "student_id": student.student_id,
        "period": "2", "field": "ck",
    }
    # The subject is also reported as not lockable yet.
    unlocked = next(i for i in _items(checklist, "unlocked_subject") if i.target.subject_id == subject.id)
    assert "còn thiếu 1 mục" in unlocked.text


def test_missing_subject_comments_name_the_students(school: Database) -> None:
    found = _promoted(school)
    subject = found.overview.subjects[0]
    with school.write() as s:
        s.execute(update(SecondaryAssessment).where(SecondaryAssessment.subject_id == subject.id)
                  .values(comment="Có cố gắng."))
        s.execute(update(SecondaryAssessment).where(
            SecondaryAssessment.subject_id == subject.id,
            SecondaryAssessment.enrolment_id == found.student.enrolment_id,
            SecondaryAssessment.semester == 1).values(comment=None))
    items = [i for i in _items(class_checklist(school, found.teacher, found.class_id),
                               "missing_subject_comments") if i.target.subject_id == subject.id]
    assert len(items) == 1
    assert not items[0].blocking
    assert "1 học sinh chưa có nhận xét" in items[0].text and found.student.full_name in items[0].text
    assert items[0].target.student_id == found.student.student_id and items[0].target.field == "comment"


def test_missing_conduct_and_year_comment(school: Database) -> None:
    found = _promoted(school)
    sid = found.student.student_id
    before = class_checklist(school, found.teacher, found.class_id)
    assert not _items(before, "missing_conduct") and not _items(before, "missing_year_comment")
    hr.set_conduct(school, found.teacher, found.class_id, sid, "hk1", None)
    hr.set_year_comment(school, found.teacher, found.class_id, sid, "")
    after = class_checklist(school, found.teacher, found.class_id)
    (conduct,) = _items(after, "missing_conduct")
    assert conduct.blocking and "rèn luyện học kì I" in conduct.text
    assert (conduct.target.page, conduct.target.student_id, conduct.target.field) == (
        PAGE_HOMEROOM, sid, "conduct_hk1")
    (comment,) = _items(after, "missing_year_comment")
    assert not comment.blocking and comment.target.field == "year_comment"


def test_student_without_identification_number(school: Database) -> None:
    found = _promoted(school)
    initially = {i.target.student_id for i in _items(class_checklist(school, found.teacher, found.class_id),
                                                     "missing_national_id")}
    with school.write() as s:
        s.execute(update(Student).where(Student.id == found.student.student_id).values(national_id=None))
    items = _items(class_checklist(school, found.teacher, found.class_id), "missing_national_id")
    assert {i.target.student_id for i in items} == initially | {found.student.student_id}
    item = next(i for i in items if i.target.student_id == found.student.student_id)
    assert item.blocking and item.target.page == PAGE_STUDENTS and "số định danh" in item.text


def test_students_waiting_for_summer_results(school: Database) -> None:
    found = find_student(school, "summer")
    checklist = class_checklist(school, found.teacher, found.class_id)
    sid = found.student.student_id
    (item,) = [i for i in _items(checklist, "summer_pending") if i.target.student_id == sid]
    assert not item.blocking and item.target.field == "summer" and "rèn luyện lại trong hè" in item.text
    hr.set_conduct(school, found.teacher, found.class_id, found.student.student_id, "he", "Đ")
    after = class_checklist(school, found.teacher, found.class_id)
    assert found.student.student_id not in {i.target.student_id for i in _items(after, "summer_pending")}


def test_results_changed_since_the_last_look(school: Database) -> None:
    found = _promoted(school)
    teacher = found.teacher
    first = class_checklist(school, teacher, found.class_id)
    assert first.last_looked_at is None and not _items(first, "results_changed")
    looked = mark_looked(school, teacher, found.class_id)
    unchanged = class_checklist(school, teacher, found.class_id)
    assert unchanged.last_looked_at == looked and not _items(unchanged, "results_changed")
    old = found.student.conduct_hk1
    new = "CĐ" if old != "CĐ" else "T"
    hr.set_conduct(school, teacher, found.class_id, found.student.student_id, "hk1", new)
    (item,) = _items(class_checklist(school, teacher, found.class_id), "results_changed")
    assert item.target.student_id == found.student.student_id and item.target.page == PAGE_HOMEROOM
    assert f"Rèn luyện HKI: {hr.LEVEL_LABELS[old]} → {hr.LEVEL_LABELS[new]}" in item.text
    # Another person's last look is theirs: the principal has not looked yet.
    principal = actor_by_login(school, "hieutruong")
    assert not _items(class_checklist(school, principal, found.class_id), "results_changed")
    mark_looked(school, teacher, found.class_id)
    assert not _items(class_checklist(school, teacher, found.class_id), "results_changed")


def test_a_finished_class_has_only_non_blocking_items(school: Database) -> None:
    def calm(class_id: int) -> bool:
        overview = hr.homeroom_overview(school, homeroom_teacher(school, class_id), class_id)
        return not any(s.in_summer_training or s.in_reassessment for s in overview.students)

    class_id = next(c for c in class_ids(school) if calm(c))
    teacher = homeroom_teacher(school, class_id)
    missing_ids = [s.student_id for s in hr.homeroom_overview(school, teacher, class_id).students
                   if s.provisional_id]
    with school.write() as s:
        for n, student_id in enumerate(missing_ids):
            s.execute(update(Student).where(Student.id == student_id).values(national_id=f"0010120{n:05d}"))
    before = class_checklist(school, teacher, class_id)
    assert before.blocking_count == len(before.items_of("unlocked_subject")) > 0
    _lock_all(school, class_id)
    checklist = class_checklist(school, teacher, class_id)
    assert checklist.blocking_count == 0
    assert all(i.kind not in BLOCKING_KINDS for i in checklist.items)
    assert set(KIND_LABELS) >= {i.kind for i in checklist.items}


def test_checklist_is_for_the_homeroom_teacher_and_leaders(school: Database) -> None:
    class_id = class_ids(school)[0]
    with pytest.raises(PermissionDenied):
        class_checklist(school, subject_teacher_not_homeroom(school, class_id), class_id)
    with pytest.raises(PermissionDenied):
        mark_looked(school, subject_teacher_not_homeroom(school, class_id), class_id)
    assert class_checklist(school, actor_by_login(school, "hieutruong"), class_id).class_id == class_id
    with school.read() as s:
        assert s.scalar(select(Subject.id).limit(1)) is not None
