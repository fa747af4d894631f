"""The demo school: a complete, realistic school year to try every screen and the signing flow.

`create_demo_school` fills an empty, migrated database with one school (marked is_demo, so
only the demo signer may sign for it), its current year, classes, subjects, staff with
teaching assignments, students and complete assessments for both semesters.

Design choices:
- One write transaction: either the whole school exists or nothing does.
- Rows are built as plain dicts with ids allocated here and inserted table by table with
  executemany, never one ORM object and flush per row: 2,000 students mean ~60,000 rows.
- Everything random comes from one `random.Random(seed)`, drawn in a fixed order from
  tuples (never sets or dict views), so the same seed and `today` give identical data.
  Only timestamps (created_at/updated_at, the audit row's time) and the password hash's
  salt differ between runs.
- The spread of results is planned, not left to noise: a deterministic fraction of
  students get a profile (Xuất sắc, Giỏi, kiểm tra lại, rèn luyện hè, nghỉ quá 45 buổi,
  …) whose scores are drawn inside bounds that guarantee the rule outcome, so the demo
  always shows every branch of the promotion rules.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, TypeVar, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from app.errors import UserFacingError
from app.models import (
    Attendance,
    Award,
    Base,
    Conduct,
    Enrolment,
    Grade,
    PrimaryAssessment,
    PrimaryTrait,
    School,
    SchoolClass,
    SchoolYear,
    SecondaryAssessment,
    Semester,
    Student,
    StudyHistory,
    Subject,
    TeachingAssignment,
    UserAccount,
    UserRole,
    YearComment,
)
from app.models.base import utcnow
from app.models.db import Database
from app.models.people import (
    ALL_ROLES,
    ROLE_ADMIN,
    ROLE_CLERK,
    ROLE_HOMEROOM_TEACHER,
    ROLE_PRINCIPAL,
    ROLE_SUBJECT_TEACHER,
    ROLE_VICE_PRINCIPAL,
)
from app.rules import curriculum
from app.rules.curriculum import LEVEL_CODES, CurriculumSubject
from app.rules.levels import Level
from app.rules.provinces import BIRTH_REGISTRATION_PROVINCES
from app.rules.tt22 import conduct_year, required_tx_count
from app.rules.vnsort import fold
from app.services import audit
from app.services import demo_names as names
from app.services.passwords import hash_password

__all__ = [
    "DEMO_PASSWORD",
    "MAX_CLASSES",
    "MAX_STUDENTS_PER_CLASS",
    "DemoAccount",
    "DemoClass",
    "DemoCounts",
    "DemoSummary",
    "DemoTeaching",
    "create_demo_school",
    "school_year_start",
]

#: Every demo account logs in with this password (printed by `python -m app demo`).
DEMO_PASSWORD: Final = "hocba2026"

MAX_CLASSES: Final = 300
MAX_STUDENTS_PER_CLASS: Final = 60

_TENTH = Decimal("0.1")
_T = TypeVar("_T")
_PRIMARY_PERIODS: Final = ("ck1", "cn")
_PRIMARY_MIDTERMS: Final = ("gk1", "gk2")
# TT27: mid-term tests in Tiếng Việt and Toán for grades 4–5 only.
_MIDTERM_SUBJECTS: Final = ("tiengviet", "toan")
_MIDTERM_GRADES: Final = (4, 5)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DemoTeaching:
    class_name: str
    subject_code: str


@dataclass(frozen=True)
class DemoAccount:
    login: str
    full_name: str
    roles: tuple[str, ...]
    homeroom_of: tuple[str, ...]
    teaches: tuple[DemoTeaching, ...]


@dataclass(frozen=True)
class DemoClass:
    name: str
    grade: int
    homeroom_login: str
    students: int


@dataclass(frozen=True)
class DemoCounts:
    classes: int
    students: int
    teachers: int
    accounts: int
    # Subject assessment rows: secondary_assessment (one per student × subject ×
    # semester) or primary_assessment (one per student × subject × period).
    assessments: int


@dataclass(frozen=True)
class DemoSummary:
    school_name: str
    school_code: str
    level: str
    year: str
    counts: DemoCounts
    classes: tuple[DemoClass, ...]
    accounts: tuple[DemoAccount, ...]
    demo_password: str = DEMO_PASSWORD

    def to_json_dict(self) -> dict[str, object]:
        return {
            "school": {"name": self.school_name, "school_code": self.school_code, "level": self.level},
            "year": self.year,
            "counts": {
                "classes": self.counts.classes,
                "students": self.counts.students,
                "teachers": self.counts.teachers,
                "accounts": self.counts.accounts,
                "assessments": self.counts.assessments,
            },
            "classes": [
                {"name": c.name, "grade": c.grade, "homeroom": c.homeroom_login, "students": c.students}
                for c in self.classes
            ],
            "accounts": [
                {
                    "login": a.login,
                    "full_name": a.full_name,
                    "roles": list(a.roles),
                    "homeroom_of": list(a.homeroom_of),
                    "teaches": [{"class": t.class_name, "subject": t.subject_code} for t in a.teaches],
                }
                for a in self.accounts
            ],
            "demo_password": self.demo_password,
        }


# --------------------------------------------------------------------------- entry point


def create_demo_school(
    db: Database,
    *,
    level: str = "thcs",
    classes: int = 12,
    students_per_class: int = 40,
    seed: int = 0,
    today: date | None = None,
) -> DemoSummary:
    """Create the demo school in an empty database; refuse if any school exists."""
    if level not in curriculum.LEVELS:
        raise UserFacingError(
            f"Cấp học không hợp lệ: {level!r}. Chỉ nhận tieuhoc (tiểu học), thcs hoặc thpt.",
            field="level",
        )
    if not 1 <= classes <= MAX_CLASSES:
        raise UserFacingError(f"Số lớp phải từ 1 đến {MAX_CLASSES}.", field="classes")
    if not 1 <= students_per_class <= MAX_STUDENTS_PER_CLASS:
        raise UserFacingError(
            f"Số học sinh mỗi lớp phải từ 1 đến {MAX_STUDENTS_PER_CLASS}.", field="students_per_class"
        )
    today = today or date.today()
    # Hash once and share the string: argon2 costs ~0.1 s per hash by design, and the
    # demo has dozens of accounts that all use the same published password anyway.
    password_hash = hash_password(DEMO_PASSWORD)

    with db.write() as s:
        if s.scalar(select(School.id).limit(1)) is not None:
            raise UserFacingError(
                "Cơ sở dữ liệu này đã có trường học, nên không thể tạo trường mẫu (DEMO). "
                "Hãy tạo trường mẫu trong một tệp dữ liệu mới."
            )
        builder = _Builder(
            level=level,
            n_classes=classes,
            students_per_class=students_per_class,
            rng=random.Random(seed),
            today=today,
            password_hash=password_hash,
            first_ids=_next_ids(s),
        )
        builder.build()
        builder.insert(s)
        summary = builder.summary()
        audit.append(
            s,
            actor="system",
            action="demo.create",
            entity="school",
            entity_id=builder.school_id,
            detail={
                "level": level,
                "year": summary.year,
                "seed": seed,
                "counts": summary.to_json_dict()["counts"],
            },
        )
    return summary


def school_year_start(today: date) -> int:
    """First calendar year of the school year `today` belongs to.

    From August the coming year is the one being prepared (classes, lists, accounts), so
    a demo created in August 2026 shows 2026-2027; until July it shows the running year.
    """
    return today.year if today.month >= 8 else today.year - 1


# --------------------------------------------------------------------------- building

# Tables in foreign-key order; the builder fills rows for each.
_TABLES: Final[tuple[type[Base], ...]] = (
    School,
    UserAccount,
    UserRole,
    SchoolYear,
    Semester,
    Grade,
    SchoolClass,
    Subject,
    TeachingAssignment,
    Student,
    StudyHistory,
    Enrolment,
    SecondaryAssessment,
    PrimaryAssessment,
    PrimaryTrait,
    Conduct,
    Attendance,
    YearComment,
    Award,
)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _next_ids(s: Session) -> dict[str, int]:
    # The database holds no school, hence (foreign keys) no rows referring to one; asking
    # anyway keeps explicit ids safe if some table was touched by hand.
    out: dict[str, int] = {}
    for model in _TABLES:
        table = _table(model)
        out[table.name] = int(s.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1
    return out


@dataclass(frozen=True)
class _Group:
    """Subjects one teacher teaches together, and at most how many classes."""

    codes: tuple[str, ...]
    max_classes: int


# Main subjects first: their teachers are preferred as homeroom teachers, as in schools.
_GROUPS: Final[dict[str, tuple[_Group, ...]]] = {
    "tieuhoc": (
        # The class teacher teaches most subjects of their own class (TT27 practice).
        _Group(("tiengviet", "toan", "daoduc", "tnxh", "lsdl", "khoahoc", "hdtn"), 1),
        _Group(("ngoaingu1",), 6),
        _Group(("tinhoc_congnghe",), 6),
        _Group(("gdtc",), 6),
        _Group(("nghethuat_amnhac",), 6),
        _Group(("nghethuat_mythuat",), 6),
    ),
    "thcs": (
        _Group(("nguvan",), 4),
        _Group(("toan",), 4),
        _Group(("ngoaingu1",), 5),
        _Group(("khtn",), 4),
        _Group(("lsdl",), 5),
        _Group(("gdcd", "gddp"), 6),
        _Group(("congnghe", "tinhoc"), 6),
        _Group(("gdtc",), 6),
        _Group(("nghethuat_amnhac",), 6),
        _Group(("nghethuat_mythuat",), 6),
        _Group(("hdtn_hn",), 6),
    ),
    "thpt": (
        _Group(("nguvan",), 5),
        _Group(("toan",), 5),
        _Group(("ngoaingu1",), 5),
        _Group(("vatli",), 6),
        _Group(("hoahoc",), 6),
        _Group(("sinhhoc",), 6),
        _Group(("tinhoc",), 6),
        _Group(("diali",), 6),
        _Group(("gdktpl",), 6),
        _Group(("congnghe",), 6),
        _Group(("lichsu", "gddp"), 6),
        _Group(("gdqpan",), 6),
        _Group(("gdtc",), 6),
        _Group(("hdtn_hn",), 6),
        _Group(("amnhac",), 6),
        _Group(("mythuat",), 6),
    ),
}

# Typical offsets of subject averages from a student's overall ability.
_SUBJECT_BIAS: Final[dict[str, float]] = {
    "toan": -0.3, "nguvan": -0.1, "ngoaingu1": -0.2, "khtn": -0.2, "lsdl": 0.1, "gdcd": 0.6,
    "congnghe": 0.5, "tinhoc": 0.4, "lichsu": 0.1, "gdqpan": 0.7, "vatli": -0.2,
    "hoahoc": -0.3, "sinhhoc": 0.0, "diali": 0.2, "gdktpl": 0.4,
}

# Profiles: fraction of students (of those assessed), and whether at least one is forced
# in any school of 20 students or more so that every rule branch is visible.
_SECONDARY_PROFILES: Final[tuple[tuple[str, float], ...]] = (
    ("xuat_sac", 0.03),
    ("gioi", 0.12),
    ("kiem_tra_lai", 0.015),
    ("ren_luyen_he", 0.004),
    ("absent", 0.008),
    ("comment_cd", 0.01),
)
_PRIMARY_PROFILES: Final[tuple[tuple[str, float], ...]] = (
    ("htxs", 0.10),
    ("htt", 0.20),
    ("cht", 0.015),
)
_FORCE_PROFILES_FROM: Final = 20

# Lookups over the tuples of demo_names, built once (the generator runs per row).
_MINORITY_FAMILIES: Final = dict(names.MINORITY_FAMILY_NAMES)
_SCORED_BY_TIER: Final = dict(names.SCORED_COMMENTS)
_SCORED_BY_SUBJECT: Final = {code: (high, other) for code, high, other in names.SUBJECT_COMMENTS}
_CHECKS_BY_SUBJECT: Final = dict(names.COMMENT_SUBJECT_SPECIFIC)
_PRIMARY_BY_SUBJECT: Final = {code: (t, h, c) for code, t, h, c in names.PRIMARY_SUBJECT_COMMENTS}
_YEAR_CONDUCT: Final = dict(names.YEAR_CONDUCT_PHRASES)
_YEAR_LEARNING: Final = dict(names.YEAR_LEARNING_PHRASES)
_YEAR_ADVICE: Final = dict(names.YEAR_ADVICE_PHRASES)
_PRIMARY_YEAR: Final = dict(names.PRIMARY_YEAR_COMMENTS)
_SCHOOLS: Final = dict(names.SCHOOLS)


@dataclass
class _Teacher:
    id: int
    login: str
    full_name: str
    roles: list[str]
    homeroom_of: list[str] = field(default_factory=list)
    teaches: list[DemoTeaching] = field(default_factory=list)


@dataclass
class _Class:
    id: int
    name: str
    grade: int
    homeroom_id: int = 0
    homeroom_login: str = ""
    students: int = 0


@dataclass(frozen=True)
class _SubjectRow:
    id: int
    entry: CurriculumSubject


@dataclass
class _Plan:
    """How one student's year will turn out, decided before any score is drawn."""

    profile: str
    ability: float
    # code → (centre, lowest, highest) for scored subjects; bounds are what make the
    # profile's outcome certain whatever the noise draws.
    scored: dict[str, tuple[float, Decimal, Decimal]] = field(default_factory=dict)
    failed_comment: str | None = None  # comment subject at Chưa đạt (HKII, so the year too)
    conduct: tuple[str, str] = ("T", "T")


