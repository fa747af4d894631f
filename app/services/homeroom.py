"""The homeroom teacher's class: read the overview, enter conduct, absences, the year
comment, awards and the summer results (rèn luyện hè, kiểm tra lại).

Reads need `require_view_class` (the principal and vice principal see every class, read
only); every write needs `require_homeroom` and is audited old → new in the same
transaction as the change. A write returns the changed student recomputed inside that
transaction, so the screen updates one row and shows the new decision at once.

Summer results are only taken where the decision uses them: conduct after summer for a
student in summer training, a re-assessment result for a subject on the student's
re-assessment list, and only once the year itself is complete. A change elsewhere that
would make an entered summer result meaningless (conduct raised so the student is no
longer in summer training, absences over the limit…) is refused with what to do.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, UserFacingError
from app.models import Attendance, Award, Conduct, Enrolment, Reassessment, YearComment
from app.models.db import Database
from app.rules.errors import RuleInputError
from app.rules.levels import normalize_code
from app.rules.scores import check_score
from app.rules.vnsort import fold
from app.services import audit
from app.services.access import Actor, can_edit_homeroom, require_homeroom, require_view_class
from app.services.class_results import ClassSummary
from app.services.homeroom_data import ClassData, Pupil
from app.services.homeroom_rows import student_rows
from app.services.homeroom_types import (
    AWARD_KINDS,
    CONDUCT_CODES,
    CONDUCT_PERIODS,
    LEVEL_LABELS,
    AwardLine,
    ClassSubject,
    Explanation,
    HomeroomOverview,
    HomeroomStudent,
    SubjectLine,
    SummerEntry,
    subject_value_text,
)
from app.services.record_lock import require_values_open

__all__ = [
    "AWARD_KINDS",
    "CONDUCT_CODES",
    "CONDUCT_PERIODS",
    "LEVEL_LABELS",
    "MAX_COMMENT_LENGTH",
    "MAX_SESSIONS_PER_SEMESTER",
    "SUMMER_TAB_TITLE",
    "AwardLine",
    "ClassSubject",
    "Explanation",
    "HomeroomOverview",
    "HomeroomStudent",
    "SubjectLine",
    "SummerEntry",
    "add_award",
    "homeroom_classes",
    "homeroom_overview",
    "parse_conduct",
    "parse_reassessment",
    "remove_award",
    "set_absences",
    "set_conduct",
    "set_reassessment",
    "set_year_comment",
    "student_summer_entries",
    "subject_value_text",
    "summer_entries",
]

MAX_SESSIONS_PER_SEMESTER = 200  # about 18 weeks × 6 days × 2 sessions, with room to spare
MAX_COMMENT_LENGTH = 5000
MAX_AWARD_TITLE = 300

_CONDUCT_BY_WORD = {fold(label): code for code, label in LEVEL_LABELS.items()}
_SUMMER_FIELDS = ("conduct_after_summer",)
# The homeroom page's tab for summer results, named in messages that send people there.
SUMMER_TAB_TITLE = "Hè: rèn luyện và kiểm tra lại"


# ------------------------------------------------------------------------------ reads


def homeroom_overview(db: Database, actor: Actor, class_id: int) -> HomeroomOverview:
    """The class with every student's results, conduct, absences, comment and awards."""
    require_view_class(actor, class_id)
    with db.read() as s:
        data = ClassData(s, class_id)
        rows = student_rows(data)
    return HomeroomOverview(
        class_id=class_id,
        class_name=data.class_name,
        grade=data.grade,
        year_name=data.year_name,
        school_name=data.school_name,
        level=data.level,
        homeroom_name=data.homeroom_name,
        editable=can_edit_homeroom(actor, class_id),
        subjects=data.subjects,
        students=rows,
    )


def homeroom_classes(actor: Actor, classes: Sequence[ClassSummary]) -> tuple[ClassSummary, ...]:
    """The classes the homeroom page offers: the actor's own homeroom classes first, then
    (for school leaders, the office and the command line) every other class, read only."""
    own = [c for c in classes if c.id in actor.homeroom_class_ids]
    if not (actor.sees_whole_school or actor.is_system):
        return tuple(own)
    return tuple(own + [c for c in classes if c.id not in actor.homeroom_class_ids])


def summer_entries(overview: HomeroomOverview) -> tuple[SummerEntry, ...]:
    """What the homeroom teacher enters after the summer, in class-list order."""
    return tuple(entry for s in overview.students for entry in student_summer_entries(s))


