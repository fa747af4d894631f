"""What the signed-in person can sign, for the "Ký số" page: roles, scopes, certificates, plans.

The signing order itself (app.services.signing_order) knows nothing of who is signed in:
it trusts the certificate. This module adds the actor: which signing roles the account has
(subject teacher, homeroom teacher, principal or vice principal, the seal for the admin and
the clerk), which classes each role covers (the whole school for leaders and the seal), the
certificates registered to the account (or the seal's), and plans for several classes at
once, refusing a role, a class or a certificate that is not the actor's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from app.models import Certificate, SchoolClass, SchoolYear
from app.models import documents as d
from app.models.db import Database
from app.models.people import ROLE_ADMIN, ROLE_CLERK, ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL
from app.services.access import Actor, PermissionDenied
from app.services.certificates import SEAL, demo_folder, ensure_demo_signers, school_of
from app.services.signing_order import SigningPlan, SigningRefused, plan_signing

ROLE_TITLES = {
    d.ROLE_GVBM: "Giáo viên bộ môn: ký bảng điểm môn học",
    d.ROLE_GVCN: "Giáo viên chủ nhiệm: ký học bạ của lớp",
    d.ROLE_LEADER: "Lãnh đạo nhà trường: phê duyệt học bạ",
    d.ROLE_SEAL: "Con dấu nhà trường: đóng dấu phát hành",
}
WHOLE_SCHOOL = "Toàn trường"
_demo_lock = threading.Lock()


@dataclass(frozen=True)
class Scope:
    label: str  # a class name, or "Toàn trường"
    class_ids: tuple[int, ...]


@dataclass(frozen=True)
class RegisteredCert:
    sha256: str
    subject: str
    not_after: datetime


@dataclass(frozen=True)
class DemoChoice:
    folder: Path
    identity: str  # the demo credential: the account's login, or "school-seal"
    sha256: str


def signing_roles(actor: Actor) -> tuple[str, ...]:
    """The signing roles of this account, in the order of the signing order."""
    roles = []
    if actor.teaching:
        roles.append(d.ROLE_GVBM)
    if actor.homeroom_class_ids:
        roles.append(d.ROLE_GVCN)
    if actor.roles & {ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL}:
        roles.append(d.ROLE_LEADER)
    if actor.roles & {ROLE_ADMIN, ROLE_CLERK}:
        roles.append(d.ROLE_SEAL)
    return tuple(roles)


def _require_role(actor: Actor, role: str) -> None:
    if role not in signing_roles(actor):
        raise PermissionDenied(
            "Tài khoản của bạn không có vai trò ký này. Hãy nhờ quản trị viên kiểm tra phân công."
        )


def signing_scopes(db: Database, actor: Actor, role: str) -> tuple[Scope, ...]:
    """The classes of the current year this role covers; leaders and the seal get the whole school first."""
    _require_role(actor, role)
    with db.read() as s:
        rows = s.execute(
            select(SchoolClass.id, SchoolClass.name)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .where(SchoolYear.is_current.is_(True))
            .order_by(SchoolClass.name)
        ).all()
    if role == d.ROLE_GVBM:
        rows = [r for r in rows if r.id in actor.taught_class_ids]
    elif role == d.ROLE_GVCN:
        rows = [r for r in rows if r.id in actor.homeroom_class_ids]
    scopes = [Scope(name, (class_id,)) for class_id, name in rows]
    if role in (d.ROLE_LEADER, d.ROLE_SEAL) and len(scopes) > 1:
        scopes.insert(0, Scope(WHOLE_SCHOOL, tuple(class_id for class_id, _ in rows)))
    return tuple(scopes)


def registered_certificates(db: Database, actor: Actor, role: str) -> tuple[RegisteredCert, ...]:
    """Certificates this role signs with: the account's own, or the school seal's; newest first."""
    _require_role(actor, role)
    with db.read() as s:
        query = select(Certificate).where(Certificate.revoked_at.is_(None))
        if role == d.ROLE_SEAL:
            query = query.where(Certificate.is_school_seal.is_(True))
        else:
            query = query.where(Certificate.user_id == actor.user_id, Certificate.is_school_seal.is_(False))
        certs = s.scalars(query.order_by(Certificate.not_after.desc())).all()
        return tuple(RegisteredCert(c.sha256, c.subject, c.not_after) for c in certs)


def school_is_demo(db: Database) -> bool:
    with db.read() as s:
        return bool(school_of(s).is_demo)


def demo_choice(db: Database, actor: Actor, role: str) -> DemoChoice | None:
    """The demo signer for this account and role (demo school only; made on first use)."""
    _require_role(actor, role)
    if not school_is_demo(db):
        return None
    with _demo_lock:  # two first uses at once would each make keys in the same folder
        demo = ensure_demo_signers(db)
    identity = SEAL if role == d.ROLE_SEAL else actor.login
    cred = demo.credentials.get(identity)
    if cred is None:
        return None
    return DemoChoice(demo_folder(db), identity, cred.sha256)


def desk_plans(
    db: Database, actor: Actor, role: str, class_ids: tuple[int, ...], certificate_sha256: str
) -> tuple[SigningPlan, ...]:
    """One plan per class; refused when the class or the certificate is not this actor's to use."""
    allowed = {c for scope in signing_scopes(db, actor, role) for c in scope.class_ids}
    if not set(class_ids) <= allowed:
        raise PermissionDenied("Bạn không được ký cho lớp này. Hãy chọn một lớp trong danh sách.")
    mine = {c.sha256 for c in registered_certificates(db, actor, role)}
    if certificate_sha256 not in mine:
        raise SigningRefused(
            "Chứng thư số này không đăng ký cho tài khoản của bạn (hoặc cho con dấu của trường). "
            "Hãy cắm đúng token, hoặc nhờ quản trị viên đăng ký chứng thư số."
        )
    return tuple(plan_signing(db, role, class_id, certificate_sha256) for class_id in class_ids)
