"""Who teaches and leads what: homeroom teachers, teaching assignments, and handover.

Admin-only and audited, like the rest of the set-up. Giving someone a homeroom class or a
subject to teach also gives them the matching role (gvcn / gvbm) if they lack it, so a
newly assigned teacher can work at once.

Handover moves a teacher's *future* work to a replacement: the homeroom classes and the
teaching assignments of a school year. Nothing already done changes hands: signatures are
recorded against the person who signed (with their certificate), not against the
assignment, so what the previous teacher signed stays theirs; a locked mark book stays
locked and its lock time is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import Grade, SchoolClass, SchoolYear, Subject, TeachingAssignment, UserAccount, UserRole
from app.models.db import Database
from app.models.people import ROLE_HOMEROOM_TEACHER, ROLE_SUBJECT_TEACHER
from app.services import audit
from app.services.access import Actor, require_admin
from app.services.accounts import sorted_roles
from app.services.school_setup import get_or_404, natural_key, the_school, year_or_current


@dataclass(frozen=True)
class HandoverItem:
    kind: str  # "homeroom" or "teaching"
    id: int  # class id (homeroom) or teaching assignment id
    class_name: str
    subject_name: str | None
    locked: bool

    @property
    def label(self) -> str:
        if self.kind == "homeroom":
            return f"Chủ nhiệm lớp {self.class_name}"
        return f"{self.subject_name} — lớp {self.class_name}"


@dataclass(frozen=True)
class HandoverPlan:
    teacher_id: int
    teacher_name: str
    year_name: str
    items: tuple[HandoverItem, ...]


@dataclass(frozen=True)
class HandoverResult:
    from_teacher: str
    to_teacher: str
    year_name: str
    moved: tuple[HandoverItem, ...]


# --------------------------------------------------------------------------- helpers


def _active_teacher(s: Session, teacher_id: int) -> UserAccount:
    teacher = get_or_404(s, UserAccount, teacher_id, "giáo viên")
    if not teacher.active:
        raise UserFacingError(
            f"Tài khoản của {teacher.full_name} đã ngừng sử dụng; hãy chọn giáo viên khác "
            "hoặc mở lại tài khoản trước.",
            field="teacher",
        )
    return teacher


def _grant_role(s: Session, actor: Actor, teacher: UserAccount, role: str) -> None:
    if role in teacher.role_codes:
        return
    old = list(sorted_roles(teacher.role_codes))
    teacher.roles.append(UserRole(role=role))
    s.flush()
    audit.append(s, actor=actor.login, action="account.update", entity="user_account", entity_id=teacher.id,
                 detail={"roles": [old, list(sorted_roles(teacher.role_codes))], "why": "assignment"})


# --------------------------------------------------------------------------- homeroom


def set_homeroom(db: Database, actor: Actor, class_id: int, teacher_id: int | None) -> None:
    """Make `teacher_id` the homeroom teacher of a class (None: nobody yet)."""
    require_admin(actor)
    with db.write() as s:
        klass = get_or_404(s, SchoolClass, class_id, "lớp")
        if klass.homeroom_teacher_id == teacher_id:
            return
        old = s.get(UserAccount, klass.homeroom_teacher_id) if klass.homeroom_teacher_id else None
        old_name = old.full_name if old else None
        new_name = None
        if teacher_id is not None:
            teacher = _active_teacher(s, teacher_id)
            _grant_role(s, actor, teacher, ROLE_HOMEROOM_TEACHER)
            new_name = teacher.full_name
        audit.append(s, actor=actor.login, action="class.set_homeroom", entity="school_class",
                     entity_id=klass.id,
                     detail={"class": klass.name,
                             "homeroom_teacher_id": [klass.homeroom_teacher_id, teacher_id],
                             "homeroom_name": [old_name, new_name]})
        klass.homeroom_teacher_id = teacher_id


# --------------------------------------------------------------------------- teaching


def assign_teaching(
    db: Database, actor: Actor, teacher_id: int, pairs: Iterable[tuple[int, int]]
) -> int:
    """Make a teacher teach each (class id, subject id); returns how many changed.

    A pair already taught by someone else moves to this teacher (audited old → new).
    """
    require_admin(actor)
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        raise UserFacingError("Hãy chọn ít nhất một lớp và môn để phân công.")
    changed = 0
    with db.write() as s:
        teacher = _active_teacher(s, teacher_id)
        for class_id, subject_id in wanted:
            klass = get_or_404(s, SchoolClass, class_id, "lớp")
            subject = get_or_404(s, Subject, subject_id, "môn học")
            if subject.school_year_id != klass.school_year_id or subject.grade_id != klass.grade_id:
                raise UserFacingError(
                    f"Môn {subject.name} không thuộc chương trình của lớp {klass.name} trong năm học này.",
                    field="subject",
                )
            existing = s.scalar(select(TeachingAssignment).where(
                TeachingAssignment.class_id == class_id, TeachingAssignment.subject_id == subject_id))
            if existing is not None and existing.teacher_id == teacher_id:
                continue
            old_teacher = existing.teacher_id if existing else None
            if existing is None:
                existing = TeachingAssignment(teacher_id=teacher_id, class_id=class_id, subject_id=subject_id)
                s.add(existing)
            else:
                existing.teacher_id = teacher_id
            s.flush()
            audit.append(s, actor=actor.login, action="teaching.assign", entity="teaching_assignment",
                         entity_id=existing.id,
                         detail={"class": klass.name, "subject": subject.code,
                                 "teacher_id": [old_teacher, teacher_id]})
            changed += 1
        if changed:
            _grant_role(s, actor, teacher, ROLE_SUBJECT_TEACHER)
    return changed


def unassign_teaching(db: Database, actor: Actor, assignment_id: int) -> None:
    require_admin(actor)
    with db.write() as s:
        assignment = get_or_404(s, TeachingAssignment, assignment_id, "phân công")
        if assignment.locked_at is not None:
            raise UserFacingError(
                "Sổ điểm của môn này đã khoá. Hãy dùng “Bàn giao” để chuyển cho giáo viên khác "
                "thay vì bỏ phân công."
            )
        klass = s.get(SchoolClass, assignment.class_id)
        subject = s.get(Subject, assignment.subject_id)
        audit.append(s, actor=actor.login, action="teaching.unassign", entity="teaching_assignment",
                     entity_id=assignment.id,
                     detail={"class": klass.name if klass else None,
                             "subject": subject.code if subject else None,
                             "teacher_id": [assignment.teacher_id, None]})
        s.delete(assignment)


# --------------------------------------------------------------------------- handover


def _plan(s: Session, teacher: UserAccount, year: SchoolYear) -> HandoverPlan:
    homeroom = [
        HandoverItem("homeroom", c.id, c.name, None, False)
        for c in s.scalars(select(SchoolClass).where(
            SchoolClass.school_year_id == year.id, SchoolClass.homeroom_teacher_id == teacher.id))
    ]
    rows = s.execute(
        select(TeachingAssignment, SchoolClass.name, Grade.number, Subject.name, Subject.sort_order)
        .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
        .join(Grade, Grade.id == SchoolClass.grade_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .where(SchoolClass.school_year_id == year.id, TeachingAssignment.teacher_id == teacher.id)
    ).all()
    rows = sorted(rows, key=lambda r: (r[2], natural_key(r[1]), r[4]))
    teaching = [HandoverItem("teaching", a.id, cname, sname, a.locked_at is not None)
                for a, cname, _g, sname, _o in rows]
    homeroom.sort(key=lambda i: natural_key(i.class_name))
    return HandoverPlan(teacher.id, teacher.full_name, year.name, (*homeroom, *teaching))


def handover_plan(db: Database, actor: Actor, teacher_id: int, year_id: int | None = None) -> HandoverPlan:
    """What a teacher leads and teaches in the year (the current one by default)."""
    require_admin(actor)
    with db.read() as s:
        teacher = get_or_404(s, UserAccount, teacher_id, "giáo viên")
        year = year_or_current(s, the_school(s).id, year_id)
        if year is None:
            raise UserFacingError("Chưa có năm học nào. Hãy tạo năm học trước.")
        return _plan(s, teacher, year)


def handover(
    db: Database,
    actor: Actor,
    from_teacher_id: int,
    to_teacher_id: int,
    *,
    reason: str,
    item_ids: Iterable[tuple[str, int]] | None = None,
    year_id: int | None = None,
) -> HandoverResult:
    """Move a teacher's homeroom classes and teaching to a replacement, in one transaction.

    `item_ids`: the (kind, id) pairs of the plan to move; None moves everything.
    """
    require_admin(actor)
    why = " ".join(reason.split())
    if not why:
        raise UserFacingError(
            "Hãy ghi lí do bàn giao (ví dụ: nghỉ hưu, nghỉ thai sản, chuyển trường).", field="reason"
        )
    if from_teacher_id == to_teacher_id:
        raise UserFacingError("Hãy chọn một giáo viên khác để nhận bàn giao.", field="teacher")
    with db.write() as s:
        source = get_or_404(s, UserAccount, from_teacher_id, "giáo viên")
        target = _active_teacher(s, to_teacher_id)
        year = year_or_current(s, the_school(s).id, year_id)
        if year is None:
            raise UserFacingError("Chưa có năm học nào. Hãy tạo năm học trước.")
        plan = _plan(s, source, year)
        chosen = set(item_ids) if item_ids is not None else {(i.kind, i.id) for i in plan.items}
        unknown = chosen - {(i.kind, i.id) for i in plan.items}
        if unknown:
            raise UserFacingError("Danh sách bàn giao đã thay đổi; hãy mở lại hộp thoại bàn giao.")
        moving = tuple(i for i in plan.items if (i.kind, i.id) in chosen)
        if not moving:
            raise UserFacingError(f"{source.full_name} không có lớp hay môn nào được chọn để bàn giao.")
        homeroom = [i for i in moving if i.kind == "homeroom"]
        if homeroom:
            for item in homeroom:
                get_or_404(s, SchoolClass, item.id, "lớp").homeroom_teacher_id = target.id
            _grant_role(s, actor, target, ROLE_HOMEROOM_TEACHER)
        teaching = [i for i in moving if i.kind == "teaching"]
        for item in teaching:
            get_or_404(s, TeachingAssignment, item.id, "phân công").teacher_id = target.id
        if teaching:
            _grant_role(s, actor, target, ROLE_SUBJECT_TEACHER)
        audit.append(
            s, actor=actor.login, action="handover", entity="user_account", entity_id=source.id,
            detail={
                "from": [source.id, source.full_name],
                "to": [target.id, target.full_name],
                "year": year.name,
                "reason": why,
                "homeroom_class_ids": [i.id for i in homeroom],
                "assignment_ids": [i.id for i in teaching],
            },
        )
        return HandoverResult(source.full_name, target.full_name, year.name, moving)