def student_summer_entries(s: HomeroomStudent) -> tuple[SummerEntry, ...]:
    """One student's summer entries: the re-evaluated conduct, or one per re-assessed subject."""
    if s.in_summer_training:
        return (
            SummerEntry(
                s.student_id, s.number, s.full_name, "conduct", None, "Rèn luyện", "conduct",
                LEVEL_LABELS.get(s.conduct_year or "", ""), s.conduct_after_summer, s.promotion_label,
            ),
        )
    if not s.in_reassessment:
        return ()
    out = []
    for line in s.reassessment_subjects:
        value = line.reassessment
        stored: str | None
        if value is None:
            stored = None
        elif isinstance(value, bool):
            stored = "Đ" if value else "CĐ"
        else:
            stored = str(value)
        out.append(
            SummerEntry(
                s.student_id, s.number, s.full_name, "reassessment", line.subject_id, line.name,
                line.kind, subject_value_text(line.year), stored, s.promotion_label,
            )
        )
    return tuple(out)


# ------------------------------------------------------------------------------ parsing


def parse_conduct(value: str | None) -> str | None:
    """A conduct level code from what a teacher typed or picked: T/K/Đ/CĐ or the words."""
    if value is None or not value.strip():
        return None
    code = normalize_code(value).upper()
    if code in CONDUCT_CODES:
        return code
    by_word = _CONDUCT_BY_WORD.get(fold(value))
    if by_word is not None:
        return by_word
    raise UserFacingError(
        f"Mức rèn luyện “{value.strip()}” không hợp lệ. "
        "Hãy chọn Tốt (T), Khá (K), Đạt (Đ) hoặc Chưa đạt (CĐ).",
        field="conduct",
    )


def parse_reassessment(value: str | None, subject: ClassSubject) -> str | None:
    """The stored text of a re-assessment result: "7.5" for a scored subject (a comma
    decimal is read as Vietnamese users type it), "Đ"/"CĐ" for a comment-only one."""
    if value is None or not value.strip():
        return None
    raw = value.strip()
    if subject.kind == "comment":
        code = normalize_code(raw).upper()
        folded = fold(raw)
        if code == "Đ" or folded == fold("Đạt"):
            return "Đ"
        if code == "CĐ" or folded == fold("Chưa đạt"):
            return "CĐ"
        raise UserFacingError(
            f"Kết quả kiểm tra lại môn {subject.name} phải là Đ (Đạt) hoặc CĐ (Chưa đạt).",
            field="reassessment",
        )
    try:
        score = check_score(Decimal(raw.replace(",", ".")), "reassessment", what="Điểm kiểm tra lại")
    except (InvalidOperation, RuleInputError):
        raise UserFacingError(
            f"Điểm kiểm tra lại môn {subject.name} phải là một số từ 0 đến 10, "
            f"nhiều nhất một chữ số thập phân (ví dụ 6,5); đã nhập “{raw}”.",
            field="reassessment",
        ) from None
    return str(int(score)) if score == score.to_integral_value() else f"{score:.1f}"


# ------------------------------------------------------------------------------ writes


def set_conduct(
    db: Database, actor: Actor, class_id: int, student_id: int, period: str, level: str | None
) -> HomeroomStudent:
    """Conduct for HKI, HKII or after summer training ("he"); None clears it."""
    if period not in CONDUCT_PERIODS:
        raise UserFacingError(f"Kì đánh giá rèn luyện không hợp lệ: {period!r}.", field="period")
    code = parse_conduct(level)

    def change(s: Session, pupil: Pupil, data: ClassData, before: HomeroomStudent) -> None:
        _require_secondary(data)
        row = s.scalar(
            select(Conduct).where(Conduct.enrolment_id == pupil.enrolment_id, Conduct.period == period)
        )
        old = row.level if row else None
        if old == code:
            return
        if period == "he" and code is not None:
            _require_year_ready(before, "kết quả rèn luyện sau hè")
        if row is None:
            s.add(Conduct(enrolment_id=pupil.enrolment_id, period=period, level=code))
        elif code is None:
            s.delete(row)
        else:
            row.level = code
        _audit(s, actor, "homeroom.conduct", pupil, class_id, {"period": period, "old": old, "new": code})

    return _write(db, actor, class_id, student_id, change, summer=period == "he" and code is not None)


