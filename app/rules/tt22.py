"""Year evaluation of lower and upper secondary students (Thông tư 22/2021/TT-BGDĐT).

Pure functions over frozen dataclasses: no I/O, no database, no Qt. Article numbers
follow the product's domain notes (docs/domain.md §4.2) and public summaries of the
text; rules the domain notes mark "(verify)" are named as such and kept configurable
through ``Tt22Settings``.

Article map used in docstrings and explanations:
  Điều 5  — subjects assessed by comment only vs. by comment and score;
  Điều 6  — continuous assessments ĐĐGtx and how many per semester (verify the clause);
  Điều 7  — periodic assessments: mid-term ĐĐGgk and end-of-term ĐĐGck;
  Điều 8  — conduct result per semester and for the year;
  Điều 9  — learning result: ĐTBmhk, ĐTBmcn, comment subjects, the four levels and the
            one-subject adjustment (verify the clause numbers);
  Điều 12 — promotion (lên lớp), including the 45-session absence limit;
  Điều 13 — summer conduct training (rèn luyện trong kì nghỉ hè);
  Điều 14 — summer re-assessment of subjects (kiểm tra, đánh giá lại);
  Điều 15 — titles "Học sinh Xuất sắc" and "Học sinh Giỏi".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from app.rules import tt22_explain as explain
from app.rules.errors import RuleInputError
from app.rules.levels import Level
from app.rules.scores import rounded, rules_context
from app.rules.tt22_checks import (
    check_average,
    check_comment_semester,
    check_scored_semester,
    check_student,
    check_subject,
    required_tx_count,
)
from app.rules.tt22_learning import (
    EXCELLENT_MIN_SUBJECTS,
    EXCELLENT_SCORE,
    REASSESS_BELOW,
    LevelResult,
    compute_learning_level,
)
from app.rules.tt22_types import (
    DEFAULT_SETTINGS,
    CommentSemester,
    DecisionPath,
    LearningResults,
    Promotion,
    SchoolLevel,
    ScoredSemester,
    StudentYearInput,
    SubjectInput,
    SubjectKind,
    SubjectResult,
    SubjectValue,
    Term,
    Title,
    Tt22Settings,
    YearResult,
)
from app.rules.wording import nfc

__all__ = [
    "DEFAULT_SETTINGS",
    "CommentSemester",
    "DecisionPath",
    "LearningResults",
    "LevelResult",
    "Promotion",
    "SchoolLevel",
    "ScoredSemester",
    "StudentYearInput",
    "SubjectInput",
    "SubjectKind",
    "SubjectResult",
    "SubjectValue",
    "Title",
    "Tt22Settings",
    "YearResult",
    "comment_semester_result",
    "conduct_year",
    "evaluate_year",
    "learning_level",
    "required_tx_count",
    "semester_average",
    "year_average",
]

# ĐTBmhk weights (Điều 9): ĐĐGtx 1 each, ĐĐGgk 2, ĐĐGck 3.
_GK_WEIGHT = 2
_CK_WEIGHT = 3
_COLUMN_TERMS: tuple[Term, Term, Term] = ("hk1", "hk2", "year")


# ------------------------------------------------------------------ rule functions


def semester_average(sem: ScoredSemester, lessons_per_year: int, *, field: str = "semester") -> Decimal:
    """ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (number of ĐĐGtx + 5), rounded half up.

    Thông tư 22/2021 Điều 9 (formula), Điều 6–7 (which assessments are required).
    Raises RuleInputError, with ``field`` as the path prefix, for a missing mid-term or
    end-of-term score, too few ĐĐGtx for ``lessons_per_year`` or a score that is not
    0–10 with at most one decimal.
    """
    gk, ck = check_scored_semester(sem, lessons_per_year, field)
    with rules_context():
        return _semester_average(sem.tx, gk, ck)


def year_average(hk1_avg: Decimal, hk2_avg: Decimal) -> Decimal:
    """ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3, rounded half up (Thông tư 22/2021 Điều 9).

    The semester averages are rounded to one decimal first: ĐTBmcn is computed from the
    rounded ĐTBmhk shown on the record, never from unrounded values.
    """
    first = rounded(check_average(hk1_avg, "hk1"))
    second = rounded(check_average(hk2_avg, "hk2"))
    with rules_context():
        return _year_average(first, second)


def comment_semester_result(
    sem: CommentSemester,
    lessons_per_year: int = 0,
    *,
    field: str = "semester",
    settings: Tt22Settings = DEFAULT_SETTINGS,
) -> bool:
    """Semester result of a comment-only subject: True = Đạt, False = Chưa đạt.

    (verify) — implemented as documented in domain.md, Thông tư 22/2021 Điều 9: Đạt when
    all required checks exist and either all are Đạt or at least 2/3
    (``settings.comment_pass_fraction``) are Đạt including the end-of-term one.
    A missing check is an input error (the school records every check, a missed one as
    Chưa đạt), so "all required checks exist" is enforced by validation.
    ``lessons_per_year`` 0 means "not declared": 2 ĐĐGtx are then required.
    """
    check_comment_semester(sem, lessons_per_year, field)
    return _comment_semester_result(sem, settings.comment_pass_fraction)


def learning_level(
    scored: Mapping[str, Decimal],
    comments: Mapping[str, bool],
    *,
    settings: Tt22Settings = DEFAULT_SETTINGS,
) -> LevelResult:
    """Learning level of a semester or the year (Thông tư 22/2021 Điều 9).

    ``scored`` maps a subject key to its rounded average (ĐTBmhk or ĐTBmcn), ``comments``
    a subject key to its result (True = Đạt); a key may appear in only one of them.

    - Tốt: every comment subject Đạt; every scored subject ≥ 6.5 and at least 6 ≥ 8.0.
    - Khá: every comment subject Đạt; every scored subject ≥ 5.0 and at least 6 ≥ 6.5.
    - Đạt: at most one comment subject Chưa đạt; at least 6 scored ≥ 5.0; none < 3.5.
    - Chưa đạt: otherwise.

    One-subject adjustment, (verify) — implemented as documented in domain.md,
    Thông tư 22/2021 Điều 9: the level is recomputed as if one subject had the best
    result (10.0 / Đạt), for each subject in turn; if that lifts the level by two or
    more, the level is raised by one, never by more than one in total
    (``settings.one_subject_adjustment`` switches it off).
    """
    for key, value in scored.items():
        check_average(value, f"scored[{key!r}]")
    for key, passed in comments.items():
        if not isinstance(passed, bool):
            raise RuleInputError(
                f"comments[{key!r}]", "Kết quả môn đánh giá bằng nhận xét phải là Đạt/Chưa đạt."
            )
        if key in scored:
            raise RuleInputError(
                f"comments[{key!r}]",
                "Một môn không thể vừa đánh giá bằng điểm số vừa đánh giá bằng nhận xét.",
            )
    return compute_learning_level(scored, comments, adjust=settings.one_subject_adjustment)


def conduct_year(hk1: Level, hk2: Level) -> Level:
    """Year conduct from the two semesters; the second semester weighs most.

    Thông tư 22/2021 Điều 8 — (verify exact table), implemented as in domain.md:
    Tốt if HKII Tốt and HKI ≥ Khá; Khá if (HKII Khá and HKI ≥ Đạt) or (HKII Đạt and
    HKI Tốt) or (HKII Tốt and HKI ≤ Đạt); Đạt if (HKII Đạt and HKI ≤ Khá) or (HKII Khá
    and HKI Chưa đạt); otherwise Chưa đạt.
    """
    first = Level.parse(hk1, "hk1")
    second = Level.parse(hk2, "hk2")
    if second is Level.TOT:
        return Level.TOT if first >= Level.KHA else Level.KHA
    if second is Level.KHA:
        return Level.KHA if first >= Level.DAT else Level.DAT
    if second is Level.DAT:
        return Level.KHA if first is Level.TOT else Level.DAT
    return Level.CHUA_DAT


# ------------------------------------------------------------------ year evaluation


def evaluate_year(inp: StudentYearInput, *, settings: Tt22Settings = DEFAULT_SETTINGS) -> YearResult:
    """Compute a secondary student's year results, promotion, title and explanations.

    Decision order (domain.md; Thông tư 22/2021 Điều 12–14):
    (1) more than ``settings.max_sessions_absent`` sessions absent → "o_lai";
    (2) year conduct and year learning both Chưa đạt → "o_lai" (re-assessment is only
        for students whose year conduct, before summer, is at least Đạt);
    (3) year conduct Chưa đạt → "ren_luyen_he" until ``conduct_after_summer`` is given,
        then "len_lop" if it is at least Đạt, else "o_lai";
    (4) year learning Chưa đạt → re-assessment of the comment subjects at Chưa đạt and
        the scored subjects with ĐTBmcn < 5.0: "kiem_tra_lai" until each has a result;
        then those results replace the year results, the learning level is recomputed
        (adjustment included) and the student is "len_lop" if it is at least Đạt,
        else "o_lai";
    (5) otherwise "len_lop".
    Titles (Điều 15) use the year conduct and learning before any summer step.

    Raises RuleInputError for bad or incomplete input, including a summer result where
    the decision does not use it (a re-assessment for a subject not on the student's
    list, a conduct after summer for a student not in summer training): silently
    ignoring such a value would hide a data-entry mistake.
    """
    check_student(inp)
    with rules_context():
        computed = [_evaluate_subject(s, f"subjects[{i}]", settings) for i, s in enumerate(inp.subjects)]

    adjust = settings.one_subject_adjustment
    columns = [_column(inp.subjects, computed, index) for index in range(3)]
    learning = [compute_learning_level(scored, comments, adjust=adjust) for scored, comments in columns]
    learning_y = learning[2]
    year_scored = columns[2][0]
    conduct_y = conduct_year(inp.conduct_hk1, inp.conduct_hk2)
    decision = _decide(inp, computed, learning_y, conduct_y, settings)

    subjects = tuple(
        SubjectResult(
            code=s.code,
            name=nfc(s.name) or s.code,
            kind=s.kind,
            hk1=hk1,
            hk2=hk2,
            year=year,
            reassessment=s.reassessment,
            year_final=year if s.reassessment is None else s.reassessment,
            needs_reassessment=s.code in decision.reassessment_codes,
        )
        for s, (hk1, hk2, year) in zip(inp.subjects, computed, strict=True)
    )
    title = _title(conduct_y, learning_y.level, year_scored)

    names = {s.code: s.name for s in subjects}
    explanations = [
        explain.learning(term, scored, comments, names, result)
        for term, (scored, comments), result in zip(_COLUMN_TERMS, columns, learning, strict=True)
    ]
    explanations.append(explain.conduct(inp.conduct_hk1, inp.conduct_hk2, conduct_y))
    if inp.conduct_after_summer is not None:
        explanations.append(explain.conduct_after_summer(inp.conduct_after_summer))
    if decision.learning_after is not None:
        final_scored, final_comments = _final_column(subjects)
        explanations.append(
            explain.learning(
                "year_after_reassessment", final_scored, final_comments, names, decision.learning_after
            )
        )
    explanations.append(
        explain.promotion(
            path=decision.path,
            promotion=decision.promotion,
            sessions_absent=inp.sessions_absent,
            max_sessions_absent=settings.max_sessions_absent,
            conduct_year=conduct_y,
            learning_year=learning_y.level,
            conduct_after_summer=inp.conduct_after_summer,
            reassessed=[s for s in subjects if s.needs_reassessment],
            learning_after=decision.learning_after,
        )
    )
    explanations.append(explain.title(title, conduct_y, learning_y.level, year_scored, names))

    return YearResult(
        level=inp.level,
        subjects=subjects,
        learning=LearningResults(
            hk1=learning[0],
            hk2=learning[1],
            year=learning_y,
            year_after_reassessment=decision.learning_after,
        ),
        conduct_hk1=inp.conduct_hk1,
        conduct_hk2=inp.conduct_hk2,
        conduct_year=conduct_y,
        conduct_after_summer=inp.conduct_after_summer,
        sessions_absent=inp.sessions_absent,
        promotion=decision.promotion,
        decided_by=decision.path,
        title=title,
        explanations=tuple(explanations),
    )


# ------------------------------------------------------------------------ internals

_Computed = tuple[SubjectValue, SubjectValue, SubjectValue]
"""(hk1, hk2, year) results of one subject."""


@dataclass(frozen=True, slots=True)
class _Decision:
    path: DecisionPath
    promotion: Promotion
    reassessment_codes: frozenset[str]
    learning_after: LevelResult | None


def _evaluate_subject(subject: SubjectInput, path: str, settings: Tt22Settings) -> _Computed:
    """(hk1, hk2, year) of one validated subject. Runs inside ``rules_context()``."""
    check_subject(subject, path)
    sem1, sem2 = subject.hk1, subject.hk2
    if isinstance(sem1, ScoredSemester) and isinstance(sem2, ScoredSemester):
        hk1 = _semester_average(sem1.tx, _present(sem1.gk), _present(sem1.ck))
        hk2 = _semester_average(sem2.tx, _present(sem2.gk), _present(sem2.ck))
        return hk1, hk2, _year_average(hk1, hk2)
    if isinstance(sem1, CommentSemester) and isinstance(sem2, CommentSemester):
        first = _comment_semester_result(sem1, settings.comment_pass_fraction)
        second = _comment_semester_result(sem2, settings.comment_pass_fraction)
        # A comment-only subject's year result is its second-semester result (Điều 9).
        return first, second, second
    raise RuleInputError(path, "Hai học kì của một môn phải cùng cách đánh giá.")  # pragma: no cover


def _present(value: Decimal | None) -> Decimal:
    # check_subject has already rejected None; this only narrows the type for mypy.
    if value is None:  # pragma: no cover
        raise RuleInputError("$", "Thiếu điểm.")
    return value


def _semester_average(tx: tuple[Decimal, ...], gk: Decimal, ck: Decimal) -> Decimal:
    # Inside rules_context(): sums of one-decimal scores are exact at 28 digits, and the
    # quotient is rounded once, half up, to one decimal.
    total = sum(tx, Decimal(0)) + _GK_WEIGHT * gk + _CK_WEIGHT * ck
    return rounded(total / (len(tx) + _GK_WEIGHT + _CK_WEIGHT))


def _year_average(hk1_avg: Decimal, hk2_avg: Decimal) -> Decimal:
    # Both inputs are rounded ĐTBmhk, as Điều 9 requires.
    return rounded((hk1_avg + 2 * hk2_avg) / 3)


def _comment_semester_result(sem: CommentSemester, pass_fraction: Fraction) -> bool:
    if not sem.ck:
        return False  # the end-of-term check must be Đạt in every case
    checks = len(sem.tx) + 2
    passed = sum(sem.tx) + bool(sem.gk) + 1  # + 1 for the end-of-term check
    # Exact rational comparison passed / checks ≥ pass_fraction (no float).
    return passed * pass_fraction.denominator >= pass_fraction.numerator * checks


def _column(
    subjects: Sequence[SubjectInput], computed: Sequence[_Computed], index: int
) -> tuple[dict[str, Decimal], dict[str, bool]]:
    """Scored averages and comment results of one column (0 = HKI, 1 = HKII, 2 = year)."""
    scored: dict[str, Decimal] = {}
    comments: dict[str, bool] = {}
    for subject, values in zip(subjects, computed, strict=True):
        value = values[index]
        if isinstance(value, bool):
            comments[subject.code] = value
        else:
            scored[subject.code] = value
    return scored, comments


def _final_column(subjects: Sequence[SubjectResult]) -> tuple[dict[str, Decimal], dict[str, bool]]:
    """Year results after re-assessment (the re-assessment replaces the year result)."""
    scored: dict[str, Decimal] = {}
    comments: dict[str, bool] = {}
    for s in subjects:
        if isinstance(s.year_final, bool):
            comments[s.code] = s.year_final
        else:
            scored[s.code] = s.year_final
    return scored, comments


def _decide(
    inp: StudentYearInput,
    computed: Sequence[_Computed],
    learning_y: LevelResult,
    conduct_y: Level,
    settings: Tt22Settings,
) -> _Decision:
    """Promotion (Điều 12–14), refusing summer values the decision does not use."""
    path: DecisionPath
    if inp.sessions_absent > settings.max_sessions_absent:
        path = "absence"
    elif conduct_y is Level.CHUA_DAT and learning_y.level is Level.CHUA_DAT:
        path = "both_failed"
    elif conduct_y is Level.CHUA_DAT:
        path = "summer"
    elif learning_y.level is Level.CHUA_DAT:
        path = "reassessment"
    else:
        path = "promoted"

    if inp.conduct_after_summer is not None and path != "summer":
        raise RuleInputError("conduct_after_summer", explain.not_in_summer_training(path))

    eligible: set[str] = set()
    if path == "reassessment":
        for subject, (_, _, year) in zip(inp.subjects, computed, strict=True):
            if year is False or (not isinstance(year, bool) and year < REASSESS_BELOW):
                eligible.add(subject.code)
    for i, subject in enumerate(inp.subjects):
        if subject.reassessment is not None and subject.code not in eligible:
            raise RuleInputError(
                f"subjects[{i}].reassessment",
                explain.not_on_reassessment_list(path, nfc(subject.name) or subject.code, computed[i][2]),
            )

    if path in ("absence", "both_failed"):
        return _Decision(path, "o_lai", frozenset(), None)
    if path == "summer":
        after = inp.conduct_after_summer
        if after is None:
            return _Decision(path, "ren_luyen_he", frozenset(), None)
        return _Decision(path, "len_lop" if after >= Level.DAT else "o_lai", frozenset(), None)
    if path == "promoted":
        return _Decision(path, "len_lop", frozenset(), None)

    codes = frozenset(eligible)
    if any(s.reassessment is None for s in inp.subjects if s.code in codes):
        return _Decision(path, "kiem_tra_lai", codes, None)
    scored: dict[str, Decimal] = {}
    comments: dict[str, bool] = {}
    for subject, (_, _, year) in zip(inp.subjects, computed, strict=True):
        # check_subject has made sure a re-assessment has the subject's own type.
        final = year if subject.reassessment is None else subject.reassessment
        if isinstance(final, bool):
            comments[subject.code] = final
        else:
            scored[subject.code] = final
    after_level = compute_learning_level(scored, comments, adjust=settings.one_subject_adjustment)
    return _Decision(path, "len_lop" if after_level.level >= Level.DAT else "o_lai", codes, after_level)


def _title(conduct_y: Level, learning_y: Level, year_scored: Mapping[str, Decimal]) -> Title | None:
    """Điều 15: Giỏi = conduct and learning Tốt; Xuất sắc = also ≥ 6 subjects with ĐTBmcn ≥ 9.0."""
    if conduct_y is not Level.TOT or learning_y is not Level.TOT:
        return None
    excellent = sum(1 for value in year_scored.values() if value >= EXCELLENT_SCORE)
    return "xuat_sac" if excellent >= EXCELLENT_MIN_SUBJECTS else "gioi"
