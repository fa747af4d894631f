"""Property-based checks of the Thông tư 22/2021 rules (hypothesis)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.levels import Level
from app.rules.tt22 import (
    CommentSemester,
    LevelResult,
    ScoredSemester,
    StudentYearInput,
    SubjectInput,
    Tt22Settings,
    YearResult,
    evaluate_year,
    learning_level,
    required_tx_count,
    semester_average,
    year_average,
)

D = Decimal
NO_ADJUSTMENT = Tt22Settings(one_subject_adjustment=False)
EXAMPLES = settings(max_examples=100, deadline=None)

PROMOTION_RANK = {"o_lai": 0, "kiem_tra_lai": 1, "ren_luyen_he": 1, "len_lop": 2}
TITLE_RANK = {None: 0, "gioi": 1, "xuat_sac": 2}

# Scores cluster around the thresholds so the interesting boundaries are hit often.
scores = st.one_of(
    st.integers(0, 100).map(lambda n: D(n) / 10),
    st.sampled_from(["3.4", "3.5", "4.9", "5.0", "6.4", "6.5", "7.9", "8.0", "8.9", "9.0", "10"]).map(D),
)
lessons = st.sampled_from([35, 70, 105, 140])


def near(center: int) -> st.SearchStrategy[Decimal]:
    """A score within one point of ``center`` tenths: a student's scores hang together, so
    every learning level (not just Chưa đạt) comes up in the generated students."""
    return st.integers(max(0, center - 10), min(100, center + 10)).map(lambda n: D(n) / 10)


@st.composite
def scored_semesters(draw: st.DrawFn, lessons_per_year: int, center: int | None = None) -> ScoredSemester:
    count = required_tx_count(lessons_per_year) + draw(st.integers(0, 1))
    score = scores if center is None else near(center)
    return ScoredSemester(tx=tuple(draw(score) for _ in range(count)), gk=draw(score), ck=draw(score))


@st.composite
def comment_semesters(draw: st.DrawFn) -> CommentSemester:
    # Mostly Đạt, so that comment subjects do not decide every example.
    check = st.sampled_from([True, True, True, False])
    return CommentSemester(tx=(draw(check), draw(check)), gk=draw(check), ck=draw(check))


@st.composite
def subject_inputs(draw: st.DrawFn, index: int, kind: str, ability: int) -> SubjectInput:
    if kind == "score":
        n = draw(lessons)
        center = draw(st.integers(max(0, ability - 15), min(100, ability + 15)))
        return SubjectInput(
            f"s{index}",
            f"Môn {index}",
            "score",
            n,
            draw(scored_semesters(n, center)),
            draw(scored_semesters(n, center)),
        )
    return SubjectInput(
        f"c{index}", f"Môn {index}", "comment", 0, draw(comment_semesters()), draw(comment_semesters())
    )


@st.composite
def students(draw: st.DrawFn) -> StudentYearInput:
    ability = draw(st.integers(30, 100))  # the student's typical score, in tenths
    n_scored = draw(st.integers(6, 9))
    n_comment = draw(st.integers(0, 4))
    kinds = ["score"] * n_scored + ["comment"] * n_comment
    subjects = tuple(draw(subject_inputs(i, kind, ability)) for i, kind in enumerate(kinds))
    levels = st.sampled_from([Level.TOT, Level.TOT, Level.KHA, Level.DAT, Level.CHUA_DAT])
    return StudentYearInput(
        level=draw(st.sampled_from(["thcs", "thpt"])),
        subjects=subjects,
        conduct_hk1=draw(levels),
        conduct_hk2=draw(levels),
        conduct_after_summer=None,
        sessions_absent=draw(st.integers(0, 50)),
    )


def higher(score: Decimal) -> st.SearchStrategy[Decimal]:
    """A strictly higher score (unless already 10): a little higher, so that a nearby
    threshold is crossed, or straight to 10."""
    low = int(score * 10)
    if low >= 100:
        return st.just(score)
    return st.one_of(st.integers(low + 1, min(100, low + 30)), st.just(100)).map(lambda n: D(n) / 10)


def improve(draw: st.DrawFn, sem: ScoredSemester | CommentSemester) -> ScoredSemester | CommentSemester:
    """The semester with exactly one assessment improved (a score raised, or CĐ → Đ)."""
    slot = draw(st.sampled_from(["tx", "gk", "ck"]))
    if isinstance(sem, ScoredSemester):
        scores_tx = list(sem.tx)
        gk, ck = sem.gk or D(0), sem.ck or D(0)
        if slot == "tx":
            j = draw(st.integers(0, len(scores_tx) - 1))
            scores_tx[j] = draw(higher(scores_tx[j]))
        elif slot == "gk":
            gk = draw(higher(gk))
        else:
            ck = draw(higher(ck))
        return ScoredSemester(tx=tuple(scores_tx), gk=gk, ck=ck)
    checks_tx = list(sem.tx)
    if slot == "tx":
        checks_tx[draw(st.integers(0, len(checks_tx) - 1))] = True
    return CommentSemester(
        tx=tuple(checks_tx), gk=True if slot == "gk" else sem.gk, ck=True if slot == "ck" else sem.ck
    )


@st.composite
def one_better(draw: st.DrawFn, inp: StudentYearInput) -> list[StudentYearInput]:
    """For every subject and semester, a copy of the student with one assessment improved there.

    Trying every subject (rather than one at random) makes it likely that the subject
    holding the student's level down is among those improved.
    """
    variants: list[StudentYearInput] = []
    for i, subject in enumerate(inp.subjects):
        for term in ("hk1", "hk2"):
            subjects = list(inp.subjects)
            if term == "hk1":
                subjects[i] = dataclasses.replace(subject, hk1=improve(draw, subject.hk1))
            else:
                subjects[i] = dataclasses.replace(subject, hk2=improve(draw, subject.hk2))
            variants.append(dataclasses.replace(inp, subjects=tuple(subjects)))
    return variants


# ---------------------------------------------------------------------- averages


@EXAMPLES
@given(data=st.data(), n=lessons)
def test_averages_stay_within_the_scale(data: st.DataObject, n: int) -> None:
    first = semester_average(data.draw(scored_semesters(n)), n)
    second = semester_average(data.draw(scored_semesters(n)), n)
    year = year_average(first, second)
    for value in (first, second, year):
        assert D(0) <= value <= D(10)
        assert value == value.quantize(D("0.1"))
    assert min(first, second) <= year <= max(first, second)


# ----------------------------------------------------------------- monotonicity


def ranks(result: YearResult) -> tuple[Level, Level, Level]:
    return result.learning_hk1, result.learning_hk2, result.learning_year


@settings(max_examples=60, deadline=None)  # each example evaluates ~25 variants
@given(data=st.data())
def test_improving_one_assessment_never_lowers_any_result(data: st.DataObject) -> None:
    before_input = data.draw(students())
    before = evaluate_year(before_input)
    for after_input in data.draw(one_better(before_input)):
        after = evaluate_year(after_input)
        for old, new in zip(ranks(before), ranks(after), strict=True):
            assert new >= old
        old_p, new_p = before.promotion, after.promotion
        assert PROMOTION_RANK[new_p] >= PROMOTION_RANK[old_p]
        if PROMOTION_RANK[new_p] == PROMOTION_RANK[old_p] == 1:
            assert new_p == old_p  # summer training and re-assessment are not comparable
        assert TITLE_RANK[after.title] >= TITLE_RANK[before.title]
        for old_s, new_s in zip(before.subjects, after.subjects, strict=True):
            assert new_s.year >= old_s.year


# ------------------------------------------------------------------ learning level

columns = st.tuples(
    st.lists(scores, min_size=0, max_size=10),
    st.lists(st.booleans(), min_size=0, max_size=5),
)


def literal_level(scored: list[Decimal], comments: list[bool]) -> Level:
    """Điều 9 read straight from domain.md, without any cleverness."""
    failed = comments.count(False)
    if failed == 0 and all(s >= D("6.5") for s in scored) and sum(s >= D("8.0") for s in scored) >= 6:
        return Level.TOT
    if failed == 0 and all(s >= D("5.0") for s in scored) and sum(s >= D("6.5") for s in scored) >= 6:
        return Level.KHA
    if failed <= 1 and sum(s >= D("5.0") for s in scored) >= 6 and all(s >= D("3.5") for s in scored):
        return Level.DAT
    return Level.CHUA_DAT


def level_of(scored: list[Decimal], comments: list[bool]) -> LevelResult:
    return learning_level(
        {f"s{i}": v for i, v in enumerate(scored)}, {f"c{j}": v for j, v in enumerate(comments)}
    )


@settings(max_examples=300, deadline=None)
@given(columns)
def test_learning_level_matches_the_literal_rules(column: tuple[list[Decimal], list[bool]]) -> None:
    scored, comments = column
    result = level_of(scored, comments)
    assert result.base_level is literal_level(scored, comments)
    # The adjustment: some single subject at its best lifts the base by ≥ 2 levels.
    lifts = [literal_level([*scored[:i], D(10), *scored[i + 1 :]], comments) for i in range(len(scored))]
    lifts += [literal_level(scored, [*comments[:j], True, *comments[j + 1 :]]) for j in range(len(comments))]
    expected_adjust = any(level.rank - result.base_level.rank >= 2 for level in lifts)
    assert result.adjusted == expected_adjust
    # … and it never raises by more than one level.
    assert result.level.rank - result.base_level.rank in ((1,) if expected_adjust else (0,))


@settings(max_examples=300, deadline=None)
@given(columns, st.data())
def test_raising_one_average_never_lowers_the_learning_level(
    column: tuple[list[Decimal], list[bool]], data: st.DataObject
) -> None:
    scored, comments = column
    if not scored:
        return
    i = data.draw(st.integers(0, len(scored) - 1))
    better = list(scored)
    better[i] = D(data.draw(st.integers(int(scored[i] * 10), 100))) / 10
    assert level_of(better, comments).level >= level_of(scored, comments).level
    assert level_of(better, comments).base_level >= level_of(scored, comments).base_level