def set_absences(
    db: Database, actor: Actor, class_id: int, student_id: int, semester: int, *, excused: int, unexcused: int
) -> HomeroomStudent:
    """Sessions absent in a semester, with and without permission."""
    if semester not in (1, 2):
        raise UserFacingError("Học kì phải là 1 hoặc 2.", field="semester")
    for name, value in (("excused", excused), ("unexcused", unexcused)):
        valid = isinstance(value, int) and not isinstance(value, bool)
        if not valid or not 0 <= value <= MAX_SESSIONS_PER_SEMESTER:
            raise UserFacingError(
                f"Số buổi nghỉ phải là số nguyên từ 0 đến {MAX_SESSIONS_PER_SEMESTER}.", field=name
            )

    def change(s: Session, pupil: Pupil, data: ClassData, before: HomeroomStudent) -> None:
        row = s.scalar(
            select(Attendance).where(
                Attendance.enrolment_id == pupil.enrolment_id, Attendance.semester == semester
            )
        )
        old = [row.excused, row.unexcused] if row else [0, 0]
        if old == [excused, unexcused]:
            return
        if row is None:
            s.add(Attendance(enrolment_id=pupil.enrolment_id, semester=semester,
                             excused=excused, unexcused=unexcused))
        else:
            row.excused, row.unexcused = excused, unexcused
        detail = {"semester": semester, "old": old, "new": [excused, unexcused]}
        _audit(s, actor, "homeroom.absences", pupil, class_id, detail)

    return _write(db, actor, class_id, student_id, change)


def set_year_comment(
    db: Database, actor: Actor, class_id: int, student_id: int, text: str
) -> HomeroomStudent:
    """The homeroom teacher's year comment; an empty text removes it."""
    clean = unicodedata.normalize("NFC", text).strip()
    if len(clean) > MAX_COMMENT_LENGTH:
        raise UserFacingError(
            f"Nhận xét dài {len(clean)} ký tự, quá {MAX_COMMENT_LENGTH} ký tự cho phép. Hãy rút gọn lại.",
            field="year_comment",
        )

    def change(s: Session, pupil: Pupil, data: ClassData, before: HomeroomStudent) -> None:
        row = s.scalar(select(YearComment).where(YearComment.enrolment_id == pupil.enrolment_id))
        old = row.text if row else ""
        if old == clean:
            return
        if row is None:
            s.add(YearComment(enrolment_id=pupil.enrolment_id, text=clean))
        elif not clean:
            s.delete(row)
        else:
            row.text = clean
        _audit(s, actor, "homeroom.year_comment", pupil, class_id, {"old": old, "new": clean})

    return _write(db, actor, class_id, student_id, change)


def add_award(
    db: Database,
    actor: Actor,
    class_id: int,
    student_id: int,
    *,
    kind: str,
    title: str,
    decided_on: date | None = None,
) -> HomeroomStudent:
    """A title confirmed or an award given (khen thưởng), e.g. "Giải Nhì HSG cấp huyện"."""
    if kind not in AWARD_KINDS:
        raise UserFacingError("Loại khen thưởng không hợp lệ.", field="kind")
    clean = " ".join(unicodedata.normalize("NFC", title).split())
    if not clean:
        raise UserFacingError("Hãy nhập nội dung khen thưởng (ví dụ: Giải Nhì học sinh giỏi cấp huyện).",
                              field="title")
    if len(clean) > MAX_AWARD_TITLE:
        raise UserFacingError(f"Nội dung khen thưởng dài quá {MAX_AWARD_TITLE} ký tự.", field="title")

    def change(s: Session, pupil: Pupil, data: ClassData, before: HomeroomStudent) -> None:
        award = Award(enrolment_id=pupil.enrolment_id, kind=kind, title=clean, decided_on=decided_on)
        s.add(award)
        s.flush()
        detail = {"award_id": award.id, "old": None, "new": {"kind": kind, "title": clean,
                                                               "decided_on": decided_on}}
        _audit(s, actor, "homeroom.award.add", pupil, class_id, detail)

    return _write(db, actor, class_id, student_id, change)


def remove_award(db: Database, actor: Actor, class_id: int, award_id: int) -> HomeroomStudent:
    require_homeroom(actor, class_id)
    with db.read() as s:
        found = s.execute(
            select(Enrolment.student_id)
            .join(Award, Award.enrolment_id == Enrolment.id)
            .where(Award.id == award_id, Enrolment.class_id == class_id)
        ).first()
    if found is None:
        raise NotFound("Không tìm thấy khen thưởng này trong lớp; có thể nó đã được xoá.")

    def change(s: Session, pupil: Pupil, data: ClassData, before: HomeroomStudent) -> None:
        award = s.get(Award, award_id)
        if award is None or award.enrolment_id != pupil.enrolment_id:
            raise NotFound("Không tìm thấy khen thưởng này trong lớp; có thể nó đã được xoá.")
        old = {"kind": award.kind, "title": award.title, "decided_on": award.decided_on}
        s.delete(award)
        _audit(s, actor, "homeroom.award.remove", pupil, class_id,
               {"award_id": award_id, "old": old, "new": None})

    return _write(db, actor, class_id, found[0], change)


