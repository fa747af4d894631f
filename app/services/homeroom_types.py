"""The values the homeroom services return: one class overview, one row per student.

Frozen dataclasses only; results are codes (Level codes "T", "K", "Đ", "CĐ"; primary
outcomes "HTXS"…; promotion and title codes), and the label tables below turn them into
the words a screen or an export shows. Import them from `app.services.homeroom`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.rules.wording import vn_number, vn_pass

LEVEL_LABELS: dict[str, str] = {"T": "Tốt", "K": "Khá", "Đ": "Đạt", "CĐ": "Chưa đạt"}
CONDUCT_CODES: tuple[str, ...] = ("T", "K", "Đ", "CĐ")
CONDUCT_PERIODS: tuple[str, ...] = ("hk1", "hk2", "he")
PERIOD_LABELS: dict[str, str] = {"hk1": "học kì I", "hk2": "học kì II", "he": "sau rèn luyện hè"}
AWARD_KINDS: dict[str, str] = {
    "xuat_sac": "Học sinh Xuất sắc",
    "gioi": "Học sinh Giỏi",
    "tieu_bieu": "Học sinh Tiêu biểu",
    "khac": "Khen thưởng khác",
}

# Which sentence of the rules engine says what. The first explanation of a row is the
# one that decided the promotion ("deciding sentence"), the rest follow by relevance.
EXPLANATION_KINDS = (
    "promotion",
    "title",
    "learning_year",
    "learning_after_reassessment",
    "conduct_year",
    "conduct_after_summer",
    "learning_hk1",
    "learning_hk2",
    "primary_result",
    "primary_completion",
    "not_assessed",
    "other",
)

SubjectValue = Decimal | bool | None


def subject_value_text(value: SubjectValue) -> str:
    """"7,5", "Đạt", "Chưa đạt" or "" — the way the record book writes a subject result."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return vn_pass(value)
    return vn_number(value)


@dataclass(frozen=True)
class Explanation:
    kind: str  # one of EXPLANATION_KINDS
    text: str


@dataclass(frozen=True)
class SubjectLine:
    """One subject of one student: semester and year results, re-assessment if any."""

    subject_id: int
    code: str
    name: str
    kind: str  # "score" | "comment"
    hk1: SubjectValue
    hk2: SubjectValue
    year: SubjectValue
    reassessment: SubjectValue
    needs_reassessment: bool


@dataclass(frozen=True)
class AwardLine:
    id: int
    kind: str  # see AWARD_KINDS
    title: str
    decided_on: date | None


@dataclass(frozen=True)
class HomeroomStudent:
    """Everything the homeroom page shows about one student of the class."""

    student_id: int
    enrolment_id: int
    number: int  # position in the Vietnamese-ordered class list, from 1
    full_name: str
    sex: int
    date_of_birth: date
    national_id_masked: str
    provisional_id: bool  # no identification number yet
    not_assessed: bool  # disabled student assessed by an individual plan
    # Level codes (secondary) or outcome codes HTXS/HTT/HT/CHT (primary, year only).
    learning_hk1: str | None
    learning_hk2: str | None
    learning_year: str | None
    learning_after_reassessment: str | None
    conduct_hk1: str | None
    conduct_hk2: str | None
    conduct_year: str | None
    conduct_after_summer: str | None
    absent_hk1_excused: int
    absent_hk1_unexcused: int
    absent_hk2_excused: int
    absent_hk2_unexcused: int
    year_comment: str
    awards: tuple[AwardLine, ...]
    subjects: tuple[SubjectLine, ...]
    promotion: str | None  # len_lop / ren_luyen_he / kiem_tra_lai / o_lai
    promotion_label: str
    decided_by: str | None  # the rules engine's DecisionPath (secondary)
    title: str | None  # xuat_sac / gioi
    title_label: str | None
    explanations: tuple[Explanation, ...]  # the deciding sentence first
    problem: str | None  # why the year cannot be computed yet, in Vietnamese
    # Where the problem is, as the rules engine names it ("conduct", "subjects[3].hk2.ck",
    # "conduct_after_summer", "subjects[2].reassessment"); None without a problem.
    problem_field: str | None = None

    @property
    def sessions_absent(self) -> int:
        return (
            self.absent_hk1_excused
            + self.absent_hk1_unexcused
            + self.absent_hk2_excused
            + self.absent_hk2_unexcused
        )

    @property
    def in_summer_training(self) -> bool:
        return self.decided_by == "summer"

    @property
    def in_reassessment(self) -> bool:
        return self.decided_by == "reassessment" and any(s.needs_reassessment for s in self.subjects)

    @property
    def reassessment_subjects(self) -> tuple[SubjectLine, ...]:
        return tuple(s for s in self.subjects if s.needs_reassessment)

    def absent(self, semester: int) -> tuple[int, int]:
        """(excused, unexcused) sessions absent in semester 1 or 2."""
        if semester == 1:
            return self.absent_hk1_excused, self.absent_hk1_unexcused
        return self.absent_hk2_excused, self.absent_hk2_unexcused


@dataclass(frozen=True)
class SummerEntry:
    """One thing to enter after the summer: a student's re-evaluated conduct (kind
    "conduct") or the re-assessment of one subject (kind "reassessment")."""

    student_id: int
    number: int
    full_name: str
    kind: str  # "conduct" | "reassessment"
    subject_id: int | None
    subject_name: str  # "Rèn luyện" for conduct
    subject_kind: str  # "conduct" | "score" | "comment"
    before: str  # the year result that sent the student to summer, as shown
    value: str | None  # what is entered: a level code, "7.5", "Đ"/"CĐ"; None: not yet
    promotion_label: str  # the decision now


@dataclass(frozen=True)
class ClassSubject:
    id: int
    code: str
    name: str
    kind: str  # "score" | "comment" | "level"
    lessons_per_year: int
    teacher_name: str | None
    locked: bool


@dataclass(frozen=True)
class HomeroomOverview:
    class_id: int
    class_name: str
    grade: int
    year_name: str
    school_name: str
    level: str  # "thcs" | "thpt" | "tieuhoc"
    homeroom_name: str | None
    editable: bool  # the actor may change conduct, absences, comments, awards, summer results
    subjects: tuple[ClassSubject, ...]
    students: tuple[HomeroomStudent, ...]

    @property
    def is_primary(self) -> bool:
        return self.level == "tieuhoc"

    def student(self, student_id: int) -> HomeroomStudent:
        for row in self.students:
            if row.student_id == student_id:
                return row
        raise KeyError(student_id)
