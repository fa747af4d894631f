"""Importing teachers from .xlsx: one account per row, with subjects, classes and homeroom.

Columns (any order, header found as for students): "Họ và tên" (required), "Tên đăng
nhập" (optional: suggested from the name when missing, "gv.nguyenthihoa"), "Môn dạy"
and "Lớp dạy" (lists separated by commas: every listed subject is assigned in every
listed class whose grade learns it), "Chủ nhiệm lớp", "Vai trò" / "Chức vụ" (default
giáo viên bộ môn). Admin accounts are never created from a file.

Admin only. All or nothing in one write transaction, like the student import. Each new
account gets its own temporary password that must be changed at first sign-in; the
passwords are returned once (and, from the command line, written to an .xlsx for the
admin to print), never printed, logged or audited. Hashing them (argon2, deliberately
slow) happens before the write transaction, so the database is locked only briefly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import School, SchoolClass, SchoolYear, Subject, TeachingAssignment, UserAccount, UserRole
from app.models.db import Database
from app.models.people import (
    ROLE_CLERK,
    ROLE_HOMEROOM_TEACHER,
    ROLE_PRINCIPAL,
    ROLE_SUBJECT_TEACHER,
    ROLE_VICE_PRINCIPAL,
)
from app.rules.vnsort import fold
from app.services import audit
from app.services.access import Actor, require_admin
from app.services.accounts import generate_temporary_password, normalise_login, suggest_login
from app.services.excel_headers import TEACHER_FIELDS
from app.services.excel_reader import read_table
from app.services.excel_students import RowIssue
from app.services.excel_values import class_key, clean_text, display_text, parse_person_name
from app.services.passwords import hash_password

__all__ = ["NewAccount", "TeacherDraft", "TeacherImportReport", "import_teachers_file", "preview_teachers"]

_LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{2,59}")
_LIST_SPLIT = re.compile(r"\s*[,;/\n+]\s*")
_ROLE_WORDS: dict[str, str] = {
    "giao vien": ROLE_SUBJECT_TEACHER,
    "gv": ROLE_SUBJECT_TEACHER,
    "gvbm": ROLE_SUBJECT_TEACHER,
    "giao vien bo mon": ROLE_SUBJECT_TEACHER,
    "gvcn": ROLE_HOMEROOM_TEACHER,
    "chu nhiem": ROLE_HOMEROOM_TEACHER,
    "giao vien chu nhiem": ROLE_HOMEROOM_TEACHER,
    "hieu truong": ROLE_PRINCIPAL,
    "pho hieu truong": ROLE_VICE_PRINCIPAL,
    "pht": ROLE_VICE_PRINCIPAL,
    "van thu": ROLE_CLERK,
    "hoc vu": ROLE_CLERK,
    "nhan vien van thu": ROLE_CLERK,
}


@dataclass(frozen=True)
class TeacherDraft:
    row: int
    full_name: str | None
    login: str | None
    login_suggested: bool
    roles: tuple[str, ...]
    subjects: tuple[str, ...]  # subject names as the school names them
    assignments: tuple[tuple[str, str], ...]  # (class name, subject name)
    homeroom_class: str | None
    shown: dict[str, str] = field(default_factory=dict)
    errors: tuple[RowIssue, ...] = ()
    notes: tuple[RowIssue, ...] = ()


@dataclass(frozen=True)
class NewAccount:
    login: str
    full_name: str
    temporary_password: str


@dataclass(frozen=True)
class TeacherImportReport:
    rows: int
    imported: int
    errors: tuple[RowIssue, ...]
    warnings: tuple[RowIssue, ...] = ()
    drafts: tuple[TeacherDraft, ...] = ()
    accounts: tuple[NewAccount, ...] = ()  # with the temporary passwords: show once, never log
    dry_run: bool = False

    def to_json_dict(self) -> dict[str, object]:
        # No passwords here: this goes to stdout and into scripts' logs.
        return {
            "rows": self.rows,
            "imported": self.imported,
            "errors": [e.to_json() for e in self.errors],
            "warnings": [w.to_json() for w in self.warnings],
            "dry_run": self.dry_run,
            "accounts": [{"login": a.login, "full_name": a.full_name} for a in self.accounts],
        }


@dataclass(frozen=True)
class _Named:
    """A class or subject as plain values (the session that read it is closed by now)."""

    id: int
    name: str
    grade_id: int


@dataclass
class _School:
    school_id: int
    classes: dict[str, _Named]  # class_key → class
    subjects_by_key: dict[str, list[_Named]]  # folded code or name → subjects (one per grade)
    taken_logins: set[str]
    names: dict[str, str]  # folded full name → login
    assigned: dict[tuple[int, int], str]  # (class id, subject id) → teacher's name
    homerooms: dict[int, str]  # class id → homeroom teacher's name

    @classmethod
    def load(cls, s: Session) -> _School:
        school_id = s.scalar(select(School.id).order_by(School.id).limit(1))
        year = s.scalar(
            select(SchoolYear).order_by(SchoolYear.is_current.desc(), SchoolYear.start_date.desc()).limit(1)
        )
        if school_id is None or year is None:
            raise UserFacingError(
                "Trường chưa có năm học nào. Hãy tạo năm học, lớp và môn học trước khi nhập giáo viên."
            )
        class_rows = list(s.scalars(select(SchoolClass).where(SchoolClass.school_year_id == year.id)))
        classes = {class_key(c.name): _Named(c.id, c.name, c.grade_id) for c in class_rows}
        subjects: dict[str, list[_Named]] = {}
        for subject in s.scalars(select(Subject).where(Subject.school_year_id == year.id)):
            for key in {class_key(subject.code), class_key(subject.name)}:
                subjects.setdefault(key, []).append(_Named(subject.id, subject.name, subject.grade_id))
        users = {u.id: u for u in s.scalars(select(UserAccount))}
        assigned = {
            (a.class_id, a.subject_id): users[a.teacher_id].full_name
            for a in s.scalars(
                select(TeachingAssignment).where(
                    TeachingAssignment.class_id.in_([c.id for c in classes.values()])
                )
            )
        }
        homerooms = {
            c.id: users[c.homeroom_teacher_id].full_name for c in class_rows if c.homeroom_teacher_id
        }
        return cls(
            school_id=school_id,
            classes=classes,
            subjects_by_key=subjects,
            taken_logins={u.login for u in users.values()},
            names={fold(u.full_name): u.login for u in users.values()},
            assigned=assigned,
            homerooms=homerooms,
        )


def preview_teachers(
    db: Database, actor: Actor, path: Path, *, sheet: str | None = None
) -> TeacherImportReport:
    """Read and check a teacher list; writes nothing (`imported` is 0)."""
    require_admin(actor)
    table = read_table(Path(path), TEACHER_FIELDS, sheet=sheet, what="giáo viên")
    warnings: list[RowIssue] = []
    unused = [m.header for m in table.header.unused]
    if unused:
        warnings.append(
            RowIssue(
                table.header.row,
                "file",
                "Các cột sau không được nhập: " + ", ".join(f"“{h}”" for h in unused) + ".",
            )
        )
    with db.read() as s:
        school = _School.load(s)
    drafts: list[TeacherDraft] = []
    file_logins: dict[str, int] = {}
    file_pairs: dict[tuple[str, str], int] = {}
    file_homerooms: dict[str, int] = {}
    for sheet_row in table.rows:
        drafts.append(
            _read_row(sheet_row.row, sheet_row.values, school, file_logins, file_pairs, file_homerooms)
        )
    errors = tuple(e for d in drafts for e in d.errors)
    return TeacherImportReport(
        rows=len(drafts), imported=0, errors=errors, warnings=tuple(warnings), drafts=tuple(drafts)
    )


def import_teachers_file(
    db: Database,
    actor: Actor,
    path: Path,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    accounts_out: Path | None = None,
    write_accounts: Callable[[tuple[NewAccount, ...], Path], None] | None = None,
) -> TeacherImportReport:
    """Preview, then (unless `dry_run` or any row has an error) create every account.

    `accounts_out`: an .xlsx to write the logins and temporary passwords to; it is written
    inside the transaction, so when it cannot be written nothing is imported.
    """
    preview = preview_teachers(db, actor, path, sheet=sheet)
    if dry_run or preview.errors or not preview.drafts:
        return replace(preview, dry_run=dry_run)
    accounts = tuple(
        NewAccount(d.login or "", d.full_name or "", generate_temporary_password()) for d in preview.drafts
    )
    hashes = [hash_password(a.temporary_password) for a in accounts]
    with db.write() as s:
        school = _School.load(s)
        # Checked again inside the transaction: someone may have added accounts since.
        again = [_read_row(d.row, _values_of(d), school, {}, {}, {}) for d in preview.drafts]
        recheck = tuple(e for d in again for e in d.errors)
        if recheck:
            return replace(preview, errors=recheck)
        for draft, account, password_hash in zip(preview.drafts, accounts, hashes, strict=True):
            _create(s, actor, school, draft, account, password_hash)
        audit.append(
            s,
            actor=actor.login,
            action="teacher.import",
            entity="school",
            entity_id=school.school_id,
            detail={"file": Path(path).name, "rows": len(accounts), "imported": len(accounts)},
        )
        if accounts_out is not None:
            (write_accounts or _write_accounts)(accounts, accounts_out)
    return replace(preview, imported=len(accounts), accounts=accounts)


def _write_accounts(accounts: tuple[NewAccount, ...], out: Path) -> None:
    from app.services.excel_export import export_new_accounts

    export_new_accounts(accounts, out)


def _values_of(draft: TeacherDraft) -> dict[str, object]:
    return dict(draft.shown)


def _create(
    s: Session, actor: Actor, school: _School, draft: TeacherDraft, account: NewAccount, password_hash: str
) -> None:
    user = UserAccount(
        school_id=school.school_id,
        login=account.login,
        full_name=account.full_name,
        password_hash=password_hash,
        must_change_password=True,
        active=True,
        failed_logins=0,
    )
    user.roles = [UserRole(role=r) for r in draft.roles]
    s.add(user)
    s.flush()
    for class_name, subject_name in draft.assignments:
        klass = school.classes[class_key(class_name)]
        subject = next(
            x for x in school.subjects_by_key[class_key(subject_name)] if x.grade_id == klass.grade_id
        )
        s.add(TeachingAssignment(teacher_id=user.id, class_id=klass.id, subject_id=subject.id))
    if draft.homeroom_class:
        s.execute(
            update(SchoolClass)
            .where(SchoolClass.id == school.classes[class_key(draft.homeroom_class)].id)
            .values(homeroom_teacher_id=user.id)
        )
    s.flush()
    audit.append(
        s,
        actor=actor.login,
        action="account.create",
        entity="user_account",
        entity_id=user.id,
        detail={
            "source": "excel_import",
            "login": account.login,
            "full_name": account.full_name,
            "roles": list(draft.roles),
            "teaches": [f"{c}: {sub}" for c, sub in draft.assignments],
            "homeroom_of": draft.homeroom_class,
        },
    )


def _split(value: object) -> list[str]:
    text = clean_text(value) if not isinstance(value, str) else value
    if not text:
        return []
    return [p.strip() for p in _LIST_SPLIT.split(text) if p.strip()]


def _read_row(
    row: int,
    cells: Mapping[str, object],
    school: _School,
    file_logins: dict[str, int],
    file_pairs: dict[tuple[str, str], int],
    file_homerooms: dict[str, int],
) -> TeacherDraft:
    values = dict(cells)
    shown = {k: display_text(v) for k, v in values.items()}
    errors: list[RowIssue] = []
    notes: list[RowIssue] = []

    def error(key: str, message: str) -> None:
        errors.append(RowIssue(row, key, message))

    name, _ = parse_person_name(values.get("full_name"))
    if name is None:
        error("full_name", "Thiếu họ và tên giáo viên.")
    login, suggested = _login(values.get("login"), name, school, file_logins, row, error)
    roles = _roles(values.get("roles"), error)

    subjects: list[str] = []
    for item in _split(values.get("subjects")):
        found = school.subjects_by_key.get(class_key(item))
        if not found:
            error(
                "subjects",
                f"Năm học này không có môn “{item}”. Hãy ghi đúng tên môn như trong phần Thiết lập.",
            )
        else:
            subjects.append(found[0].name)
    classes: list[_Named] = []
    for item in _split(values.get("classes")):
        klass = school.classes.get(class_key(item))
        if klass is None:
            error("classes", f"Không có lớp “{item}” trong năm học này.")
        else:
            classes.append(klass)
    if classes and not subjects and "subjects" not in {e.field for e in errors}:
        error("subjects", "Có lớp dạy nhưng chưa ghi môn dạy. Hãy điền cột “Môn dạy”.")
    if subjects and not values.get("classes"):
        notes.append(
            RowIssue(row, "classes", "Chưa ghi lớp dạy: môn dạy chưa được phân công, hãy phân công sau.")
        )
    assignments: list[tuple[str, str]] = []
    for klass in classes:
        for subject_name in subjects:
            subject = next(
                (x for x in school.subjects_by_key[class_key(subject_name)] if x.grade_id == klass.grade_id),
                None,
            )
            if subject is None:
                continue  # e.g. a subject of grade 6 only, listed with a class of grade 9
            taken = school.assigned.get((klass.id, subject.id))
            earlier = file_pairs.get((klass.name, subject.name))
            if taken is not None:
                error(
                    "classes",
                    f"Môn {subject.name} lớp {klass.name} đã do {taken} dạy. Muốn đổi người dạy, hãy "
                    "dùng chức năng bàn giao.",
                )
            elif earlier is not None:
                error(
                    "classes",
                    f"Môn {subject.name} lớp {klass.name} đã được giao cho giáo viên ở dòng {earlier}.",
                )
            else:
                file_pairs[(klass.name, subject.name)] = row
                assignments.append((klass.name, subject.name))

    homeroom = None
    homeroom_text = clean_text(values.get("homeroom_class"))
    if homeroom_text is not None:
        klass = school.classes.get(class_key(homeroom_text))
        if klass is None:
            error("homeroom_class", f"Không có lớp “{homeroom_text}” trong năm học này.")
        elif klass.id in school.homerooms:
            error(
                "homeroom_class", f"Lớp {klass.name} đã có giáo viên chủ nhiệm {school.homerooms[klass.id]}."
            )
        elif klass.name in file_homerooms:
            error(
                "homeroom_class",
                f"Lớp {klass.name} đã được giao chủ nhiệm cho dòng {file_homerooms[klass.name]}.",
            )
        else:
            file_homerooms[klass.name] = row
            homeroom = klass.name
            if ROLE_HOMEROOM_TEACHER not in roles:
                roles = (*roles, ROLE_HOMEROOM_TEACHER)
    if suggested and login:
        notes.append(RowIssue(row, "login", f"Tên đăng nhập được đặt tự động: {login}."))
    shown.update({"full_name": name or "", "login": login or ""})
    return TeacherDraft(
        row=row,
        full_name=name,
        login=login,
        login_suggested=suggested,
        roles=roles,
        subjects=tuple(subjects),
        assignments=tuple(assignments),
        homeroom_class=homeroom,
        shown=shown,
        errors=tuple(errors),
        notes=tuple(notes),
    )


def _login(
    value: object,
    name: str | None,
    school: _School,
    file_logins: dict[str, int],
    row: int,
    error: Callable[[str, str], None],
) -> tuple[str | None, bool]:
    given = clean_text(value)
    if given is None:
        if name is None:
            return None, False
        existing = school.names.get(fold(name))
        if existing is not None:
            error(
                "full_name",
                f"Đã có tài khoản của {name} ({existing}). Nếu đây là người khác trùng tên, hãy ghi "
                "tên đăng nhập riêng cho người này.",
            )
            return None, False
        login = suggest_login(name, school.taken_logins | set(file_logins))
        file_logins[login] = row
        return login, True
    login = normalise_login(given)
    if not _LOGIN.fullmatch(login):
        error(
            "login",
            f"Tên đăng nhập “{given}” không hợp lệ: cần 3–60 kí tự, chỉ gồm chữ không dấu, chữ số, "
            "dấu chấm, gạch dưới hoặc gạch ngang.",
        )
        return None, False
    if login in school.taken_logins:
        error("login", f"Tên đăng nhập “{login}” đã có người dùng. Hãy chọn tên khác.")
    elif login in file_logins:
        error("login", f"Tên đăng nhập “{login}” trùng với dòng {file_logins[login]}.")
    else:
        file_logins[login] = row
    return login, False


def _roles(value: object, error: Callable[[str, str], None]) -> tuple[str, ...]:
    found: list[str] = []
    for item in _split(value):
        word = re.sub(r"[^0-9a-z ]+", " ", fold(item)).strip()
        word = " ".join(word.split())
        if word in ("quan tri", "admin", "can bo quan tri"):
            error("roles", "Không tạo tài khoản quản trị từ tệp. Hãy tạo trong màn hình Tài khoản.")
        elif word in _ROLE_WORDS:
            if _ROLE_WORDS[word] not in found:
                found.append(_ROLE_WORDS[word])
        else:
            error(
                "roles",
                f"Vai trò “{item}” không rõ. Hãy ghi: Giáo viên, Giáo viên chủ nhiệm, Hiệu trưởng, "
                "Phó hiệu trưởng hoặc Văn thư.",
            )
    return tuple(found) or (ROLE_SUBJECT_TEACHER,)
