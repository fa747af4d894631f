"""Who may see and do what: checked in the services, not only by hiding buttons.

Every service that reads or changes class data takes an `Actor` and calls one of the
`require_*` functions before touching anything. The command line acts as `SYSTEM`
(IT staff with access to the database file have every right anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import SchoolClass, TeachingAssignment, UserAccount
from app.models.people import (
    ROLE_ADMIN,
    ROLE_CLERK,
    ROLE_PRINCIPAL,
    ROLE_VICE_PRINCIPAL,
)

# Roles that see every class of the school (read-only unless another rule allows more).
SCHOOL_WIDE_ROLES = frozenset({ROLE_ADMIN, ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL, ROLE_CLERK})
LEADER_ROLES = frozenset({ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL})


class PermissionDenied(UserFacingError):
    """The signed-in person may not do this; the message says who can."""


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    login: str
    full_name: str
    roles: frozenset[str]
    homeroom_class_ids: frozenset[int] = field(default_factory=frozenset)
    # (class_id, subject_id) pairs this person teaches.
    teaching: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    is_system: bool = False

    @property
    def sees_whole_school(self) -> bool:
        return self.is_system or bool(self.roles & SCHOOL_WIDE_ROLES)

    @property
    def is_admin(self) -> bool:
        return self.is_system or ROLE_ADMIN in self.roles

    @property
    def is_leader(self) -> bool:
        return self.is_system or bool(self.roles & LEADER_ROLES)

    @property
    def taught_class_ids(self) -> frozenset[int]:
        return frozenset(c for c, _ in self.teaching)


SYSTEM = Actor(
    user_id=None, login="system", full_name="Hệ thống", roles=frozenset(), is_system=True
)


def load_actor(session: Session, user_id: int) -> Actor:
    user = session.get(UserAccount, user_id)
    if user is None or not user.active:
        raise PermissionDenied("Tài khoản không tồn tại hoặc đã bị khoá. Hãy liên hệ quản trị viên.")
    homeroom = frozenset(
        session.scalars(select(SchoolClass.id).where(SchoolClass.homeroom_teacher_id == user_id))
    )
    teaching = frozenset(
        (c, s)
        for c, s in session.execute(
            select(TeachingAssignment.class_id, TeachingAssignment.subject_id).where(
                TeachingAssignment.teacher_id == user_id
            )
        )
    )
    return Actor(
        user_id=user.id,
        login=user.login,
        full_name=user.full_name,
        roles=user.role_codes,
        homeroom_class_ids=homeroom,
        teaching=teaching,
    )


def can_view_class(actor: Actor, class_id: int) -> bool:
    return (
        actor.sees_whole_school
        or class_id in actor.homeroom_class_ids
        or class_id in actor.taught_class_ids
    )


def require_view_class(actor: Actor, class_id: int) -> None:
    if not can_view_class(actor, class_id):
        raise PermissionDenied(
            "Bạn không được phân công dạy hoặc chủ nhiệm lớp này nên không xem được dữ liệu của lớp."
        )


def can_edit_scores(actor: Actor, class_id: int, subject_id: int) -> bool:
    # Only the assigned subject teacher enters scores; leaders review, they do not type scores.
    return actor.is_system or (class_id, subject_id) in actor.teaching


def require_edit_scores(actor: Actor, class_id: int, subject_id: int) -> None:
    if not can_edit_scores(actor, class_id, subject_id):
        raise PermissionDenied(
            "Chỉ giáo viên bộ môn được phân công dạy môn này ở lớp này mới nhập được điểm."
        )


def can_edit_homeroom(actor: Actor, class_id: int) -> bool:
    return actor.is_system or class_id in actor.homeroom_class_ids


def require_homeroom(actor: Actor, class_id: int) -> None:
    if not can_edit_homeroom(actor, class_id):
        raise PermissionDenied("Chỉ giáo viên chủ nhiệm của lớp mới làm được việc này.")


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Chỉ cán bộ quản trị mới làm được việc này.")


def require_leader(actor: Actor) -> None:
    if not actor.is_leader:
        raise PermissionDenied("Chỉ hiệu trưởng hoặc phó hiệu trưởng mới làm được việc này.")
