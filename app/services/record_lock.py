"""The values behind an issued record are locked: the services' refusal, in words.

The database refuses them anyway (app.models.triggers: `*_issued_no_*`): a student whose
current record is issued keeps their scores, conduct, absences, comments and awards as
issued, even if a leader unlocked the mark book afterwards, unless a correction of the
record is approved. The write services call `require_values_open` first so the person sees
why and what to do instead of a database error.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import CorrectionRequest, Document, Enrolment, Student
from app.models import corrections as c
from app.models import documents as d

__all__ = ["RecordIssued", "issued_enrolments", "require_values_open"]


class RecordIssued(UserFacingError):
    """The student's record is issued: values change only through an approved correction."""


def issued_enrolments(s: Session, enrolment_ids: Iterable[int]) -> dict[int, str]:
    """Of `enrolment_ids`, those whose values are locked by an issued record → the student's name."""
    ids = sorted(set(enrolment_ids))
    if not ids:
        return {}
    approved = exists().where(
        CorrectionRequest.enrolment_id == Enrolment.id, CorrectionRequest.state == c.APPROVED
    )
    issued = exists().where(
        Document.enrolment_id == Enrolment.id, Document.kind == d.KIND_RECORD,
        Document.state == d.ISSUED, Document.superseded.is_(False),
    )  # fmt: skip
    rows = s.execute(
        select(Enrolment.id, Student.full_name)
        .join(Student, Student.id == Enrolment.student_id)
        .where(Enrolment.id.in_(ids), issued, ~approved)
    ).all()
    return {enrolment_id: name for enrolment_id, name in rows}


def require_values_open(s: Session, enrolment_ids: Iterable[int]) -> None:
    locked = issued_enrolments(s, enrolment_ids)
    if not locked:
        return
    names = sorted(locked.values())
    shown = ", ".join(names[:3]) + (f" và {len(names) - 3} học sinh khác" if len(names) > 3 else "")
    raise RecordIssued(
        f"Học bạ của học sinh {shown} đã phát hành (đã đóng dấu), nên điểm và kết quả không sửa được nữa. "
        "Muốn sửa, giáo viên chủ nhiệm gửi đề nghị đính chính học bạ; khi hiệu trưởng hoặc phó hiệu trưởng "
        "duyệt, điểm của học sinh đó mới sửa được."
    )
