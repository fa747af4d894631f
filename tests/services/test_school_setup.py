"""School set-up, staffing, handover, first run, and who sees which class.

Real migrated SQLite files: a small demo school for set-up and roles, an empty file for
the first-run wizard's service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import UserFacingError
from app.models import (
    AuditEntry,
    Grade,
    School,
    SchoolClass,
    SchoolYear,
    Semester,
    Subject,
    TeachingAssignment,
    UserAccount,
)
from app.models.db import Database, open_database
from app.models.people import ROLE_HOMEROOM_TEACHER, ROLE_SUBJECT_TEACHER
from app.rules import curriculum
from app.services import (
    accounts,
    first_run,
    school_calendar,
    school_setup,
    school_staffing,
    school_structure,
)
from app.services.access import SYSTEM, Actor, PermissionDenied
from app.services.audit import verify_chain
from app.services.class_results import class_results, school_overview
from app.services.demo import DEMO_PASSWORD, create_demo_school

TODAY = date(2026, 11, 23)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "school.sqlite3")
    create_demo_school(database, classes=2, students_per_class=3, seed=3, today=TODAY)
    yield database
    database.dispose()


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "new.sqlite3")
    yield database
    database.dispose()


def _actor(db: Database, login: str) -> Actor:
    with db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
    assert user_id is not None, login
    return accounts.actor_for(db, user_id)


def _admin(db: Database) -> Actor:
    return _actor(db, "admin")


def _teachers(db: Database) -> list[school_setup.StaffInfo]:
    overview = school_setup.setup_overview(db, _admin(db))
    return [p for p in overview.staff if p.login.startswith("gv.")]


def _actions(db: Database) -> list[tuple[str, str, dict[str, object]]]:
    with db.read() as s:
        return [(e.actor, e.action, e.detail) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# --------------------------------------------------------------------------- overview and school


def test_setup_overview_shows_the_current_year(db: Database) -> None:
    overview = school_setup.setup_overview(db, _admin(db))
    assert overview.school.is_demo and overview.school.levels == ("thcs",)
    assert [y.name for y in overview.years] == ["2026-2027"]
    assert overview.years[0].is_current and [m.number for m in overview.years[0].semesters] == [1, 2]
    assert [g.number for g in overview.grades] == [6, 7, 8, 9]
    assert [c.name for c in overview.classes] == ["6A1", "7A1"]
    assert all(c.students == 3 and c.homeroom_name for c in overview.classes)
    six = [s for s in overview.subjects if s.grade == 6]
    assert [s.code for s in six] == [e.code for e in curriculum.subjects_for("thcs", 6)]
    assert all(s.has_results for s in six)
    assert {a.class_name for a in overview.assignments} == {"6A1", "7A1"}


def test_update_school_audits_old_and_new(db: Database) -> None:
    admin = _admin(db)
    before = school_setup.setup_overview(db, admin).school
    after = school_setup.update_school(
        db, admin, name="  Trường THCS   Hoà Bình ", school_code=before.school_code,
        department_code=before.department_code, province=before.province,
        issuing_place="Hoà Bình", principal_name=before.principal_name,
    )
    assert after.name == "Trường THCS Hoà Bình"
    actor, action, detail = _actions(db)[-1]
    assert (actor, action) == ("admin", "school.update")
    assert detail["name"] == [before.name, "Trường THCS Hoà Bình"]
    assert detail["issuing_place"] == [before.issuing_place, "Hoà Bình"]
    assert "school_code" not in detail
    with pytest.raises(UserFacingError, match="Hãy nhập tên trường") as caught:
        school_setup.update_school(db, admin, name=" ", school_code="x", department_code="x",
                                   province="x", issuing_place="x")
    assert caught.value.field == "name"


# --------------------------------------------------------------------------- years, grades, subjects


def test_new_school_year_copies_subjects_and_becomes_current(db: Database) -> None:
    admin = _admin(db)
    grade6 = next(s for s in school_setup.setup_overview(db, admin).subjects if s.grade == 6)
    school_structure.update_subject(db, admin, grade6.id, name="Ngữ văn (tiếng Việt)", lessons_per_year=150)
    year = school_calendar.create_school_year(db, admin, 2027)
    assert year.name == "2027-2028" and year.is_current
    assert [(m.number, m.start_date, m.end_date) for m in year.semesters] == [
        (1, date(2027, 9, 5), date(2028, 1, 17)),
        (2, date(2028, 1, 18), date(2028, 5, 31)),
    ]
    overview = school_setup.setup_overview(db, admin)
    assert overview.year_id == year.id and overview.classes == ()
    copied = [s for s in overview.subjects if s.grade == 6]
    assert copied[0].name == "Ngữ văn (tiếng Việt)" and copied[0].lessons_per_year == 150
    assert len({s.grade for s in overview.subjects}) == 4
    with pytest.raises(UserFacingError, match="đã có"):
        school_calendar.create_school_year(db, admin, 2027)
    school_calendar.set_current_year(db, admin, overview.years[0].id)
    assert school_setup.setup_overview(db, admin).year_id == overview.years[0].id


def test_year_dates_are_checked(db: Database) -> None:
    admin = _admin(db)
    year = school_setup.setup_overview(db, admin).years[0]
    with pytest.raises(UserFacingError, match="học kì I") as caught:
        school_calendar.set_year_dates(db, admin, year.id, start_date=date(2026, 9, 5),
                                       hk1_end=date(2026, 9, 1), end_date=date(2027, 5, 31))
    assert caught.value.field == "hk1_end"
    updated = school_calendar.set_year_dates(db, admin, year.id, start_date=date(2026, 9, 5),
                                             hk1_end=date(2027, 1, 10), end_date=date(2027, 5, 25))
    assert updated.semesters[1].start_date == date(2027, 1, 11)
    assert _actions(db)[-1][2]["hk1_end"] == ["2027-01-17", "2027-01-10"]


def test_subjects_keep_their_results_safe(db: Database) -> None:
    admin = _admin(db)
    overview = school_setup.setup_overview(db, admin)
    year_id = overview.year_id or 0
    math6 = next(s for s in overview.subjects if s.grade == 6 and s.code == "toan")
    with pytest.raises(UserFacingError, match="không đổi được cách đánh giá"):
        school_structure.update_subject(db, admin, math6.id, assessment="comment")
    with pytest.raises(UserFacingError, match="không xoá được"):
        school_structure.remove_subject(db, admin, math6.id)
    with pytest.raises(UserFacingError, match="Ở THCS/THPT"):
        school_structure.add_subject(db, admin, year_id, 6, name="Tiếng Khmer", lessons_per_year=70,
                                     assessment="level")
    added = school_structure.add_subject(db, admin, year_id, 6, name="Tiếng Khmer", lessons_per_year=70,
                                         assessment="score")
    assert added.code == "tieng_khmer" and not added.has_results
    with pytest.raises(UserFacingError, match="đã có môn"):
        school_structure.add_subject(db, admin, year_id, 6, name="tiếng khmer", lessons_per_year=70,
                                     assessment="score")
    school_structure.update_subject(db, admin, added.id, assessment="comment")
    school_structure.remove_subject(db, admin, added.id)
    assert all(s.id != added.id for s in school_setup.setup_overview(db, admin).subjects)
    assert [a for _, a, _ in _actions(db)][-3:] == ["subject.create", "subject.update", "subject.delete"]


def test_grades_and_default_subjects(db: Database) -> None:
    admin = _admin(db)
    grade = school_structure.add_grade(db, admin, 10)
    assert grade.level == "thpt"
    with db.read() as s:
        assert s.scalar(select(School.levels)) == "03,04"
    year_id = school_setup.setup_overview(db, admin).year_id or 0
    added = school_structure.add_default_subjects(db, admin, year_id, 10)
    assert added == tuple(e.code for e in curriculum.subjects_for("thpt", 10))
    assert school_structure.add_default_subjects(db, admin, year_id, 10) == ()
    with pytest.raises(UserFacingError, match="đã có khối 10"):
        school_structure.add_grade(db, admin, 10)


# --------------------------------------------------------------------------- classes and staffing


def test_classes_are_named_for_their_grade(db: Database) -> None:
    admin = _admin(db)
    year_id = school_setup.setup_overview(db, admin).year_id or 0
    created = school_structure.create_class(db, admin, year_id, 6, " lớp 6a2 ")
    assert created.name == "6A2"
    with pytest.raises(UserFacingError, match="bắt đầu bằng số 7"):
        school_structure.create_class(db, admin, year_id, 7, "6A3")
    with pytest.raises(UserFacingError, match="đã có lớp 6A2"):
        school_structure.create_class(db, admin, year_id, 6, "6a2")
    school_structure.rename_class(db, admin, created.id, "6A3")
    demo_class = school_setup.setup_overview(db, admin).classes[0]
    with pytest.raises(UserFacingError, match="đã có học sinh"):
        school_structure.remove_class(db, admin, demo_class.id)
    school_structure.remove_class(db, admin, created.id)
    assert [c.name for c in school_setup.setup_overview(db, admin).classes] == ["6A1", "7A1"]


def test_homeroom_and_teaching_assignments_grant_the_roles(db: Database) -> None:
    admin = _admin(db)
    new = accounts.create_account(db, admin, login="gv.moi", full_name="Hà Thị Mới", roles=["vanthu"],
                                  temporary_password="tam-thoi-123")
    overview = school_setup.setup_overview(db, admin)
    klass = overview.classes[0]
    school_staffing.set_homeroom(db, admin, klass.id, new.user_id)
    actor = accounts.actor_for(db, new.user_id)
    assert ROLE_HOMEROOM_TEACHER in actor.roles and actor.homeroom_class_ids == {klass.id}
    math = next(a for a in overview.assignments if a.class_id == klass.id and a.subject_name == "Toán")
    changed = school_staffing.assign_teaching(db, admin, new.user_id, [(klass.id, math.subject_id)] * 2)
    assert changed == 1
    actor = accounts.actor_for(db, new.user_id)
    assert ROLE_SUBJECT_TEACHER in actor.roles and actor.teaching == {(klass.id, math.subject_id)}
    assert (klass.id, math.subject_id) not in accounts.actor_for(db, math.teacher_id).teaching
    entry = next(d for _, a, d in reversed(_actions(db)) if a == "teaching.assign")
    assert entry["teacher_id"] == [math.teacher_id, new.user_id]
    other_grade = next(s for s in overview.subjects if s.grade != klass.grade)
    with pytest.raises(UserFacingError, match="không thuộc chương trình"):
        school_staffing.assign_teaching(db, admin, new.user_id, [(klass.id, other_grade.id)])
    assignment_id = next(
        a.id for a in school_setup.setup_overview(db, admin).assignments
        if a.class_id == klass.id and a.subject_id == math.subject_id
    )
    school_staffing.unassign_teaching(db, admin, assignment_id)
    assert accounts.actor_for(db, new.user_id).teaching == frozenset()
    school_staffing.set_homeroom(db, admin, klass.id, None)
    assert accounts.actor_for(db, new.user_id).homeroom_class_ids == frozenset()


def test_handover_moves_future_work_and_keeps_locks(db: Database) -> None:
    admin = _admin(db)
    leaving = next(p for p in _teachers(db) if ROLE_HOMEROOM_TEACHER in p.roles)
    before = accounts.actor_for(db, leaving.user_id)
    replacement = accounts.create_account(
        db, admin, login="gv.thay", full_name="Võ Văn Thay", roles=["gvbm"], temporary_password="tam-thoi-123"
    )
    with db.write() as s:  # the mark book of one subject was already locked
        locked = s.scalar(select(TeachingAssignment).where(TeachingAssignment.teacher_id == leaving.user_id))
        assert locked is not None
        locked.locked_at = datetime(2026, 11, 20, 9, 30)
        locked_id = locked.id
    plan = school_staffing.handover_plan(db, admin, leaving.user_id)
    assert plan.items[0].kind == "homeroom" and len(plan.items) == 1 + len(before.teaching)
    assert next(i for i in plan.items if i.id == locked_id and i.kind == "teaching").locked
    with pytest.raises(UserFacingError, match="lí do"):
        school_staffing.handover(db, admin, leaving.user_id, replacement.user_id, reason=" ")
    result = school_staffing.handover(db, admin, leaving.user_id, replacement.user_id, reason="Nghỉ hưu")
    assert len(result.moved) == len(plan.items)
    after_old = accounts.actor_for(db, leaving.user_id)
    after_new = accounts.actor_for(db, replacement.user_id)
    assert after_old.teaching == frozenset() and after_old.homeroom_class_ids == frozenset()
    assert after_new.teaching == before.teaching and after_new.homeroom_class_ids == before.homeroom_class_ids
    assert ROLE_HOMEROOM_TEACHER in after_new.roles
    with db.read() as s:
        assert s.get(TeachingAssignment, locked_id).locked_at is not None  # type: ignore[union-attr]
        assert verify_chain(s).ok
    actor, action, detail = _actions(db)[-1]
    assert (actor, action) == ("admin", "handover")
    assert detail["reason"] == "Nghỉ hưu" and detail["from"] == [leaving.user_id, leaving.full_name]
    # The old account still exists and can still sign in: what they signed stays theirs.
    assert accounts.sign_in(db, leaving.login, DEMO_PASSWORD).user_id == leaving.user_id


def test_partial_handover_moves_only_what_was_chosen(db: Database) -> None:
    admin = _admin(db)
    leaving, taking = _teachers(db)[:2]
    plan = school_staffing.handover_plan(db, admin, leaving.user_id)
    first_teaching = next(i for i in plan.items if i.kind == "teaching")
    school_staffing.handover(db, admin, leaving.user_id, taking.user_id, reason="Nghỉ thai sản",
                             item_ids=[("teaching", first_teaching.id)])
    remaining = school_staffing.handover_plan(db, admin, leaving.user_id)
    assert len(remaining.items) == len(plan.items) - 1
    with pytest.raises(UserFacingError, match="đã thay đổi"):
        school_staffing.handover(db, admin, leaving.user_id, taking.user_id, reason="x",
                                 item_ids=[("teaching", first_teaching.id)])
    with pytest.raises(UserFacingError, match="giáo viên khác"):
        school_staffing.handover(db, admin, leaving.user_id, leaving.user_id, reason="x")


# --------------------------------------------------------------------------- role enforcement


def _setup_calls(db: Database) -> dict[str, Callable[[Actor], object]]:
    overview = school_setup.setup_overview(db, _admin(db))
    year_id = overview.year_id or 0
    klass = overview.classes[0]
    subject = overview.subjects[0]
    teacher = _teachers(db)[0].user_id
    other = _teachers(db)[1].user_id
    d = overview.school
    return {
        "setup_overview": lambda a: school_setup.setup_overview(db, a),
        "update_school": lambda a: school_setup.update_school(
            db, a, name="X", school_code=d.school_code, department_code=d.department_code,
            province=d.province, issuing_place=d.issuing_place),
        "create_school_year": lambda a: school_calendar.create_school_year(db, a, 2030),
        "set_year_dates": lambda a: school_calendar.set_year_dates(
            db, a, year_id, start_date=date(2026, 9, 1), hk1_end=date(2027, 1, 1), end_date=date(2027, 5, 1)),
        "set_current_year": lambda a: school_calendar.set_current_year(db, a, year_id),
        "add_grade": lambda a: school_structure.add_grade(db, a, 10),
        "add_default_subjects": lambda a: school_structure.add_default_subjects(db, a, year_id, 6),
        "add_subject": lambda a: school_structure.add_subject(
            db, a, year_id, 6, name="Môn mới", lessons_per_year=35, assessment="score"),
        "update_subject": lambda a: school_structure.update_subject(db, a, subject.id, lessons_per_year=1),
        "remove_subject": lambda a: school_structure.remove_subject(db, a, subject.id),
        "create_class": lambda a: school_structure.create_class(db, a, year_id, 6, "6A9"),
        "rename_class": lambda a: school_structure.rename_class(db, a, klass.id, "6A8"),
        "remove_class": lambda a: school_structure.remove_class(db, a, klass.id),
        "set_homeroom": lambda a: school_staffing.set_homeroom(db, a, klass.id, None),
        "assign_teaching": lambda a: school_staffing.assign_teaching(
            db, a, teacher, [(klass.id, subject.id)]),
        "unassign_teaching": lambda a: school_staffing.unassign_teaching(db, a, overview.assignments[0].id),
        "handover_plan": lambda a: school_staffing.handover_plan(db, a, teacher),
        "handover": lambda a: school_staffing.handover(db, a, teacher, other, reason="x"),
    }


@pytest.mark.parametrize("who", ["hieutruong", "phohieutruong", "vanthu", "homeroom", "subject"])
def test_only_admins_set_up_the_school(db: Database, who: str) -> None:
    if who == "homeroom":
        login = next(p.login for p in _teachers(db) if ROLE_HOMEROOM_TEACHER in p.roles)
    elif who == "subject":
        login = next(p.login for p in _teachers(db) if ROLE_HOMEROOM_TEACHER not in p.roles)
    else:
        login = who
    actor = _actor(db, login)
    before = len(_actions(db))
    for name, call in _setup_calls(db).items():
        with pytest.raises(PermissionDenied, match="quản trị"):
            call(actor)
        assert name
    assert len(_actions(db)) == before, "nothing was written"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(SchoolYear)) == 1


def test_admin_may_do_all_of_it(db: Database) -> None:
    admin = _admin(db)
    calls = _setup_calls(db)
    for name in ("setup_overview", "update_school", "create_school_year", "handover_plan", "add_grade",
                 "create_class", "set_homeroom", "assign_teaching"):
        calls[name](admin)


# --------------------------------------------------------------------------- who sees which class


def test_teachers_see_only_the_classes_they_teach_or_lead(db: Database) -> None:
    admin = _admin(db)
    overview = school_setup.setup_overview(db, admin)
    extra = school_structure.create_class(db, admin, overview.year_id or 0, 6, "6A2")
    for login in ("admin", "hieutruong", "phohieutruong", "vanthu"):
        seen = school_overview(db, _actor(db, login))
        assert [c.name for c in seen.classes] == ["6A1", "6A2", "7A1"], login
        assert class_results(db, _actor(db, login), extra.id).class_name == "6A2"
    teacher = next(p for p in _teachers(db) if ROLE_HOMEROOM_TEACHER not in p.roles)
    actor = _actor(db, teacher.login)
    assert [c.name for c in school_overview(db, actor).classes] == ["6A1", "7A1"]
    with pytest.raises(PermissionDenied, match="không được phân công"):
        class_results(db, actor, extra.id)
    six = next(s for s in overview.subjects if s.grade == 6 and s.code == "toan")
    school_staffing.assign_teaching(db, admin, teacher.user_id, [(extra.id, six.id)])
    actor = _actor(db, teacher.login)
    assert "6A2" in [c.name for c in school_overview(db, actor).classes]
    assert class_results(db, actor, extra.id).rows == ()
    assert len(school_overview(db, SYSTEM).classes) == 3


def test_a_homeroom_teacher_without_teaching_sees_their_class(db: Database) -> None:
    admin = _admin(db)
    new = accounts.create_account(db, admin, login="gv.cn", full_name="Chu Thị Nhiệm", roles=["gvcn"],
                                  temporary_password="tam-thoi-123")
    klass = school_setup.setup_overview(db, admin).classes[1]
    school_staffing.set_homeroom(db, admin, klass.id, new.user_id)
    actor = accounts.actor_for(db, new.user_id)
    assert [c.name for c in school_overview(db, actor).classes] == [klass.name]
    assert len(class_results(db, actor, klass.id).rows) == 3


# --------------------------------------------------------------------------- first run


def _answers(**changes: object) -> first_run.NewSchool:
    values: dict[str, object] = {
        "name": "Trường THCS Tân Lập", "school_code": "79000123", "department_code": "79",
        "province": "Thành phố Hồ Chí Minh", "issuing_place": "Tân Lập", "levels": ("thcs",),
        "start_year": 2026, "admin_full_name": "Nguyễn Văn Quản", "admin_login": "quantri",
        "admin_password": "mat-khau-quan-tri", "classes_per_grade": 2,
    }
    values.update(changes)
    return first_run.NewSchool(**values)  # type: ignore[arg-type]


def test_first_run_creates_a_complete_empty_school(empty_db: Database) -> None:
    assert not first_run.has_school(empty_db)
    created = first_run.create_school(empty_db, _answers())
    assert first_run.has_school(empty_db)
    assert created.year_name == "2026-2027" and created.grades == (6, 7, 8, 9)
    assert created.classes == ("6A1", "6A2", "7A1", "7A2", "8A1", "8A2", "9A1", "9A2")
    with empty_db.read() as s:
        school = s.scalar(select(School))
        assert school is not None and not school.is_demo and school.levels == "03"
        assert s.scalar(select(func.count()).select_from(Semester)) == 2
        assert s.scalar(select(func.count()).select_from(Grade)) == 4
        assert s.scalar(select(func.count()).select_from(SchoolClass)) == 8
        expected = sum(len(curriculum.subjects_for("thcs", g)) for g in range(6, 10))
        assert s.scalar(select(func.count()).select_from(Subject)) == expected
        assert verify_chain(s).ok
    signed = accounts.sign_in(empty_db, "quantri", "mat-khau-quan-tri")
    admin = accounts.actor_for(empty_db, signed.user_id)
    assert admin.is_admin and not signed.must_change_password
    assert school_overview(empty_db, admin).year_name == "2026-2027"
    with pytest.raises(UserFacingError, match="đã có trường"):
        first_run.create_school(empty_db, _answers())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"levels": ()}, "levels"),
        ({"admin_login": "Quản trị"}, "login"),
        ({"admin_password": "ngan"}, "new_password"),
        ({"classes_per_grade": 99}, "classes_per_grade"),
    ],
)
def test_first_run_refuses_bad_answers_and_writes_nothing(
    empty_db: Database, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(UserFacingError) as caught:
        first_run.create_school(empty_db, _answers(**changes))
    assert caught.value.field == field
    assert not first_run.has_school(empty_db)
    with empty_db.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_first_run_primary_and_combined_levels(empty_db: Database) -> None:
    created = first_run.create_school(empty_db, _answers(levels=("thpt", "thcs"), classes_per_grade=0))
    assert created.grades == (6, 7, 8, 9, 10, 11, 12) and created.classes == ()
    with empty_db.read() as s:
        assert s.scalar(select(School.levels)) == "03,04"
