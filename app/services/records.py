"""Build the canonical học bạ records (app.documents.record) from the database.

Loads a class the way the class page does (class_results' loaders, one query per table)
and computes every result with the same rules engine, so the document says what the
screen says. A record missing something the học bạ needs is refused with a
UserFacingError naming the student and the field; nothing is built, so nothing is written.

What the database does not hold yet, and how the record fills it:
- the number of corrections per subject ("có sửa chữa ở … chỗ") is 0: there is no
  correction log of locked mark books yet (a later issue); `corrections` lets a caller pass it;
- the record id is derived from the student, year and version (record.record_uuid) until
  issued records are stored: the signing issue stores the id it signs;
- the sheet references carry no SHA-256 until the sheets are signed (record.with_sheet_hashes).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.record import (
    Absences,
    HistoryEntry,
    PrimarySubjectLine,
    PrimaryYear,
    RecordMeta,
    SchoolInfo,
    SecondarySubjectLine,
    SecondaryYear,
    SheetRef,
    StudentInfo,
    TraitLine,
    TranscriptRecord,
    record_uuid,
    sheet_uuid,
)
from app.documents.render import RenderedDocument, render_record
from app.errors import NotFound, UserFacingError
from app.models import (
    Attendance,
    Award,
    Enrolment,
    Grade,
    PrimaryTrait,
    School,
    SchoolClass,
    SchoolYear,
    Student,
    StudyHistory,
    Subject,
    TeachingAssignment,
    UserAccount,
    YearComment,
)
from app.models.db import Database
from app.rules import tt22, tt27
from app.rules.errors import RuleInputError
from app.services.access import SYSTEM, Actor, require_view_class
from app.services.class_results import LEVEL_BY_CODE, _PrimaryLoader, _SecondaryLoader

__all__ = [
    "ClassContext",
    "RecordOptions",
    "class_records",
    "describe_field",
    "find_class",
    "find_student",
    "refused",
    "student_class_id",
    "student_document",
    "student_record",
]

# Award kinds printed under "khen thưởng"; the titles Xuất sắc / Giỏi come from the rules.
_AWARD_KINDS = ("tieu_bieu", "khac")
TraitGroup = Literal["phamchat", "nanglucchung", "nanglucdacthu"]
# Code → typed level: the lookup both checks a stored value and narrows it to the Literal.
_TRAIT_LEVELS: dict[str, Literal["T", "Đ", "C"]] = {"T": "T", "Đ": "Đ", "C": "C"}


@dataclass(frozen=True)
class RecordOptions:
    """Which version to build: a correction is version ≥ 2 naming what it supersedes and why."""

    version: int = 1
    supersedes: str | None = None
    reason: str | None = None
    issued_on: date | None = None  # default: the last day of the school year
    corrections: Mapping[tuple[int, str], int] | None = None  # (student id, subject code) → count


def refused(name: str, code: str, detail: str, field: str) -> UserFacingError:
    return UserFacingError(
        f"Chưa lập được học bạ của học sinh {name} (mã học sinh {code}): {detail}", field=field
    )


def find_class(db: Database, name: str, year: str | None = None) -> int:
    """The id of the class called `name` in `year` (default: the current school year)."""
    with db.read() as s:
        query = select(SchoolClass.id, SchoolYear.name).join(
            SchoolYear, SchoolYear.id == SchoolClass.school_year_id
        )
        query = query.where(SchoolClass.name == name.strip())
        if year:
            query = query.where(SchoolYear.name == year.strip())
        else:
            query = query.order_by(SchoolYear.is_current.desc(), SchoolYear.start_date.desc())
        found = s.execute(query).first()
    if found is None:
        where = f" trong năm học {year}" if year else ""
        raise NotFound(f"Không tìm thấy lớp {name}{where}. Hãy kiểm tra tên lớp (ví dụ 6A1) và năm học.")
    return int(found[0])


def student_class_id(db: Database, student_id: int, year: str | None = None) -> int:
    """The class the student is enrolled in for `year` (default: the latest year)."""
    with db.read() as s:
        query = (
            select(SchoolClass.id)
            .join(Enrolment, Enrolment.class_id == SchoolClass.id)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .where(Enrolment.student_id == student_id)
            .order_by(SchoolYear.start_date.desc())
        )
        if year:
            query = query.where(SchoolYear.name == year.strip())
        class_id = s.scalar(query.limit(1))
    if class_id is None:
        raise NotFound(f"Không tìm thấy học sinh có mã {student_id} trong năm học cần lập học bạ.")
    return int(class_id)


class ClassContext:
    """Everything of one class the records and sheets need, loaded in a few queries."""

    def __init__(self, s: Session, class_id: int) -> None:
        found = s.execute(
            select(SchoolClass, Grade, SchoolYear, School, UserAccount.full_name)
            .join(Grade, Grade.id == SchoolClass.grade_id)
            .join(SchoolYear, SchoolYear.id == SchoolClass.school_year_id)
            .join(School, School.id == SchoolYear.school_id)
            .outerjoin(UserAccount, UserAccount.id == SchoolClass.homeroom_teacher_id)
            .where(SchoolClass.id == class_id)
        ).first()
        if found is None:
            raise NotFound(f"Không tìm thấy lớp có mã {class_id}.")
        self.klass, self.grade, self.year, school, self.homeroom = found
        self.level = LEVEL_BY_CODE.get(self.grade.level, "thcs")
        self.primary = self.level == "tieuhoc"
        self.loader: _PrimaryLoader | _SecondaryLoader = (
            _PrimaryLoader(s, self.klass, self.grade)
            if self.primary
            else _SecondaryLoader(s, self.klass, self.grade, self.level)
        )
        self.school = SchoolInfo(
            school_code=school.school_code,
            department_code=school.department_code,
            name=school.name,
            province=school.province,
            address=school.address,
            issuing_place=school.issuing_place,
            level_code=self.grade.level,
            principal_name=school.principal_name or "",
            is_demo=school.is_demo,
        )
        ids = self.loader.enrolment_ids
        self.teachers: dict[int, str] = {
            subject_id: name
            for subject_id, name in s.execute(
                select(TeachingAssignment.subject_id, UserAccount.full_name)
                .join(UserAccount, UserAccount.id == TeachingAssignment.teacher_id)
                .where(TeachingAssignment.class_id == class_id)
            )
        }
        self.attendance: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
        for a in s.scalars(select(Attendance).where(Attendance.enrolment_id.in_(ids))):
            self.attendance[a.enrolment_id][a.semester] = (a.excused, a.unexcused)
        self.comments: dict[int, str] = {
            enrolment_id: text
            for enrolment_id, text in s.execute(
                select(YearComment.enrolment_id, YearComment.text).where(YearComment.enrolment_id.in_(ids))
            )
        }
        self.awards: dict[int, list[str]] = defaultdict(list)
        for award in s.scalars(
            select(Award).where(Award.enrolment_id.in_(ids), Award.kind.in_(_AWARD_KINDS)).order_by(Award.id)
        ):
            self.awards[award.enrolment_id].append(award.title)
        student_ids = [st.id for _, st in self.loader.pairs]
        self.history: dict[int, list[StudyHistory]] = defaultdict(list)
        for h in s.scalars(
            select(StudyHistory)
            .where(StudyHistory.student_id.in_(student_ids))
            .order_by(StudyHistory.year_name, StudyHistory.id)
        ):
            self.history[h.student_id].append(h)
        self.trait_rows: dict[tuple[int, str], PrimaryTrait] = {}
        if self.primary:
            for t in s.scalars(
                select(PrimaryTrait).where(PrimaryTrait.enrolment_id.in_(ids), PrimaryTrait.period == "cn")
            ):
                self.trait_rows[(t.enrolment_id, t.code)] = t

    @property
    def subjects(self) -> tuple[Subject, ...]:
        return self.loader.subjects

    # ------------------------------------------------------------------------ records

    def records(self, options: RecordOptions, student_id: int | None = None) -> tuple[TranscriptRecord, ...]:
        out = []
        for enrolment, student in self.loader.pairs:
            if student_id is None or student.id == student_id:
                out.append(self.record(enrolment, student, options))
        if student_id is not None and not out:
            raise NotFound(f"Học sinh có mã {student_id} không còn học ở lớp {self.klass.name}.")
        return tuple(out)

    def record(self, enrolment: Enrolment, student: Student, options: RecordOptions) -> TranscriptRecord:
        name, code = student.full_name, student.student_code

        def require(value: object, field: str, what: str) -> None:
            if value is None or (isinstance(value, str) and not value.strip()):
                raise refused(name, code, f"thiếu {what}. Hãy bổ sung rồi lập lại.", field)

        require(self.school.principal_name, "school.principal_name", "tên hiệu trưởng của trường")
        require(self.school.issuing_place, "school.issuing_place", "địa danh phát hành học bạ của trường")
        require(self.homeroom, "class.homeroom_teacher", f"giáo viên chủ nhiệm của lớp {self.klass.name}")
        require(student.place_of_birth, "student.place_of_birth", "nơi sinh")
        comment = self.comments.get(enrolment.id)
        require(comment, "year_comment", "nhận xét cả năm của giáo viên chủ nhiệm")

        if self.primary:
            results: SecondaryYear | PrimaryYear = self._primary(enrolment, student)
            sheets = tuple(SheetRef(self._sheet_id(s.code, "canam"), s.code, "canam") for s in self.subjects)
        else:
            results = self._secondary(enrolment, student, options)
            sheets = tuple(
                SheetRef(self._sheet_id(s.code, term), s.code, term)
                for s in self.subjects
                for term in ("hocky1", "hocky2", "canam")
            )
        attendance = self.attendance.get(enrolment.id, {})
        hk1, hk2 = attendance.get(1, (0, 0)), attendance.get(2, (0, 0))
        history = [
            HistoryEntry(h.year_name, h.class_name, h.school_name, h.registration_number)
            for h in self.history.get(student.id, [])
        ]
        history.append(
            HistoryEntry(
                self.year.name,
                self.klass.name,
                f"{self.school.name}, {self.school.province}",
                enrolment.registration_number,
            )
        )
        return TranscriptRecord(
            meta=RecordMeta(
                record_id=record_uuid(
                    self.school.school_code, student.hocba_code, self.year.name, options.version
                ),
                version=options.version,
                issued_on=options.issued_on or self.year.end_date,
                supersedes=options.supersedes,
                supersede_reason=options.reason,
            ),
            school=self.school,
            student=StudentInfo(
                hocba_code=student.hocba_code,
                student_code=student.student_code,
                national_id=student.national_id,
                full_name=student.full_name,
                sex=student.sex,
                date_of_birth=student.date_of_birth,
                place_of_birth=student.place_of_birth,
                home_town=student.home_town,
                ethnicity=student.ethnicity,
                nationality=student.nationality,
                address=student.address,
                policy_status=student.policy_status,
                father_name=student.father_name,
                mother_name=student.mother_name,
                guardian_name=student.guardian_name,
                disabled_not_assessed=student.disabled_not_assessed,
            ),
            history=tuple(history),
            year_name=self.year.name,
            class_name=self.klass.name,
            grade=self.grade.number,
            homeroom_teacher=self.homeroom or "",
            results=results,
            absences=Absences(hk1[0], hk1[1], hk2[0], hk2[1]),
            awards=tuple(self.awards.get(enrolment.id, ())),
            certificates=(),
            homeroom_comment=comment,
            sheets=sheets,
        )

    def _sheet_id(self, subject_code: str, term: str) -> str:
        return sheet_uuid(self.school.school_code, self.year.name, self.klass.name, subject_code, term)

    def _rule_error(self, student: Student, exc: RuleInputError) -> UserFacingError:
        return refused(
            student.full_name,
            student.student_code,
            f"{describe_field(exc.field, self.subjects)}{exc.message}",
            exc.field,
        )

    def _secondary(self, enrolment: Enrolment, student: Student, options: RecordOptions) -> SecondaryYear:
        loader = self.loader
        assert isinstance(loader, _SecondaryLoader)
        corrections = options.corrections or {}
        if student.disabled_not_assessed:
            lines = tuple(
                SecondarySubjectLine(
                    s.code,
                    s.name,
                    _kind(s),
                    None,
                    None,
                    None,
                    None,
                    self.teachers.get(s.id),
                    corrections.get((student.id, s.code), 0),
                )
                for s in self.subjects
            )
            return SecondaryYear(lines, None, None, None, None, None, None, None, None, None, (), None)
        try:
            result = tt22.evaluate_year(loader.student_input(enrolment))
        except RuleInputError as exc:
            raise self._rule_error(student, exc) from exc
        by_code = {s.code: s for s in self.subjects}
        lines = tuple(
            SecondarySubjectLine(
                code=r.code,
                name=r.name,
                kind="diem" if r.kind == "score" else "nhanxet",
                hk1=_value(r.hk1),
                hk2=_value(r.hk2),
                year=_value(r.year),
                reassessment=None if r.reassessment is None else _value(r.reassessment),
                teacher=self.teachers.get(by_code[r.code].id),
                corrections=corrections.get((student.id, r.code), 0),
            )
            for r in result.subjects
        )
        after = result.learning_year_after_reassessment
        return SecondaryYear(
            subjects=lines,
            learning_hk1=result.learning_hk1.value,
            learning_hk2=result.learning_hk2.value,
            learning_year=result.learning_year.value,
            learning_after_reassessment=after.value if after else None,
            conduct_hk1=result.conduct_hk1.value,
            conduct_hk2=result.conduct_hk2.value,
            conduct_year=result.conduct_year.value,
            conduct_after_summer=result.conduct_after_summer.value if result.conduct_after_summer else None,
            promotion=result.promotion,
            reassessment_subjects=result.reassessment_subjects,
            title=result.title,
        )

    def _primary(self, enrolment: Enrolment, student: Student) -> PrimaryYear:
        loader = self.loader
        assert isinstance(loader, _PrimaryLoader)
        lines = []
        for s in self.subjects:
            a = loader.assessments.get((enrolment.id, s.id))
            lines.append(
                PrimarySubjectLine(
                    code=s.code,
                    name=s.name,
                    level=(a.level if a else None),  # type: ignore[arg-type]
                    test_score=(a.test_score if a else None),
                    comment=(a.comment if a else None),
                    teacher=self.teachers.get(s.id),
                )
            )
        traits = []
        catalogue: list[tuple[TraitGroup, Mapping[str, str]]] = [
            ("phamchat", tt27.QUALITIES),
            ("nanglucchung", tt27.GENERAL_COMPETENCIES),
            ("nanglucdacthu", tt27.SPECIFIC_COMPETENCIES),
        ]
        for group, names in catalogue:
            for code, label in names.items():
                t = self.trait_rows.get((enrolment.id, code))
                level = _TRAIT_LEVELS.get(t.level or "") if t else None
                traits.append(TraitLine(group, code, label, level, t.comment if t else None))
        if student.disabled_not_assessed:
            return PrimaryYear(tuple(lines), tuple(traits), None, None, None, None)
        try:
            result = tt27.evaluate_primary_year(
                tt27.PrimaryYearInput(
                    grade=self.grade.number,
                    subjects=tuple(
                        tt27.PrimarySubject(x.code, x.name, x.level, x.test_score)  # type: ignore[arg-type]
                        for x in lines
                    ),
                    qualities={t.code: t.level for t in traits if t.group == "phamchat" and t.level},
                    competencies={t.code: t.level for t in traits if t.group != "phamchat" and t.level},
                )
            )
        except RuleInputError as exc:
            raise self._rule_error(student, exc) from exc
        return PrimaryYear(
            tuple(lines), tuple(traits), result.result, result.completed, result.completion_text, result.title
        )


def _kind(subject: Subject) -> Literal["diem", "nhanxet"]:
    return "nhanxet" if subject.assessment == "comment" else "diem"


def _value(v: Decimal | bool) -> str:
    if isinstance(v, bool):
        return "Đ" if v else "CĐ"
    return f"{v:.1f}"


_TERM_WORDS = {"hk1": "học kì I", "hk2": "học kì II"}
_PART_WORDS = {"tx": "đánh giá thường xuyên", "gk": "giữa kì", "ck": "cuối kì"}


def describe_field(field: str, subjects: tuple[Subject, ...]) -> str:
    """ "subjects[2].hk1.ck" → "môn Ngoại ngữ 1, học kì I, cuối kì: " (empty if not a subject path)."""
    m = re.match(r"subjects\[(\d+)\](?:\.(hk1|hk2))?(?:\.(tx|gk|ck))?", field)
    if not m or int(m.group(1)) >= len(subjects):
        return ""
    parts = [f"môn {subjects[int(m.group(1))].name}"]
    if m.group(2):
        parts.append(_TERM_WORDS[m.group(2)])
    if m.group(3):
        parts.append(_PART_WORDS[m.group(3)])
    return ", ".join(parts) + ": "


def class_records(
    db: Database, class_id: int, *, actor: Actor = SYSTEM, options: RecordOptions | None = None
) -> tuple[TranscriptRecord, ...]:
    """One record per student of the class (Vietnamese name order); all or nothing."""
    require_view_class(actor, class_id)
    with db.read() as s:
        return ClassContext(s, class_id).records(options or RecordOptions())


def student_record(
    db: Database,
    student_id: int,
    *,
    year: str | None = None,
    actor: Actor = SYSTEM,
    options: RecordOptions | None = None,
) -> TranscriptRecord:
    """The record of one student for `year` (default: the latest year they are enrolled in)."""
    class_id = student_class_id(db, student_id, year)
    require_view_class(actor, class_id)
    with db.read() as s:
        return ClassContext(s, class_id).records(options or RecordOptions(), student_id=student_id)[0]


def find_student(db: Database, ident: str) -> int:
    """A student's database id from their student code (mã học sinh) or their database id."""
    ident = ident.strip()
    with db.read() as s:
        found = s.scalar(select(Student.id).where(Student.student_code == ident))
        if found is None and ident.isdigit():
            found = s.scalar(select(Student.id).where(Student.id == int(ident)))
    if found is None:
        raise NotFound(f"Không tìm thấy học sinh có mã {ident}. Hãy nhập mã học sinh (mahocsinh).")
    return int(found)


def student_document(
    db: Database, student_id: int, *, year: str | None = None, actor: Actor = SYSTEM
) -> tuple[TranscriptRecord, RenderedDocument]:
    """The record of one student and its rendered PDF/A + XML (the preview before signing)."""
    record = student_record(db, student_id, year=year, actor=actor)
    return record, render_record(record)
