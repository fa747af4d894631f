"""Importing students from a school's .xlsx list: preview every row's problems, then
write all rows or none.

Two steps, so that nothing is written before a person has seen the problems:

1. `preview_students` reads the file and checks every row, against the file itself
   (missing name, date of birth or sex; bad dates; invalid identification numbers;
   the same student twice) and against the database (unknown class; a student who is
   already there with the same identification number or student code, or already in
   the class with the same name and date of birth).
2. `import_students` takes that preview and, inside one write transaction, checks the
   database again (someone may have added students since) and writes every student with
   their enrolment — or, when any row has an error, writes nothing.

Who may import: the admin, into any class of the current school year. A homeroom
teacher may import the list of their own class only (they keep the class list, domain.md
§2): a preview for someone else must name a class they are homeroom teacher of, and every
row must belong to it. Other roles may not import.

The audit log gets one entry per import (file name and hash, counts, classes) and one
per student created. Neither holds identification numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import Enrolment, School, SchoolClass, SchoolYear, Student
from app.models.db import Database
from app.rules.vnsort import fold
from app.services import audit
from app.services.access import Actor, PermissionDenied
from app.services.excel_students import (
    FIELD_LABELS,
    ParsedStudents,
    RowIssue,
    StudentDraft,
    parse_student_file,
)
from app.services.excel_values import class_key

__all__ = [
    "FIELD_LABELS",
    "ImportReport",
    "RowIssue",
    "StudentDraft",
    "StudentImportPreview",
    "import_students",
    "import_students_file",
    "preview_students",
]

# Codes the school gives students who have no sector code yet: "<school code>-T00001".
_TEMP_CODE_MARK = "-T"


@dataclass(frozen=True)
class StudentImportPreview:
    parsed: ParsedStudents
    rows: tuple[StudentDraft, ...]  # the file's drafts with the database's problems added
    year_name: str
    target_class: str | None  # the class chosen for the whole file, if any

    @property
    def errors(self) -> tuple[RowIssue, ...]:
        return tuple(e for d in self.rows for e in d.errors)

    @property
    def notes(self) -> tuple[RowIssue, ...]:
        return tuple(n for d in self.rows for n in d.notes)

    @property
    def warnings(self) -> tuple[RowIssue, ...]:
        return self.parsed.warnings

    @property
    def error_row_count(self) -> int:
        return sum(1 for d in self.rows if d.errors)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(d.errors for d in self.rows)


@dataclass(frozen=True)
class ImportReport:
    """What an import did: `imported` is 0 whenever `errors` is not empty."""

    rows: int
    imported: int
    errors: tuple[RowIssue, ...]
    warnings: tuple[RowIssue, ...] = ()
    dry_run: bool = False
    student_ids: tuple[int, ...] = ()

    def to_json_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "errors": [e.to_json() for e in self.errors],
            "warnings": [w.to_json() for w in self.warnings],
            "dry_run": self.dry_run,
        }


# --------------------------------------------------------------------------- public API


def preview_students(
    db: Database,
    actor: Actor,
    path: Path,
    *,
    class_name: str | None = None,
    sheet: str | None = None,
    today: date | None = None,
) -> StudentImportPreview:
    """Read `path` and check every row; writes nothing. Raises UserFacingError when the
    file cannot be read or the person may not import."""
    today = today or date.today()
    _require_may_import(actor)
    with db.read() as s:
        school, _year = _school_and_year(s)
        department_code = school.department_code
    parsed = parse_student_file(
        Path(path), today=today, class_name=class_name, sheet=sheet, department_code=department_code
    )
    with db.read() as s:
        return _check_against_database(s, actor, parsed, class_name)


def import_students(db: Database, actor: Actor, preview: StudentImportPreview) -> ImportReport:
    """Write every previewed student with their enrolment, or nothing when any row has
    an error (the database is checked again inside the write transaction)."""
    _require_may_import(actor)
    parsed = preview.parsed
    with db.write() as s:
        checked = _check_against_database(s, actor, parsed, preview.target_class)
        if not checked.ok:
            return _report(checked, imported=0)
        school, year = _school_and_year(s)
        ids = _write(s, actor, checked, school, year)
    return _report(checked, imported=len(ids), student_ids=ids)


def import_students_file(
    db: Database,
    actor: Actor,
    path: Path,
    *,
    class_name: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    today: date | None = None,
) -> ImportReport:
    """Preview and, unless `dry_run` or any row has an error, import (the command line)."""
    preview = preview_students(db, actor, path, class_name=class_name, sheet=sheet, today=today)
    if dry_run or not preview.ok:
        return _report(preview, imported=0, dry_run=dry_run)
    return import_students(db, actor, preview)


# --------------------------------------------------------------------------- checks


def _require_may_import(actor: Actor) -> None:
    if not (actor.is_admin or actor.homeroom_class_ids):
        raise PermissionDenied(
            "Chỉ cán bộ quản trị, hoặc giáo viên chủ nhiệm cho lớp của mình, mới nhập được danh sách "
            "học sinh."
        )


def _school_and_year(s: Session) -> tuple[School, SchoolYear]:
    school = s.scalar(select(School).order_by(School.id).limit(1))
    if school is None:
        raise UserFacingError("Cơ sở dữ liệu chưa có trường nào. Hãy tạo trường trước khi nhập học sinh.")
    year = s.scalar(
        select(SchoolYear)
        .where(SchoolYear.school_id == school.id)
        .order_by(SchoolYear.is_current.desc(), SchoolYear.start_date.desc())
        .limit(1)
    )
    if year is None:
        raise UserFacingError(
            "Trường chưa có năm học nào. Hãy tạo năm học và các lớp trước khi nhập học sinh."
        )
    return school, year


def _check_against_database(
    s: Session, actor: Actor, parsed: ParsedStudents, target_class: str | None
) -> StudentImportPreview:
    _, year = _school_and_year(s)
    classes = {
        class_key(c.name): c
        for c in s.scalars(select(SchoolClass).where(SchoolClass.school_year_id == year.id))
    }
    if target_class is not None:
        chosen = classes.get(class_key(target_class))
        if chosen is None:
            raise UserFacingError(
                f"Năm học {year.name} không có lớp “{target_class}”. Hãy chọn một lớp có trong danh sách.",
                field="class_name",
            )
        if not actor.is_admin and chosen.id not in actor.homeroom_class_ids:
            raise PermissionDenied(
                f"Bạn không phải giáo viên chủ nhiệm lớp {chosen.name}, nên không nhập được danh sách "
                "lớp này."
            )
    elif not actor.is_admin:
        raise PermissionDenied(
            "Giáo viên chủ nhiệm chỉ nhập được danh sách cho lớp của mình: hãy chọn lớp trước khi nhập."
        )

    existing = _Existing.load(s, parsed.drafts, classes)
    rows: list[StudentDraft] = []
    for draft in parsed.drafts:
        extra: list[RowIssue] = []
        klass = classes.get(class_key(draft.class_name)) if draft.class_name else None
        if draft.class_name and klass is None:
            extra.append(
                RowIssue(
                    draft.row,
                    "class_name",
                    f"Không có lớp “{draft.class_name}” trong năm học {year.name}. "
                    "Hãy sửa tên lớp cho đúng hoặc tạo lớp trước khi nhập.",
                )
            )
        elif klass is not None and not actor.is_admin and klass.id not in actor.homeroom_class_ids:
            extra.append(
                RowIssue(draft.row, "class_name", f"Bạn không phải giáo viên chủ nhiệm lớp {klass.name}.")
            )
        extra.extend(existing.problems(draft, klass))
        if extra:
            draft = replace(draft, errors=draft.errors + tuple(extra))
        if klass is not None and draft.class_name != klass.name:
            # Store and show the class as the school names it ("6a1" in the file → "6A1").
            draft = replace(draft, class_name=klass.name, shown={**draft.shown, "class_name": klass.name})
        rows.append(draft)
    return StudentImportPreview(
        parsed=parsed, rows=tuple(rows), year_name=year.name, target_class=target_class
    )


@dataclass
class _Existing:
    """Students already in the database that rows of the file could repeat."""

    by_national_id: dict[str, tuple[str, str | None]]
    by_code: dict[str, str]
    by_hocba_code: dict[str, str]
    in_class: dict[tuple[int, str, date], str]

    @classmethod
    def load(cls, s: Session, drafts: Iterable[StudentDraft], classes: dict[str, SchoolClass]) -> _Existing:
        drafts = tuple(drafts)
        ids = {d.national_id for d in drafts if d.national_id}
        codes = {d.student_code for d in drafts if d.student_code}
        hocba = {d.hocba_code for d in drafts if d.hocba_code}
        by_id: dict[str, tuple[str, str | None]] = {}
        by_code: dict[str, str] = {}
        by_hocba: dict[str, str] = {}
        for chunk in _chunks(ids):
            for nid, name, student_id in s.execute(
                select(Student.national_id, Student.full_name, Student.id).where(
                    Student.national_id.in_(chunk)
                )
            ):
                if nid is not None:
                    by_id[nid] = (name, _latest_class(s, student_id))
        for chunk in _chunks(codes):
            for code, name in s.execute(
                select(Student.student_code, Student.full_name).where(Student.student_code.in_(chunk))
            ):
                by_code[code] = name
        for chunk in _chunks(hocba):
            for code, name in s.execute(
                select(Student.hocba_code, Student.full_name).where(Student.hocba_code.in_(chunk))
            ):
                by_hocba[code] = name
        class_ids = [c.id for c in classes.values()]
        in_class: dict[tuple[int, str, date], str] = {}
        for class_id, name, dob in s.execute(
            select(Enrolment.class_id, Student.full_name, Student.date_of_birth)
            .join(Student, Student.id == Enrolment.student_id)
            .where(Enrolment.class_id.in_(class_ids), Enrolment.end_date.is_(None))
        ):
            in_class[(class_id, fold(name), dob)] = name
        return cls(by_id, by_code, by_hocba, in_class)

    def problems(self, draft: StudentDraft, klass: SchoolClass | None) -> list[RowIssue]:
        found: list[RowIssue] = []
        advice = "Học sinh đã có trong dữ liệu thì không nhập lại; hãy xoá dòng này khỏi tệp."
        if draft.national_id and draft.national_id in self.by_national_id:
            name, where = self.by_national_id[draft.national_id]
            at = f" (lớp {where})" if where else ""
            found.append(
                RowIssue(
                    draft.row,
                    "national_id",
                    f"Học sinh bị trùng: số định danh này đã có trong hồ sơ của {name}{at}. {advice}",
                )
            )
        if draft.student_code and draft.student_code in self.by_code:
            found.append(
                RowIssue(
                    draft.row,
                    "student_code",
                    f"Học sinh bị trùng: mã học sinh {draft.student_code} đã có "
                    f"trong hồ sơ của {self.by_code[draft.student_code]}. {advice}",
                )
            )
        if draft.hocba_code and draft.hocba_code in self.by_hocba_code:
            found.append(
                RowIssue(
                    draft.row,
                    "hocba_code",
                    f"Mã học bạ {draft.hocba_code} đã được dùng cho "
                    f"{self.by_hocba_code[draft.hocba_code]}. Hãy kiểm tra lại mã học bạ.",
                )
            )
        # The same person by name and birth date, when no identifier already said so.
        if not found and klass is not None and draft.full_name and draft.date_of_birth:
            same = self.in_class.get((klass.id, fold(draft.full_name), draft.date_of_birth))
            if same is not None:
                found.append(
                    RowIssue(
                        draft.row,
                        "full_name",
                        f"Học sinh bị trùng: lớp {klass.name} đã có {same} cùng "
                        f"ngày sinh {draft.date_of_birth:%d/%m/%Y}. {advice}",
                    )
                )
        return found


def _latest_class(s: Session, student_id: int) -> str | None:
    return s.scalar(
        select(SchoolClass.name)
        .join(Enrolment, Enrolment.class_id == SchoolClass.id)
        .where(Enrolment.student_id == student_id)
        .order_by(Enrolment.start_date.desc())
        .limit(1)
    )


def _chunks(values: set[str], size: int = 500) -> Iterable[list[str]]:
    ordered = sorted(values)
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


# --------------------------------------------------------------------------- writing


def _write(
    s: Session, actor: Actor, preview: StudentImportPreview, school: School, year: SchoolYear
) -> tuple[int, ...]:
    classes = {c.name: c for c in s.scalars(select(SchoolClass).where(SchoolClass.school_year_id == year.id))}
    next_temp = _next_temporary_code_number(s, school.school_code)
    student_rows: list[dict[str, object]] = []
    for draft in preview.rows:
        code = draft.student_code
        if code is None:
            code = f"{school.school_code}{_TEMP_CODE_MARK}{next_temp:05d}"
            next_temp += 1
        student_rows.append(
            {
                "school_id": school.id,
                "student_code": code,
                "hocba_code": draft.hocba_code or f"{school.school_code}-{code}",
                "national_id": draft.national_id,
                "national_id_override": None,
                "full_name": draft.full_name,
                "sex": draft.sex,
                "date_of_birth": draft.date_of_birth,
                "place_of_birth": draft.place_of_birth,
                "home_town": draft.home_town,
                "ethnicity": draft.ethnicity or "Kinh",
                "nationality": draft.nationality or "Việt Nam",
                "address": draft.address,
                "policy_status": draft.policy_status,
                "disabled_not_assessed": False,
                "father_name": draft.father_name,
                "mother_name": draft.mother_name,
                "guardian_name": draft.guardian_name,
            }
        )
    _refuse_generated_clashes(s, student_rows)
    result = s.execute(insert(Student).returning(Student.id, sort_by_parameter_order=True), student_rows)
    ids = tuple(int(i) for i in result.scalars())
    s.execute(
        insert(Enrolment),
        [
            {
                "student_id": student_id,
                "class_id": classes[draft.class_name].id,  # type: ignore[index]
                "start_date": year.start_date,
                "end_date": None,
                "end_reason": None,
                "registration_number": draft.registration_number,
            }
            for student_id, draft in zip(ids, preview.rows, strict=True)
        ],
    )
    parsed = preview.parsed
    audit.append_many(
        s,
        actor=actor.login,
        records=[
            audit.AuditRecord(
                action="student.create",
                entity="student",
                entity_id=student_id,
                detail={
                    "source": "excel_import",
                    "file": parsed.file_name,
                    "row": draft.row,
                    "class": draft.class_name,
                    "student_code": row["student_code"],
                    "full_name": draft.full_name,
                    "has_national_id": draft.national_id is not None,
                },
            )
            for student_id, draft, row in zip(ids, preview.rows, student_rows, strict=True)
        ],
    )
    per_class = Counter(d.class_name for d in preview.rows)
    audit.append(
        s,
        actor=actor.login,
        action="student.import",
        entity="school_year",
        entity_id=year.id,
        detail={
            "file": parsed.file_name,
            "sha256": parsed.file_sha256,
            "sheet": parsed.sheet,
            "rows": len(preview.rows),
            "imported": len(ids),
            "classes": dict(sorted(per_class.items(), key=lambda kv: str(kv[0]))),
            "without_national_id": sum(1 for d in preview.rows if d.national_id is None),
            "temporary_codes": sum(1 for d in preview.rows if d.student_code is None),
        },
    )
    return ids


def _next_temporary_code_number(s: Session, school_code: str) -> int:
    prefix = f"{school_code}{_TEMP_CODE_MARK}"
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    highest = 0
    for code in s.scalars(select(Student.student_code).where(Student.student_code.like(f"{prefix}%"))):
        match = pattern.fullmatch(code)
        if match:
            highest = max(highest, int(match.group(1)))
    return highest + 1


def _refuse_generated_clashes(s: Session, rows: list[dict[str, object]]) -> None:
    # Generated học bạ codes could, in theory, equal one a file gave another student.
    hocba = [str(r["hocba_code"]) for r in rows]
    clash = {h for h, n in Counter(hocba).items() if n > 1}
    for chunk in _chunks(set(hocba)):
        clash.update(s.scalars(select(Student.hocba_code).where(Student.hocba_code.in_(chunk))))
    if clash:
        raise UserFacingError(
            f"Mã học bạ {', '.join(sorted(clash))} bị trùng. Hãy kiểm tra cột “Mã học bạ” trong tệp "
            "rồi nhập lại."
        )


def _report(
    preview: StudentImportPreview, *, imported: int, dry_run: bool = False, student_ids: tuple[int, ...] = ()
) -> ImportReport:
    return ImportReport(
        rows=len(preview.rows),
        imported=imported,
        errors=preview.errors,
        warnings=preview.warnings,
        dry_run=dry_run,
        student_ids=student_ids,
    )