def set_reassessment(
    db: Database,
    actor: Actor,
    class_id: int,
    student_id: int,
    subject_id: int,
    value: str | None,
    *,
    assessed_on: date | None = None,
) -> HomeroomStudent:
    """The summer re-assessment result (kiểm tra lại) of one subject; None clears it."""

    def change(s: Session, pupil: Pupil, data: ClassData, before: HomeroomStudent) -> None:
        _require_secondary(data)
        subject = next((x for x in data.subjects if x.id == subject_id), None)
        if subject is None:
            raise NotFound("Môn học này không có trong chương trình của lớp.")
        stored = parse_reassessment(value, subject)
        row = s.scalar(
            select(Reassessment).where(
                Reassessment.enrolment_id == pupil.enrolment_id, Reassessment.subject_id == subject_id
            )
        )
        old = row.value if row else None
        if old == stored:
            return
        if stored is not None:
            _require_year_ready(before, f"kết quả kiểm tra lại môn {subject.name}")
        if row is None:
            s.add(Reassessment(enrolment_id=pupil.enrolment_id, subject_id=subject_id, value=stored,
                               assessed_on=assessed_on or date.today()))
        elif stored is None:
            s.delete(row)
        else:
            row.value = stored
            row.assessed_on = assessed_on or date.today()
        detail = {"subject_id": subject_id, "subject": subject.name, "old": old, "new": stored}
        _audit(s, actor, "homeroom.reassessment", pupil, class_id, detail)

    summer = value is not None and bool(value.strip())
    return _write(db, actor, class_id, student_id, change, summer=summer)


# ---------------------------------------------------------------------------- internals


def _write(
    db: Database,
    actor: Actor,
    class_id: int,
    student_id: int,
    change: Callable[[Session, Pupil, ClassData, HomeroomStudent], None],
    *,
    summer: bool = False,
) -> HomeroomStudent:
    """Run `change` for one student in a write transaction; return the recomputed row.

    The row is recomputed inside the transaction, so a change the decision cannot use
    (see the module docstring) rolls back with its audit entry.
    """
    require_homeroom(actor, class_id)
    with db.write() as s:
        data = ClassData(s, class_id, only_student_id=student_id)
        pupil = data.pupil(student_id)
        if pupil is None:
            raise NotFound("Học sinh này không (còn) học ở lớp này. Hãy tải lại danh sách lớp.")
        before = student_rows(data)[0]
        require_values_open(s, [pupil.enrolment_id])  # issued records
        change(s, pupil, data, before)
        s.flush()
        after = student_rows(ClassData(s, class_id, only_student_id=student_id))[0]
        _check_summer_still_valid(before, after, summer=summer)
    return after


def _is_summer_field(field: str | None) -> bool:
    return field is not None and (field in _SUMMER_FIELDS or field.endswith(".reassessment"))


def _check_summer_still_valid(before: HomeroomStudent, after: HomeroomStudent, *, summer: bool) -> None:
    if not _is_summer_field(after.problem_field):
        return
    if summer:
        # The rules engine says why this summer result does not apply to the student.
        raise UserFacingError(after.problem or "", field=after.problem_field)
    if before.problem_field != after.problem_field:
        raise UserFacingError(
            f"Không lưu được thay đổi này vì em {after.full_name} đã có kết quả sau hè mà thay đổi "
            f"này làm mất hiệu lực. {after.problem} Nếu thay đổi là đúng, hãy xoá kết quả sau hè ở "
            f"thẻ “{SUMMER_TAB_TITLE}” trước rồi sửa lại.",
            field=after.problem_field,
        )


def _require_year_ready(row: HomeroomStudent, what: str) -> None:
    # A summer result only means something once the year it follows is complete.
    if row.problem is not None and not _is_summer_field(row.problem_field):
        raise UserFacingError(
            f"Chưa nhập được {what} cho em {row.full_name} vì kết quả cả năm chưa tính được: "
            f"{row.problem}",
            field=row.problem_field,
        )


def _require_secondary(data: ClassData) -> None:
    if data.level == "tieuhoc":
        raise UserFacingError(
            "Lớp tiểu học không đánh giá rèn luyện và không kiểm tra lại theo Thông tư 22; "
            "phẩm chất và năng lực được nhập ở sổ theo dõi chất lượng giáo dục."
        )


def _audit(
    s: Session, actor: Actor, action: str, pupil: Pupil, class_id: int, detail: Mapping[str, object]
) -> None:
    audit.append(
        s,
        actor=actor.login,
        action=action,
        entity="enrolment",
        entity_id=pupil.enrolment_id,
        detail={"class_id": class_id, "student_id": pupil.student_id, **detail},
    )

