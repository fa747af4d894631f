"""Reports for the principal: how far each class is along the road to issued, synced records,
and who still lacks a signing certificate.

Per class of the current year (and summed for the school):

- **students**: pupils enrolled now;
- **complete**: records whose year results can be computed (no missing score, conduct or
  attendance: the class page's "Vì sao?" has nothing blocking);
- **mark books locked**: the class's subjects whose mark book is locked (khoá sổ), out of
  the subjects taught; signing needs every one of them;
- **subject sheets signed** by the subject teachers (gvbm), out of the sheets the class
  has (three per subject, two in primary school);
- **signed by the homeroom teacher**, **approved by a leader**, **issued** (sealed by the
  school: the seal's signature is what issues a record, so the two are one column);
- **synced**: issued records whose submission the hub accepted (a verified receipt).

Counts use each student's current record (the newest version not superseded).

**Missing certificates**: everyone who must sign this year and has no usable certificate
registered (none, only expired ones, or only revoked ones): teachers with a class (a
subject taught or a homeroom), the principal and vice principals, and the school seal.

Leaders and admins only. The .xlsx export uses the same layout as the other exports.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import (
    Certificate,
    Document,
    Enrolment,
    Grade,
    OutboxItem,
    SchoolClass,
    SchoolYear,
    TeachingAssignment,
    UserAccount,
    UserRole,
)
from app.models import documents as d
from app.models import outbox as ob
from app.models.db import Database
from app.models.people import ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL
from app.rules.vnsort import name_sort_key
from app.services.access import Actor, PermissionDenied
from app.services.backup_thinning import SCHOOL_TZ
from app.services.certificates import school_of
from app.services.class_results import class_results

__all__ = [
    "ClassProgress",
    "MissingCertificate",
    "PrincipalReport",
    "export_report",
    "principal_report",
    "require_reports",
]

SEAL_LOGIN: Final = "school-seal"
_SECONDARY_SHEETS: Final = 3  # hocky1, hocky2, canam
_PRIMARY_SHEETS: Final = 2  # hocky1, canam (TT27 has no separate semester II sheet)
_SIGNED_BY_GVCN: Final = (d.GVCN_SIGNED, d.APPROVED, d.ISSUED)
_APPROVED: Final = (d.APPROVED, d.ISSUED)


@dataclass(frozen=True)
class ClassProgress:
    class_id: int | None  # None: the school total
    class_name: str
    grade: int | None
    homeroom_name: str | None
    students: int
    complete: int
    markbooks: int
    markbooks_locked: int
    sheets: int
    sheets_signed: int
    gvcn_signed: int
    leader_signed: int
    issued: int
    synced: int


COUNT_FIELDS: Final = tuple(
    f.name
    for f in fields(ClassProgress)
    if f.name not in ("class_id", "class_name", "grade", "homeroom_name")
)


@dataclass(frozen=True)
class MissingCertificate:
    name: str  # the person, or the school for the seal
    login: str  # the account, or "school-seal"
    needed_for: str  # why they sign: "Giáo viên chủ nhiệm lớp 6A1; giáo viên bộ môn 6A1, 6A2"
    problem: str  # "chưa đăng ký chứng thư số", "chứng thư số đã hết hạn ngày 31/12/2026"…


@dataclass(frozen=True)
class PrincipalReport:
    school_name: str
    year_name: str | None
    is_demo: bool
    classes: tuple[ClassProgress, ...]
    totals: ClassProgress
    missing_certificates: tuple[MissingCertificate, ...]
    generated_at: datetime  # the school's time (UTC+7)


def require_reports(actor: Actor) -> None:
    if not (actor.is_leader or actor.is_admin):
        raise PermissionDenied(
            "Chỉ hiệu trưởng, phó hiệu trưởng hoặc cán bộ quản trị mới xem được báo cáo tiến độ học bạ."
        )


def principal_report(db: Database, actor: Actor, *, now: datetime | None = None) -> PrincipalReport:
    """The per-class progress, the school totals and the missing certificates (current year)."""
    require_reports(actor)
    moment = now or datetime.now(UTC)
    with db.read() as s:
        school = school_of(s)
        year = s.scalar(
            select(SchoolYear)
            .where(SchoolYear.school_id == school.id)
            .order_by(SchoolYear.is_current.desc(), SchoolYear.start_date.desc())
            .limit(1)
        )
        head = (school.name, year.name if year else None, bool(school.is_demo))
        classes = _classes(s, year.id) if year is not None else []
        progress = [_class_counts(s, *c) for c in classes]
        missing = _missing_certificates(s, [c[0] for c in classes], moment)
    # The year results run their own reads (rules engine): outside the session above.
    with_complete = tuple(replace(p, complete=_complete(db, actor, p.class_id)) for p in progress)
    totals = ClassProgress(
        None, "Toàn trường", None, None,
        **{name: sum(getattr(p, name) for p in with_complete) for name in COUNT_FIELDS},
    )  # fmt: skip
    generated = moment.astimezone(SCHOOL_TZ).replace(tzinfo=None)
    return PrincipalReport(*head, classes=with_complete, totals=totals, missing_certificates=missing,
                           generated_at=generated)  # fmt: skip


# --------------------------------------------------------------------------- counting


def _classes(s: Session, year_id: int) -> list[tuple[int, str, int, str | None, bool]]:
    rows = s.execute(
        select(SchoolClass.id, SchoolClass.name, Grade.number, UserAccount.full_name, Grade.level)
        .join(Grade, Grade.id == SchoolClass.grade_id)
        .outerjoin(UserAccount, UserAccount.id == SchoolClass.homeroom_teacher_id)
        .where(SchoolClass.school_year_id == year_id)
    ).all()
    found = [(cid, name, grade, homeroom, level == "02") for cid, name, grade, homeroom, level in rows]
    return sorted(found, key=lambda c: (c[2], _natural(c[1])))


def _natural(name: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name.upper()))


def _class_counts(
    s: Session, class_id: int, name: str, grade: int, homeroom: str | None, primary: bool
) -> ClassProgress:
    enrolments = list(
        s.scalars(select(Enrolment.id).where(Enrolment.class_id == class_id, Enrolment.end_date.is_(None)))
    )
    assignments = list(
        s.scalars(select(TeachingAssignment.locked_at).where(TeachingAssignment.class_id == class_id))
    )
    current: dict[int, Document] = {}
    sheets_signed = 0
    for doc in s.scalars(
        select(Document).where(Document.class_id == class_id, Document.superseded.is_(False))
    ):
        if doc.kind == d.KIND_SHEET:
            sheets_signed += doc.state == d.GVBM_SIGNED
        elif doc.enrolment_id in enrolments:
            best = current.get(doc.enrolment_id)
            if best is None or doc.version > best.version:
                current[doc.enrolment_id] = doc
    records = list(current.values())
    accepted = set(
        s.execute(
            select(OutboxItem.document_id, OutboxItem.version).where(
                OutboxItem.kind == d.KIND_RECORD,
                OutboxItem.state == ob.ACCEPTED,
                OutboxItem.document_id.in_([doc.uuid for doc in records]),
            )
        ).all()
    )
    return ClassProgress(
        class_id, name, grade, homeroom,
        students=len(enrolments),
        complete=0,  # filled in from the year results
        markbooks=len(assignments),
        markbooks_locked=sum(1 for locked in assignments if locked is not None),
        sheets=len(assignments) * (_PRIMARY_SHEETS if primary else _SECONDARY_SHEETS),
        sheets_signed=sheets_signed,
        gvcn_signed=sum(1 for doc in records if doc.state in _SIGNED_BY_GVCN),
        leader_signed=sum(1 for doc in records if doc.state in _APPROVED),
        issued=sum(1 for doc in records if doc.state == d.ISSUED),
        synced=sum(1 for doc in records if doc.state == d.ISSUED and (doc.uuid, doc.version) in accepted),
    )  # fmt: skip


def _complete(db: Database, actor: Actor, class_id: int | None) -> int:
    if class_id is None:
        return 0
    try:
        results = class_results(db, actor, class_id)
    except UserFacingError:
        return 0  # a class the rules cannot evaluate yet has no complete record
    return sum(1 for row in results.rows if row.problem is None)


# --------------------------------------------------------------------------- certificates


def _missing_certificates(s: Session, class_ids: list[int], now: datetime) -> tuple[MissingCertificate, ...]:
    names = dict(
        s.execute(select(SchoolClass.id, SchoolClass.name).where(SchoolClass.id.in_(class_ids))).all()
    )
    duties: dict[int, list[str]] = defaultdict(list)
    homeroom: dict[int, list[str]] = defaultdict(list)
    for cid, teacher in s.execute(
        select(SchoolClass.id, SchoolClass.homeroom_teacher_id).where(SchoolClass.id.in_(class_ids))
    ):
        if teacher is not None:
            homeroom[teacher].append(names[cid])
    taught: dict[int, set[str]] = defaultdict(set)
    for teacher, cid in s.execute(
        select(TeachingAssignment.teacher_id, TeachingAssignment.class_id).where(
            TeachingAssignment.class_id.in_(class_ids)
        )
    ):
        taught[teacher].add(names[cid])
    leaders = dict(
        s.execute(
            select(UserAccount.id, UserRole.role)
            .join(UserAccount.roles)
            .where(UserRole.role.in_((ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL)), UserAccount.active.is_(True))
        ).all()
    )
    for user_id, role in leaders.items():
        duties[user_id].append("Hiệu trưởng" if role == ROLE_PRINCIPAL else "Phó Hiệu trưởng")
    for user_id, classes in homeroom.items():
        duties[user_id].append(f"Giáo viên chủ nhiệm lớp {', '.join(sorted(classes, key=_natural))}")
    for user_id, subjects_in in taught.items():
        duties[user_id].append(f"Giáo viên bộ môn lớp {', '.join(sorted(subjects_in, key=_natural))}")

    moment = now.astimezone(UTC).replace(tzinfo=None)
    by_holder: dict[int | None, list[Certificate]] = defaultdict(list)
    for cert in s.scalars(select(Certificate)):
        by_holder[None if cert.is_school_seal else cert.user_id].append(cert)
    people = {u.id: u for u in s.scalars(select(UserAccount).where(UserAccount.id.in_(list(duties))))}
    missing = []
    for user_id, what in duties.items():
        user = people.get(user_id)
        if user is None or not user.active:
            continue
        problem = _certificate_problem(by_holder.get(user_id, []), moment)
        if problem is not None:
            missing.append(MissingCertificate(user.full_name, user.login, "; ".join(what), problem))
    missing.sort(key=lambda m: name_sort_key(m.name))
    seal_problem = _certificate_problem(by_holder.get(None, []), moment)
    if seal_problem is not None:
        school = school_of(s)
        missing.insert(0, MissingCertificate(school.name, SEAL_LOGIN, "Con dấu của trường (phát hành học bạ)",
                                             seal_problem))  # fmt: skip
    return tuple(missing)


def _certificate_problem(certs: list[Certificate], moment: datetime) -> str | None:
    """None when one certificate is usable now, else what is wrong, in words."""
    if not certs:
        return "chưa đăng ký chứng thư số"
    if any(c.revoked_at is None and c.not_before <= moment <= c.not_after for c in certs):
        return None
    live = [c for c in certs if c.revoked_at is None]
    if not live:
        return "chứng thư số đã bị thu hồi; cần đăng ký chứng thư mới"
    newest = max(live, key=lambda c: c.not_after)
    if newest.not_after < moment:
        return f"chứng thư số đã hết hạn ngày {newest.not_after:%d/%m/%Y}"
    return f"chứng thư số chỉ có hiệu lực từ ngày {newest.not_before:%d/%m/%Y}"


# --------------------------------------------------------------------------- export


def export_report(db: Database, actor: Actor, out: Path) -> PrincipalReport:
    """Write the report to `out` (.xlsx; a temp name, then renamed) and return what was written."""
    from app.services.report_workbook import write_report

    report = principal_report(db, actor)
    write_report(report, Path(out))
    return report