class _Builder:
    def __init__(
        self,
        *,
        level: str,
        n_classes: int,
        students_per_class: int,
        rng: random.Random,
        today: date,
        password_hash: str,
        first_ids: dict[str, int],
    ) -> None:
        self.level = level
        self.n_classes = n_classes
        self.students_per_class = students_per_class
        self.rng = rng
        self.password_hash = password_hash
        self.now: datetime = utcnow()
        self.profile = _SCHOOLS[level]
        self.level_code = LEVEL_CODES[level]
        self.grades = curriculum.grades_for(level)
        self.start_year = school_year_start(today)
        self.year_name = f"{self.start_year}-{self.start_year + 1}"
        self.year_start = date(self.start_year, 9, 5)
        self.year_end = date(self.start_year + 1, 5, 31)
        prov2 = self.profile.home_code[-2:]
        self.department_code = prov2
        self.school_code = f"{prov2}{self.level_code}9901"
        self._ids = dict(first_ids)
        self.rows: dict[str, list[dict[str, Any]]] = {_table(m).name: [] for m in _TABLES}
        self.school_id = 0
        self.year_id = 0
        self.staff: list[_Teacher] = []
        self.teachers: list[_Teacher] = []
        self.classes: list[_Class] = []
        self.subjects: dict[int, tuple[_SubjectRow, ...]] = {}
        self.grade_ids: dict[int, int] = {}
        self._logins: dict[str, int] = {}
        self._staff_names: set[str] = set()
        self._student_codes: set[str] = set()
        self._national_ids: set[str] = set()
        self._registration_counters: dict[int, int] = {}
        self.assessment_count = 0
        self._award_pool = list(names.AWARD_TITLES_PRIMARY if level == "tieuhoc" else names.AWARD_TITLES)

    # ------------------------------------------------------------------ helpers

    def _id(self, model: type[Base]) -> int:
        name = _table(model).name
        value = self._ids[name]
        self._ids[name] = value + 1
        return value

    def _add(self, model: type[Base], **values: Any) -> int:
        row_id = self._id(model)
        self.rows[_table(model).name].append({"id": row_id, **values})
        return row_id

    def _weighted(self, pairs: Sequence[tuple[_T, int]]) -> _T:
        return self.rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs], k=1)[0]

    # ------------------------------------------------------------------ build

    def build(self) -> None:
        self._school_and_staff()
        self._year_grades_subjects()
        self._classes()
        self._teaching()
        self._staff_and_class_rows()
        self._students()

    def _school_and_staff(self) -> None:
        self.school_id = self._id(School)
        principal = self._staff_account("hieutruong", [ROLE_PRINCIPAL])
        self.rows["school"].append(
            {
                "id": self.school_id,
                "name": self.profile.name,
                "school_code": self.school_code,
                "department_code": self.department_code,
                "province": self.profile.province,
                # Since the 2025 reorganisation addresses have no district level.
                "district": None,
                "address": self.profile.address,
                "levels": self.level_code,
                "issuing_place": self.profile.issuing_place,
                "principal_name": principal.full_name,
                "is_demo": True,
            }
        )
        self._staff_account("phohieutruong", [ROLE_VICE_PRINCIPAL])
        self._staff_account("vanthu", [ROLE_CLERK])
        self._staff_account("admin", [ROLE_ADMIN])

    def _adult_name(self, sex: int) -> str:
        family = self._weighted(names.FAMILY_NAMES)
        if sex == 1:
            middle = self.rng.choice(names.ADULT_MALE_MIDDLE)
            given = self.rng.choice(names.ADULT_MALE_GIVEN)
        else:
            middle = self.rng.choice(names.ADULT_FEMALE_MIDDLE)
            given = self.rng.choice(names.ADULT_FEMALE_GIVEN)
        return f"{family} {middle} {given}"

    def _unique_staff_name(self, sex: int) -> str:
        # Two teachers with the same full name confuse everyone in a demo; redraw.
        while True:
            candidate = self._adult_name(sex)
            if candidate not in self._staff_names:
                self._staff_names.add(candidate)
                return candidate

    def _staff_account(self, login: str | None, roles: list[str]) -> _Teacher:
        # About seven teachers in ten are women.
        sex = 2 if self.rng.random() < 0.7 else 1
        full_name = self._unique_staff_name(sex)
        if login is None:
            base = "gv." + "".join(ch for ch in fold(full_name) if ch.isascii() and ch.isalnum())
            n = self._logins.get(base, 0) + 1
            self._logins[base] = n
            login = base if n == 1 else f"{base}{n}"
        person = _Teacher(id=self._id(UserAccount), login=login, full_name=full_name, roles=roles)
        self.staff.append(person)
        return person

    def _year_grades_subjects(self) -> None:
        self.year_id = self._add(
            SchoolYear,
            school_id=self.school_id,
            name=self.year_name,
            start_date=self.year_start,
            end_date=self.year_end,
            is_current=True,
        )
        # HKI from the opening day to mid-January, HKII to the end of May (Ministry's
        # yearly framework: HKI ends before 18/1, the year before 31/5).
        hk1_end = date(self.start_year + 1, 1, 17)
        self._add(
            Semester, school_year_id=self.year_id, number=1, start_date=self.year_start, end_date=hk1_end
        )
        self._add(
            Semester,
            school_year_id=self.year_id,
            number=2,
            start_date=hk1_end + timedelta(days=1),
            end_date=self.year_end,
        )
        for g in self.grades:
            self.grade_ids[g] = self._add(Grade, school_id=self.school_id, number=g, level=self.level_code)
        for g in self.grades:
            rows = []
            for entry in curriculum.subjects_for(self.level, g):
                sid = self._add(
                    Subject,
                    school_year_id=self.year_id,
                    grade_id=self.grade_ids[g],
                    code=entry.code,
                    name=entry.name,
                    lessons_per_year=entry.lessons_per_year,
                    assessment=entry.assessment,
                    periodic_test=entry.periodic_test,
                    sort_order=entry.sort_order,
                )
                rows.append(_SubjectRow(sid, entry))
            self.subjects[g] = tuple(rows)

    def _classes(self) -> None:
        grades = list(self.grades)
        made: list[_Class] = []
        for i in range(self.n_classes):
            grade = grades[i % len(grades)]
            k = i // len(grades)
            made.append(_Class(id=self._id(SchoolClass), name=self._class_name(grade, k), grade=grade))
        # Grade by grade, in name order: the order lists and load-splitting use.
        self.classes = sorted(made, key=lambda c: (c.grade, c.id))

    def _class_name(self, grade: int, k: int) -> str:
        if self.level == "tieuhoc" and k < len(names.CLASS_LETTERS):
            return f"{grade}{names.CLASS_LETTERS[k]}"
        return f"{grade}A{k + 1}"

    def _teaching(self) -> None:
        groups = _GROUPS[self.level]
        group_of: dict[str, int] = {}
        for gi, group in enumerate(groups):
            for code in group.codes:
                group_of[code] = gi
        for g in self.grades:
            for subject in self.subjects[g]:
                if subject.entry.code not in group_of:
                    raise RuntimeError(f"demo: no teacher group for subject {subject.entry.code}")
        # class id → candidate homeroom teachers, in preference order (group order).
        candidates: dict[int, list[_Teacher]] = {c.id: [] for c in self.classes}
        assignments: list[tuple[_Class, _SubjectRow, _Teacher]] = []
        for gi, group in enumerate(groups):
            applicable = [
                c for c in self.classes
                if any(group_of[s.entry.code] == gi for s in self.subjects[c.grade])
            ]
            if not applicable:
                continue
            n_teachers = math.ceil(len(applicable) / group.max_classes)
            size, extra = divmod(len(applicable), n_teachers)
            start = 0
            for t in range(n_teachers):
                chunk = applicable[start : start + size + (1 if t < extra else 0)]
                start += len(chunk)
                teacher = self._staff_account(None, [ROLE_SUBJECT_TEACHER])
                self.teachers.append(teacher)
                for klass in chunk:
                    candidates[klass.id].append(teacher)
                    for subject in self.subjects[klass.grade]:
                        if group_of[subject.entry.code] == gi:
                            assignments.append((klass, subject, teacher))
        self._match_homerooms(candidates)
        order = {c.id: i for i, c in enumerate(self.classes)}
        assignments.sort(key=lambda a: (order[a[0].id], a[1].entry.sort_order))
        for klass, subject, teacher in assignments:
            self._add(
                TeachingAssignment,
                teacher_id=teacher.id,
                class_id=klass.id,
                subject_id=subject.id,
                locked_at=None,
            )
            teacher.teaches.append(DemoTeaching(klass.name, subject.entry.code))

    def _staff_and_class_rows(self) -> None:
        # Written only now: homeroom teachers and the gvcn role are known after matching.
        for klass in sorted(self.classes, key=lambda c: c.id):
            self.rows["school_class"].append(
                {
                    "id": klass.id,
                    "school_year_id": self.year_id,
                    "grade_id": self.grade_ids[klass.grade],
                    "name": klass.name,
                    "homeroom_teacher_id": klass.homeroom_id,
                }
            )
        for person in self.staff:
            self.rows["user_account"].append(
                {
                    "id": person.id,
                    "school_id": self.school_id,
                    "login": person.login,
                    "full_name": person.full_name,
                    "password_hash": self.password_hash,
                    "must_change_password": False,
                    "active": True,
                    "failed_logins": 0,
                    "locked_until": None,
                    "created_at": self.now,
                }
            )
            for role in person.roles:
                self._add(UserRole, user_id=person.id, role=role)

    def _match_homerooms(self, candidates: dict[int, list[_Teacher]]) -> None:
        """One homeroom class per teacher, among the teachers of that class.

        A bipartite matching (augmenting paths) rather than greedy: greedy can strand a
        class whose teachers were all taken. A perfect matching exists (Hall's
        condition): at primary every class has its own class teacher; at secondary every
        class has a teacher from each of at least 11 groups and no teacher has more than
        6 classes, so any k classes have at least 11k/6 ≥ k teachers.
        """
        owner: dict[int, int] = {}  # teacher id → class id
        by_id = {c.id: c for c in self.classes}

        def place(class_id: int, seen: set[int]) -> bool:
            for teacher in candidates[class_id]:
                if teacher.id in seen:
                    continue
                seen.add(teacher.id)
                if teacher.id not in owner or place(owner[teacher.id], seen):
                    owner[teacher.id] = class_id
                    return True
            return False

        for klass in self.classes:
            if not place(klass.id, set()):
                raise RuntimeError(f"demo: no homeroom teacher available for class {klass.name}")
        teachers = {t.id: t for t in self.teachers}
        for teacher_id, class_id in sorted(owner.items()):
            teacher = teachers[teacher_id]
            klass = by_id[class_id]
            klass.homeroom_id = teacher.id
            klass.homeroom_login = teacher.login
            teacher.homeroom_of.append(klass.name)
            teacher.roles.append(ROLE_HOMEROOM_TEACHER)

    # ------------------------------------------------------------------ students

    def _students(self) -> None:
        total = len(self.classes) * self.students_per_class
        profiles = self._assign_profiles(total)
        first_grade = self.grades[0]
        index = 0
        for klass in self.classes:
            used_names: set[str] = set()
            for _ in range(self.students_per_class):
                profile = profiles[index]
                index += 1
                self._student(klass, profile, first_grade, used_names)
                klass.students += 1

    def _assign_profiles(self, total: int) -> list[str]:
        profiles = ["normal"] * total
        order = list(range(total))
        self.rng.shuffle(order)
        cursor = 0
        # One disabled student not assessed in small schools, two from 300 students.
        disabled = 0 if total < _FORCE_PROFILES_FROM else (1 if total < 300 else 2)
        table = _PRIMARY_PROFILES if self.level == "tieuhoc" else _SECONDARY_PROFILES
        wanted = [("disabled", disabled)]
        for name, fraction in table:
            n = round(total * fraction)
            if total >= _FORCE_PROFILES_FROM:
                n = max(1, n)
            wanted.append((name, n))
        for name, n in wanted:
            for i in order[cursor : cursor + n]:
                profiles[i] = name
            cursor += n
        return profiles

    def _student(self, klass: _Class, profile: str, first_grade: int, used_names: set[str]) -> None:
        rng = self.rng
        sex = 1 if rng.random() < 0.51 else 2
        ethnicity = self._weighted(self.profile.ethnicity_weights)
        family, full_name = self._child_name(sex, ethnicity, used_names)

        # Grade g in the year starting Y: born in Y − (g + 5); a few a year earlier
        # (started school late or repeated a grade).
        birth_year = self.start_year - (klass.grade + 5) - (1 if rng.random() < 0.03 else 0)
        days = (date(birth_year + 1, 1, 1) - date(birth_year, 1, 1)).days
        dob = date(birth_year, 1, 1) + timedelta(days=rng.randrange(days))

        birth_code = self._province_code(0.78, 0.17)
        home_code = birth_code if rng.random() < 0.55 else self._province_code(0.3, 0.5)
        national_id = None if rng.random() < 0.02 else self._national_id(birth_code, birth_year, sex)

        code = self._student_code()
        guardian = rng.random() < 0.03
        father: str | None = self._parent_name(1, ethnicity, family)
        mother: str | None = self._parent_name(2, ethnicity, None)
        guardian_name = None
        if guardian:
            guardian_name = self._adult_name(rng.choice((1, 2)))
            if rng.random() < 0.5:
                father = None
            if rng.random() < 0.3:
                mother = None

        policy = None
        if ethnicity != "Kinh" and rng.random() < 0.15:
            policy = names.POLICY_STATUSES[-1]
        elif rng.random() < 0.03:
            policy = rng.choice(names.POLICY_STATUSES[:-1])

        student_id = self._add(
            Student,
            school_id=self.school_id,
            student_code=code,
            hocba_code=f"{self.school_code}-{code}",
            national_id=national_id,
            national_id_override=None,
            full_name=full_name,
            sex=sex,
            date_of_birth=dob,
            place_of_birth=BIRTH_REGISTRATION_PROVINCES[birth_code],
            home_town=BIRTH_REGISTRATION_PROVINCES[home_code],
            ethnicity=ethnicity,
            nationality=names.NATIONALITY,
            address=self._address(),
            policy_status=policy,
            disabled_not_assessed=profile == "disabled",
            father_name=father,
            mother_name=mother,
            guardian_name=guardian_name,
            created_at=self.now,
        )

        # Transferred in this year from another school (only above the first grade).
        transferred = klass.grade > first_grade and rng.random() < 0.02
        cohort_year = self.start_year - (klass.grade - first_grade)
        if transferred:
            self._add(
                StudyHistory,
                student_id=student_id,
                year_name=f"{self.start_year - 1}-{self.start_year}",
                class_name=self._class_name(klass.grade - 1, rng.randrange(3)),
                school_name=rng.choice(self.profile.other_schools),
                registration_number=f"{rng.randint(1, 400):03d}/{cohort_year}",
            )
        entry_year = self.start_year if transferred else cohort_year
        n = self._registration_counters.get(entry_year, 0) + 1
        self._registration_counters[entry_year] = n
        enrolment_id = self._add(
            Enrolment,
            student_id=student_id,
            class_id=klass.id,
            start_date=self.year_start,
            end_date=None,
            end_reason=None,
            registration_number=f"{n:03d}/{entry_year}",
        )
        if self.level == "tieuhoc":
            self._primary_year(enrolment_id, klass, profile)
        else:
            self._secondary_year(enrolment_id, klass, profile)

    def _child_name(self, sex: int, ethnicity: str, used: set[str]) -> tuple[str, str]:
        rng = self.rng
        minority = _MINORITY_FAMILIES.get(ethnicity)
        # Redraw a name already in the class: teachers would have to tell them apart.
        while True:
            family = rng.choice(minority) if minority else self._weighted(names.FAMILY_NAMES)
            if ethnicity == "H'Mông":
                middle = "A" if sex == 1 else "Thị"
                given = rng.choice(names.HMONG_MALE_GIVEN if sex == 1 else names.HMONG_FEMALE_GIVEN)
            elif sex == 1:
                middle = rng.choice(names.MALE_MIDDLE)
                given = rng.choice(names.MALE_GIVEN)
            else:
                middle = rng.choice(names.FEMALE_MIDDLE)
                given = rng.choice(names.FEMALE_GIVEN)
            if middle in given.split():
                continue
            full = f"{family} {middle} {given}"
            if full not in used:
                used.add(full)
                return family, full

    def _parent_name(self, sex: int, ethnicity: str, family: str | None) -> str:
        rng = self.rng
        minority = _MINORITY_FAMILIES.get(ethnicity)
        if family is None:
            family = rng.choice(minority) if minority else self._weighted(names.FAMILY_NAMES)
        if ethnicity == "H'Mông":
            middle = "A" if sex == 1 else "Thị"
            given = rng.choice(names.HMONG_MALE_GIVEN if sex == 1 else names.HMONG_FEMALE_GIVEN)
        elif sex == 1:
            middle = rng.choice(names.ADULT_MALE_MIDDLE)
            given = rng.choice(names.ADULT_MALE_GIVEN)
        else:
            middle = rng.choice(names.ADULT_FEMALE_MIDDLE)
            given = rng.choice(names.ADULT_FEMALE_GIVEN)
        return f"{family} {middle} {given}"

    def _province_code(self, home: float, neighbour: float) -> str:
        r = self.rng.random()
        if r < home:
            return self.profile.home_code
        if r < home + neighbour:
            return self.rng.choice(self.profile.neighbour_codes)
        return self.rng.choice(tuple(BIRTH_REGISTRATION_PROVINCES))

    def _national_id(self, province_code: str, birth_year: int, sex: int) -> str:
        # Digit 4: century and sex (2000s: male 2, female 3); then the year's last two
        # digits and six random digits (domain.md §5).
        century_digit = 2 * (birth_year // 100 - 19) + (0 if sex == 1 else 1)
        while True:
            value = f"{province_code}{century_digit}{birth_year % 100:02d}{self.rng.randrange(10**6):06d}"
            if value not in self._national_ids:
                self._national_ids.add(value)
                return value

    def _student_code(self) -> str:
        # mahocsinh is opaque; ten digits led by the province code, like the sector's.
        while True:
            value = f"{self.department_code}{self.rng.randrange(10**8):08d}"
            if value not in self._student_codes:
                self._student_codes.add(value)
                return value

    def _address(self) -> str:
        rng = self.rng
        if rng.random() < 0.75:
            place = f"Tổ {rng.randint(1, 30)}, phường {rng.choice(self.profile.wards)}"
            if rng.random() < 0.4:
                place = f"Số {rng.randint(1, 250)}, {place.lower()[0]}{place[1:]}"
        else:
            place = f"Thôn {rng.randint(1, 15)}, xã {rng.choice(self.profile.communes)}"
        return f"{place}, {self.profile.province_label}"

    # ------------------------------------------------------------------ secondary

    def _secondary_plan(self, profile: str, subjects: tuple[_SubjectRow, ...]) -> _Plan:
        rng = self.rng
        scored = [s.entry.code for s in subjects if s.entry.assessment == "score"]
        comments = [s.entry.code for s in subjects if s.entry.assessment == "comment"]
        zero, ten = Decimal(0), Decimal(10)

        def centre(ability: float, code: str) -> float:
            return ability + _SUBJECT_BIAS.get(code, 0.0) + rng.gauss(0, 0.55)

        if profile == "xuat_sac":
            # ≥ 6 subjects with every score ≥ 9 make ĐTBmcn ≥ 9.0 certain; the rest ≥ 8.
            top = set(rng.sample(scored, k=min(len(scored), 6 + rng.randrange(2))))
            plan = _Plan(profile, 9.3, conduct=(rng.choice(("T", "T", "K")), "T"))
            for code in scored:
                if code in top:
                    plan.scored[code] = (9.5, Decimal(9), ten)
                else:
                    plan.scored[code] = (8.9, Decimal(8), ten)
            return plan
        if profile == "gioi":
            strong = set(rng.sample(scored, k=min(len(scored), 6 + rng.randrange(2))))
            plan = _Plan(profile, 8.3, conduct=(rng.choice(("T", "T", "K")), "T"))
            for code in scored:
                if code in strong:
                    plan.scored[code] = (8.6, Decimal(8), ten)
                else:
                    plan.scored[code] = (7.6, Decimal("6.5"), ten)
            return plan
        if profile == "kiem_tra_lai":
            # Two subjects below 3.5: Chưa đạt, and no one-subject adjustment can lift it.
            failing = set(rng.sample(scored, k=2))
            plan = _Plan(profile, 5.2, conduct=(rng.choice(("K", "Đ")), "K"))
            for code in scored:
                if code in failing:
                    plan.scored[code] = (2.3, Decimal("0.5"), Decimal(3))
                else:
                    plan.scored[code] = (centre(5.6, code), Decimal(4), Decimal("8.5"))
            return plan
        if profile == "ren_luyen_he":
            plan = _Plan(profile, 6.5, conduct=("Đ", "CĐ"))
            for code in scored:
                plan.scored[code] = (centre(6.5, code), Decimal("5.5"), Decimal("8.5"))
            return plan

        ability = min(max(rng.gauss(7.0, 0.95), 5.6), 9.3)
        plan = _Plan(profile, ability, conduct=self._normal_conduct())
        floor = Decimal(5) if profile == "comment_cd" else zero
        for code in scored:
            plan.scored[code] = (centre(ability, code), floor, ten)
        if profile == "comment_cd":
            plan.failed_comment = rng.choice(comments)
        if profile == "absent":
            plan.conduct = (rng.choice(("K", "Đ")), rng.choice(("K", "Đ")))
        return plan

    def _normal_conduct(self) -> tuple[str, str]:
        hk1 = self._weighted((("T", 62), ("K", 30), ("Đ", 8)))
        if hk1 == "T":
            hk2 = self._weighted((("T", 90), ("K", 10)))
        elif hk1 == "K":
            hk2 = self._weighted((("T", 35), ("K", 60), ("Đ", 5)))
        else:
            hk2 = self._weighted((("K", 50), ("Đ", 50)))
        return hk1, hk2

    def _secondary_year(self, enrolment_id: int, klass: _Class, profile: str) -> None:
        rng = self.rng
        subjects = self.subjects[klass.grade]
        if profile == "disabled":
            # cokhuyettatkhongdanhgia: assessed by an individual plan, no subject results.
            plan = _Plan(profile, 6.0, conduct=("T", "T"))
        else:
            plan = self._secondary_plan(profile, subjects)
            rows = self.rows["secondary_assessment"]
            for subject in subjects:
                entry = subject.entry
                drift = rng.gauss(0.1, 0.3)  # most students do slightly better in HKII
                for semester in (1, 2):
                    n_tx = required_tx_count(entry.lessons_per_year) + (1 if rng.random() < 0.08 else 0)
                    if entry.assessment == "score":
                        mean, lo, hi = plan.scored[entry.code]
                        if semester == 2:
                            mean += drift
                        tx = [self._score(mean, 0.9, lo, hi, continuous=True) for _ in range(n_tx)]
                        gk = self._score(mean, 0.8, lo, hi, continuous=False)
                        ck = self._score(mean, 0.8, lo, hi, continuous=False)
                        comment = self._scored_comment(entry.code, mean) if rng.random() < 0.45 else None
                    else:
                        failed = plan.failed_comment == entry.code and (semester == 2 or rng.random() < 0.5)
                        tx, gk, ck = self._checks(n_tx, failed)
                        comment = self._checks_comment(entry.code, failed) if rng.random() < 0.4 else None
                    rows.append(
                        {
                            "id": self._id(SecondaryAssessment),
                            "enrolment_id": enrolment_id,
                            "subject_id": subject.id,
                            "semester": semester,
                            "tx": tx,
                            "gk": gk,
                            "ck": ck,
                            "comment": comment,
                            "updated_at": self.now,
                        }
                    )
                    self.assessment_count += 1
        for period, value in zip(("hk1", "hk2"), plan.conduct, strict=True):
            self._add(Conduct, enrolment_id=enrolment_id, period=period, level=value, comment=None)
        self._attendance(enrolment_id, plan.profile == "absent")
        self._add(
            YearComment,
            enrolment_id=enrolment_id,
            text=self._secondary_year_comment(plan),
            updated_at=self.now,
        )
        if plan.profile == "xuat_sac" and rng.random() < 0.3:
            self._award(enrolment_id)

    def _score(self, mean: float, sd: float, lo: Decimal, hi: Decimal, *, continuous: bool) -> str:
        rng = self.rng
        x = rng.gauss(mean, sd)
        r = rng.random()
        # Teachers mostly give whole or half points; tests marked in quarter points are
        # then written with one decimal (7.75 → 7.8). Continuous checks are coarser.
        steps = (1 if r < 0.6 else 2) if continuous else (2 if r < 0.55 else 1 if r < 0.85 else 4)
        value = (Decimal(round(x * steps)) / steps).quantize(_TENTH, rounding=ROUND_HALF_UP)
        value = min(max(value, lo), hi)
        return _format_score(value)

    def _checks(self, n_tx: int, failed: bool) -> tuple[list[str], str, str]:
        if failed:
            tx = ["CĐ"] * n_tx
            tx[self.rng.randrange(n_tx)] = "Đ"
            return tx, "CĐ", "CĐ"
        tx = ["Đ"] * n_tx
        # Now and then one missed check: still Đạt (ck Đạt and well over 2/3 of checks).
        if self.rng.random() < 0.05:
            tx[self.rng.randrange(n_tx)] = "CĐ"
        return tx, "Đ", "Đ"

    def _scored_comment(self, code: str, mean: float) -> str:
        tier = "high" if mean >= 8 else "mid" if mean >= 6.5 else "low" if mean >= 5 else "weak"
        specific = _SCORED_BY_SUBJECT.get(code)
        if specific and self.rng.random() < 0.4:
            return specific[0] if tier == "high" else specific[1]
        return self.rng.choice(_SCORED_BY_TIER[tier])

    def _checks_comment(self, code: str, failed: bool) -> str:
        if failed:
            return self.rng.choice(names.COMMENT_SUBJECT_FAIL)
        specific = _CHECKS_BY_SUBJECT.get(code)
        if specific and self.rng.random() < 0.5:
            return specific
        return self.rng.choice(names.COMMENT_SUBJECT_PASS)

    def _attendance(self, enrolment_id: int, absent: bool) -> None:
        rng = self.rng
        for semester in (1, 2):
            if absent:
                # Over the 45-session limit of the year whatever the draws (≥ 21 + ≥ 25).
                excused = rng.randint(20, 26) if semester == 1 else rng.randint(24, 30)
                unexcused = rng.randint(1, 4)
            else:
                excused = self._weighted(((0, 30), (1, 20), (2, 17), (3, 12), (4, 9), (5, 7), (6, 5)))
                unexcused = self._weighted(((0, 85), (1, 10), (2, 5)))
            self._add(
                Attendance,
                enrolment_id=enrolment_id,
                semester=semester,
                excused=excused,
                unexcused=unexcused,
            )

    def _secondary_year_comment(self, plan: _Plan) -> str:
        rng = self.rng
        year_conduct = conduct_year(Level(plan.conduct[0]), Level(plan.conduct[1])).value
        if plan.profile == "xuat_sac":
            learning = "excellent"
        elif plan.profile == "gioi":
            learning = "good"
        elif plan.profile == "kiem_tra_lai":
            learning = "fail"
        elif plan.profile == "absent":
            learning = "absent"
        elif plan.profile == "disabled":
            learning = "pass"
        else:
            learning = "good" if plan.ability >= 7.8 else "fair" if plan.ability >= 6.5 else "pass"
        if year_conduct == "CĐ" or learning in ("fail", "absent", "pass"):
            advice = "help" if learning != "pass" or rng.random() < 0.5 else "keep"
        elif learning in ("excellent", "good"):
            advice = "up"
        else:
            advice = "keep"
        parts = (
            rng.choice(_YEAR_CONDUCT[year_conduct]),
            rng.choice(_YEAR_LEARNING[learning]),
            rng.choice(_YEAR_ADVICE[advice]),
        )
        return " ".join(parts)

    def _award(self, enrolment_id: int) -> None:
        # Each prize exists once in a school (one "Giải Nhất" per contest): hand them out
        # in order until none are left.
        if self._award_pool:
            self._add(
                Award,
                enrolment_id=enrolment_id,
                kind="khac",
                title=self._award_pool.pop(0),
                decided_on=date(self.start_year + 1, 5, 25),
            )

    # ------------------------------------------------------------------ primary

    def _primary_year(self, enrolment_id: int, klass: _Class, profile: str) -> None:
        rng = self.rng
        if profile == "disabled":
            ability = 6.0
        else:
            if profile == "htxs":
                ability = 9.6
            elif profile == "htt":
                ability = 8.6
            elif profile == "cht":
                ability = 5.0
            else:
                ability = min(max(rng.gauss(7.6, 1.1), 5.0), 9.8)
            self._primary_subjects(enrolment_id, klass, profile, ability)
            self._primary_traits(enrolment_id, profile, ability)
        self._attendance(enrolment_id, False)
        if profile == "htxs":
            tier = "excellent"
        elif profile == "htt" or ability >= 8.2:
            tier = "good"
        elif profile == "cht":
            tier = "weak"
        else:
            tier = "ok"
        self._add(
            YearComment,
            enrolment_id=enrolment_id,
            text=rng.choice(_PRIMARY_YEAR[tier]),
            updated_at=self.now,
        )
        if profile == "htxs" and rng.random() < 0.3:
            self._award(enrolment_id)

    def _primary_subjects(self, enrolment_id: int, klass: _Class, profile: str, ability: float) -> None:
        rng = self.rng
        subjects = self.subjects[klass.grade]
        failing: set[str] = set()
        if profile == "cht":
            tested = [s.entry.code for s in subjects if s.entry.periodic_test]
            failing = set(rng.sample(tested, k=1 + rng.randrange(2)))
        rows = self.rows["primary_assessment"]
        for subject in subjects:
            entry = subject.entry
            centre = ability + rng.gauss(0, 0.6)
            periods: tuple[str, ...] = _PRIMARY_PERIODS
            if entry.code in _MIDTERM_SUBJECTS and klass.grade in _MIDTERM_GRADES:
                periods = ("gk1", "ck1", "gk2", "cn")
            for period in periods:
                level, score = self._primary_result(profile, centre, entry, failing, period)
                if period == "cn":
                    comment: str | None = _PRIMARY_BY_SUBJECT[entry.code][("T", "H", "C").index(level)]
                elif rng.random() < (0.6 if period == "ck1" else 0.3):
                    comment = _PRIMARY_BY_SUBJECT[entry.code][("T", "H", "C").index(level)]
                else:
                    comment = None
                rows.append(
                    {
                        "id": self._id(PrimaryAssessment),
                        "enrolment_id": enrolment_id,
                        "subject_id": subject.id,
                        "period": period,
                        "level": level,
                        "test_score": score,
                        "comment": comment,
                        "updated_at": self.now,
                    }
                )
                self.assessment_count += 1

    def _primary_result(
        self, profile: str, centre: float, entry: CurriculumSubject, failing: set[str], period: str
    ) -> tuple[str, int | None]:
        rng = self.rng
        tested = entry.periodic_test and (period in ("ck1", "cn") or entry.code in _MIDTERM_SUBJECTS)
        if profile == "htxs":
            # HTXS needs every subject T and every end-of-year test ≥ 9.
            return "T", (rng.choice((9, 10, 10)) if tested else None)
        if profile == "htt":
            return "T", (min(10, max(7, round(rng.gauss(8.3, 0.8)))) if tested else None)
        if entry.code in failing and period in ("ck1", "cn"):
            return "C", (rng.randint(2, 4) if tested else None)
        level = "T" if centre + rng.gauss(0, 0.4) >= 8.0 else "H"
        if not tested:
            return level, None
        score = round(rng.gauss(centre, 0.9))
        # Keep the score consistent with the teacher's level.
        score = min(10, max(7, score)) if level == "T" else min(9, max(5, score))
        return level, score

    def _primary_traits(self, enrolment_id: int, profile: str, ability: float) -> None:
        rng = self.rng
        weak: set[str] = set()
        if profile == "cht":
            weak = {rng.choice([t[0] for t in names.TRAITS])}
        rows = self.rows["primary_trait"]
        for code, kind, _name, good, ok in names.TRAITS:
            for period in _PRIMARY_PERIODS:
                if profile in ("htxs", "htt"):
                    level = "T"
                elif code in weak:
                    level = "C"
                else:
                    level = "T" if ability + rng.gauss(0, 0.8) >= 7.5 else "Đ"
                text = {"T": good, "Đ": ok, "C": names.TRAIT_NEEDS_EFFORT}[level]
                comment = text if period == "cn" or rng.random() < 0.4 else None
                rows.append(
                    {
                        "id": self._id(PrimaryTrait),
                        "enrolment_id": enrolment_id,
                        "kind": kind,
                        "code": code,
                        "period": period,
                        "level": level,
                        "comment": comment,
                    }
                )

    # ------------------------------------------------------------------ output

    def insert(self, s: Session) -> None:
        for model in _TABLES:
            table = _table(model)
            rows = self.rows[table.name]
            if rows:
                # Core executemany: no ORM identity map or per-row flush for ~60k rows.
                s.execute(table.insert(), rows)

    def summary(self) -> DemoSummary:
        role_order = {r: i for i, r in enumerate(ALL_ROLES)}
        class_order = {c.name: i for i, c in enumerate(self.classes)}
        accounts = tuple(
            DemoAccount(
                login=p.login,
                full_name=p.full_name,
                roles=tuple(sorted(p.roles, key=role_order.__getitem__)),
                homeroom_of=tuple(sorted(p.homeroom_of, key=class_order.__getitem__)),
                teaches=tuple(p.teaches),
            )
            for p in self._staff_in_display_order()
        )
        return DemoSummary(
            school_name=self.profile.name,
            school_code=self.school_code,
            level=self.level,
            year=self.year_name,
            counts=DemoCounts(
                classes=len(self.classes),
                students=len(self.rows["student"]),
                teachers=len(self.teachers),
                accounts=len(self.staff),
                assessments=self.assessment_count,
            ),
            classes=tuple(
                DemoClass(c.name, c.grade, c.homeroom_login, c.students) for c in self.classes
            ),
            accounts=accounts,
        )

    def _staff_in_display_order(self) -> list[_Teacher]:
        # Leadership and office first, then teachers in the order they were created.
        first = ("admin", "hieutruong", "phohieutruong", "vanthu")
        by_login = {p.login: p for p in self.staff}
        lead = [by_login[login] for login in first]
        return lead + [p for p in self.staff if p.login not in first]


def _format_score(value: Decimal) -> str:
    """Whole numbers as "8", others as "7.5", "7.5" otherwise: how teachers write scores in the mark book."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value:.1f}"
