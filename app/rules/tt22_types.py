"""Inputs, results and settings of the Thông tư 22/2021 rules (all frozen dataclasses).

Import them from ``app.rules.tt22``; they live here so the validation and explanation
modules can use them without importing the evaluation itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final, Literal

from app.rules.levels import Level
from app.rules.tt22_learning import LevelResult

__all__ = [
    "DEFAULT_SETTINGS",
    "CommentSemester",
    "DecisionPath",
    "LearningResults",
    "Promotion",
    "SchoolLevel",
    "ScoredSemester",
    "StudentYearInput",
    "SubjectInput",
    "SubjectKind",
    "SubjectResult",
    "SubjectValue",
    "Term",
    "Title",
    "Tt22Settings",
    "YearResult",
]

SubjectKind = Literal["score", "comment"]
SchoolLevel = Literal["thcs", "thpt"]
Promotion = Literal["len_lop", "ren_luyen_he", "kiem_tra_lai", "o_lai"]
Title = Literal["xuat_sac", "gioi"]
Term = Literal["hk1", "hk2", "year", "year_after_reassessment"]
DecisionPath = Literal["absence", "both_failed", "summer", "reassessment", "promoted"]
"""Which step of the decision order (Điều 12–14) decided the promotion."""

SubjectValue = Decimal | bool
"""A subject's result: an average (scored subject) or True = Đạt / False = Chưa đạt."""


@dataclass(frozen=True, slots=True)
class Tt22Settings:
    """The rules domain.md marks "(verify)", configurable until checked against the text.

    max_sessions_absent:
        (verify) — implemented as documented in domain.md, Thông tư 22/2021 Điều 12:
        a student absent more than this many sessions in the year is not promoted.
    comment_pass_fraction:
        (verify) — implemented as documented in domain.md, Thông tư 22/2021 Điều 9:
        a comment-only subject is Đạt for a semester when all required checks exist,
        the end-of-term check is Đạt and at least this fraction of all checks are Đạt.
    one_subject_adjustment:
        (verify) — implemented as documented in domain.md, Thông tư 22/2021 Điều 9:
        when one single subject pulls the learning level down by two or more levels,
        the level is raised by one.
    """

    max_sessions_absent: int = 45
    comment_pass_fraction: Fraction = Fraction(2, 3)
    one_subject_adjustment: bool = True


DEFAULT_SETTINGS: Final = Tt22Settings()


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class ScoredSemester:
    """One semester of a subject assessed by score (Thông tư 22/2021 Điều 6–7).

    ``tx`` are the continuous assessments ĐĐGtx (weight 1), ``gk`` the mid-term ĐĐGgk
    (weight 2), ``ck`` the end-of-term ĐĐGck (weight 3). ``None`` means "not entered
    yet": a missed test without a make-up must be entered as 0, so evaluating a
    semester with ``None`` is an input error rather than a silent zero.
    """

    tx: tuple[Decimal, ...]
    gk: Decimal | None
    ck: Decimal | None


@dataclass(frozen=True, slots=True)
class CommentSemester:
    """One semester of a comment-only subject: each check True (Đạt) or False (Chưa đạt)."""

    tx: tuple[bool, ...]
    gk: bool | None
    ck: bool | None


@dataclass(frozen=True, slots=True)
class SubjectInput:
    """A subject's assessments for the year.

    ``lessons_per_year`` decides how many ĐĐGtx a semester needs (``required_tx_count``).
    For a comment-only subject it may be 0, meaning "not declared": the smallest
    requirement (2 per semester) then applies.
    ``reassessment`` is the summer re-assessment result (Điều 14): a score for a scored
    subject, True/False for a comment-only one; None when there is none (yet).
    """

    code: str
    name: str
    kind: SubjectKind
    lessons_per_year: int
    hk1: ScoredSemester | CommentSemester
    hk2: ScoredSemester | CommentSemester
    reassessment: Decimal | bool | None = None


@dataclass(frozen=True, slots=True)
class StudentYearInput:
    """Everything needed to compute a secondary student's year page.

    ``conduct_after_summer`` is the conduct re-evaluated after summer training
    (Điều 13); give it only for a student whose year conduct is Chưa đạt.
    """

    level: SchoolLevel
    subjects: tuple[SubjectInput, ...]
    conduct_hk1: Level
    conduct_hk2: Level
    conduct_after_summer: Level | None
    sessions_absent: int


# -------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class SubjectResult:
    """A subject's results: averages (scored) or True = Đạt / False = Chưa đạt (comment).

    ``year_final`` is the year result used for promotion: the re-assessment result when
    there is one, otherwise ``year``. ``needs_reassessment`` marks the subjects on the
    student's re-assessment list (Điều 14).
    """

    code: str
    name: str
    kind: SubjectKind
    hk1: SubjectValue
    hk2: SubjectValue
    year: SubjectValue
    reassessment: SubjectValue | None
    year_final: SubjectValue
    needs_reassessment: bool


@dataclass(frozen=True, slots=True)
class LearningResults:
    """Learning levels per semester and for the year (before and after re-assessment)."""

    hk1: LevelResult
    hk2: LevelResult
    year: LevelResult
    year_after_reassessment: LevelResult | None


@dataclass(frozen=True, slots=True)
class YearResult:
    """The computed part of a student's year page, with explanations in Vietnamese.

    ``decided_by`` names the step of the decision order that fixed ``promotion``.
    """

    level: SchoolLevel
    subjects: tuple[SubjectResult, ...]
    learning: LearningResults
    conduct_hk1: Level
    conduct_hk2: Level
    conduct_year: Level
    conduct_after_summer: Level | None
    sessions_absent: int
    promotion: Promotion
    decided_by: DecisionPath
    title: Title | None
    explanations: tuple[str, ...]

    @property
    def learning_hk1(self) -> Level:
        return self.learning.hk1.level

    @property
    def learning_hk2(self) -> Level:
        return self.learning.hk2.level

    @property
    def learning_year(self) -> Level:
        return self.learning.year.level

    @property
    def learning_year_after_reassessment(self) -> Level | None:
        after = self.learning.year_after_reassessment
        return None if after is None else after.level

    @property
    def reassessment_subjects(self) -> tuple[str, ...]:
        """Codes of the subjects the student must be re-assessed in (may be empty)."""
        return tuple(s.code for s in self.subjects if s.needs_reassessment)
