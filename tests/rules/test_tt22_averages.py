"""ĐTBmhk and ĐTBmcn (Thông tư 22/2021 Điều 9) and comment-only semesters."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest

from app.rules.errors import RuleInputError
from app.rules.tt22 import (
    CommentSemester,
    ScoredSemester,
    Tt22Settings,
    comment_semester_result,
    semester_average,
    year_average,
)

D = Decimal


def sem(tx: list[str], gk: str | None, ck: str | None) -> ScoredSemester:
    return ScoredSemester(
        tx=tuple(D(v) for v in tx),
        gk=None if gk is None else D(gk),
        ck=None if ck is None else D(ck),
    )


def float_half_up(tx: list[str], gk: str, ck: str) -> float:
    """The same formula in binary floating point, rounded half up the usual float way."""
    total = sum(float(v) for v in tx) + 2 * float(gk) + 3 * float(ck)
    return math.floor(total / (len(tx) + 5) * 10 + 0.5) / 10


@pytest.mark.parametrize(
    ("tx", "gk", "ck", "lessons", "expected"),
    [
        (["8", "8"], "8", "8", 35, "8.0"),
        (["7", "9"], "8", "8", 35, "8.0"),  # (16 + 16 + 24) / 7
        (["10", "10", "10", "10"], "10", "10", 140, "10.0"),
        (["0", "0"], "0", "0", 35, "0.0"),
        (["6", "7", "8"], "6.5", "7.5", 70, "7.1"),  # 56.5 / 8 = 7.0625
        (["5", "6", "7", "8"], "9", "4", 105, "6.2"),  # 56 / 9 = 6.222…
        (["9", "9", "9"], "9.5", "9.4", 70, "9.3"),  # 74.2 / 8 = 9.275
        (["3", "5", "4"], "5.4", "5.6", 70, "5.0"),  # exactly 4.95 → 5.0
    ],
    ids=lambda v: str(v),
)
def test_semester_average_formula(tx: list[str], gk: str, ck: str, lessons: int, expected: str) -> None:
    """Thông tư 22/2021 Điều 9: ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (n + 5), one decimal."""
    result = semester_average(sem(tx, gk, ck), lessons)
    assert result == D(expected)
    assert result.as_tuple().exponent == -1


@pytest.mark.parametrize(
    ("tx", "gk", "ck", "exact", "correct", "float_gets"),
    [
        # An average of exactly 4.95: half up gives 5.0, the pass mark of Điều 9.
        (["3", "5", "4"], "5.4", "5.6", "4.95", "5.0", 4.9),
        # Exactly 6.45 (five ĐĐGtx: more than the minimum is allowed).
        (["6.5", "6", "4.4", "4.7", "8.6"], "4.1", "8.7", "6.45", "6.5", 6.4),
        # Exactly 8.05.
        (["5", "4", "10"], "8.9", "9.2", "8.05", "8.1", 8.0),
    ],
)
def test_exact_halves_round_up_where_binary_float_rounds_down(
    tx: list[str], gk: str, ck: str, exact: str, correct: str, float_gets: float
) -> None:
    """TT22 Điều 9 rounding: exact decimal arithmetic; the float version is wrong on these."""
    total = sum(D(v) for v in tx) + 2 * D(gk) + 3 * D(ck)
    assert total / (len(tx) + 5) == D(exact)  # the true average really is a half
    assert float_half_up(tx, gk, ck) == float_gets  # … and float lands just below it
    lessons = 70 if len(tx) == 3 else 140  # 3 ĐĐGtx required at 70 lessons, 4 at 140
    assert semester_average(sem(tx, gk, ck), lessons) == D(correct)


@pytest.mark.parametrize(
    ("hk1", "hk2", "expected"),
    [
        ("6.0", "9.0", "8.0"),
        ("9.0", "6.0", "7.0"),  # HKII counts twice
        ("8.0", "8.0", "8.0"),
        ("7.0", "8.0", "7.7"),  # 23 / 3 = 7.666…
        ("5.0", "4.9", "4.9"),  # 14.8 / 3 = 4.933…
        ("0.0", "10.0", "6.7"),
    ],
)
def test_year_average_formula(hk1: str, hk2: str, expected: str) -> None:
    """Thông tư 22/2021 Điều 9: ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3, one decimal half up."""
    assert year_average(D(hk1), D(hk2)) == D(expected)


def test_year_average_uses_the_rounded_semester_averages() -> None:
    """TT22 Điều 9: ĐTBmcn comes from the rounded ĐTBmhk (3.8 and 7.8), not 3.75 and 7.75."""
    first = sem(["3", "3", "3"], "3", "5")  # exactly 3.75 → 3.8
    second = sem(["8", "8", "8"], "7", "8")  # exactly 7.75 → 7.8
    hk1, hk2 = semester_average(first, 70), semester_average(second, 70)
    assert (hk1, hk2) == (D("3.8"), D("7.8"))
    # From the rounded values: 19.4 / 3 = 6.47 → 6.5 (reaches Khá's 6.5);
    # from the unrounded ones it would be 19.25 / 3 = 6.42 → 6.4.
    assert year_average(hk1, hk2) == D("6.5")
    assert year_average(D("3.75"), D("7.75")) == D("6.5")  # rounds its inputs first


@pytest.mark.parametrize(
    ("semester", "lessons", "field", "phrase"),
    [
        (sem(["8", "8"], "8", None), 35, "hk1.ck", "cuối kì"),
        (sem(["8", "8"], None, "8"), 35, "hk1.gk", "giữa kì"),
        (sem(["8"], "8", "8"), 35, "hk1.tx", "ít nhất 2"),
        (sem(["8", "8"], "8", "8"), 36, "hk1.tx", "ít nhất 3"),
        (sem(["8", "8", "8"], "8", "8"), 71, "hk1.tx", "ít nhất 4"),
        (sem(["8", "10.5"], "8", "8"), 35, "hk1.tx[1]", "ngoài thang điểm"),
        (sem(["8", "8"], "8", "7.25"), 35, "hk1.ck", "quá một chữ số"),
        (sem(["8", "8"], "-1", "8"), 35, "hk1.gk", "ngoài thang điểm"),
    ],
)
def test_semester_average_input_errors(
    semester: ScoredSemester, lessons: int, field: str, phrase: str
) -> None:
    with pytest.raises(RuleInputError) as info:
        semester_average(semester, lessons, field="hk1")
    assert info.value.field == field
    assert phrase in info.value.message


def test_float_scores_are_refused() -> None:
    semester = ScoredSemester(tx=(8.0, 8.0), gk=D(8), ck=D(8))  # type: ignore[arg-type]
    with pytest.raises(RuleInputError) as info:
        semester_average(semester, 35)
    assert info.value.field == "semester.tx[0]"
    assert "float" in info.value.message


@pytest.mark.parametrize("bad", [10.0, D("10.1"), D("-0.1"), D("NaN"), True])
def test_year_average_input_errors(bad: object) -> None:
    with pytest.raises(RuleInputError) as info:
        year_average(D("5.0"), bad)  # type: ignore[arg-type]
    assert info.value.field == "hk2"


# ------------------------------------------------------------ comment-only subjects


def checks(tx: str, gk: str, ck: str) -> CommentSemester:
    """'ĐĐC' style strings: each character D = Đạt, C = Chưa đạt."""
    return CommentSemester(tx=tuple(c == "D" for c in tx), gk=gk == "D", ck=ck == "D")


@pytest.mark.parametrize(
    ("semester", "expected"),
    [
        pytest.param(checks("DD", "D", "D"), True, id="TT22-Dieu9-all-dat"),
        pytest.param(checks("CD", "D", "D"), True, id="TT22-Dieu9-3of4"),
        pytest.param(checks("CC", "D", "D"), False, id="TT22-Dieu9-2of4"),
        pytest.param(checks("DD", "C", "D"), True, id="TT22-Dieu9-3of4-midterm-failed"),
        pytest.param(checks("DDD", "C", "D"), True, id="TT22-Dieu9-4of5"),
        pytest.param(checks("CDD", "C", "D"), False, id="TT22-Dieu9-3of5-just-below"),
        pytest.param(checks("CCDD", "D", "D"), True, id="TT22-Dieu9-4of6-exactly-two-thirds"),
        pytest.param(checks("CCCD", "D", "D"), False, id="TT22-Dieu9-3of6"),
        pytest.param(checks("CDDD", "D", "D"), True, id="TT22-Dieu9-5of6"),
        pytest.param(checks("DD", "D", "C"), False, id="TT22-Dieu9-end-of-term-failed"),
        pytest.param(checks("DDDD", "D", "C"), False, id="TT22-Dieu9-5of6-end-of-term-failed"),
    ],
)
def test_comment_semester_two_thirds_rule(semester: CommentSemester, expected: bool) -> None:
    """(verify) Thông tư 22/2021 Điều 9: Đạt when ≥ 2/3 of checks are Đạt incl. end-of-term."""
    assert comment_semester_result(semester) is expected


def test_comment_rule_fraction_is_configurable() -> None:
    semester = checks("CC", "D", "D")  # 2 of 4
    assert comment_semester_result(semester) is False
    half = Tt22Settings(comment_pass_fraction=Fraction(1, 2))
    assert comment_semester_result(semester, settings=half) is True


@pytest.mark.parametrize(
    ("semester", "lessons", "field"),
    [
        (CommentSemester(tx=(True, True), gk=True, ck=None), 35, "semester.ck"),
        (CommentSemester(tx=(True, True), gk=None, ck=True), 35, "semester.gk"),
        (CommentSemester(tx=(True,), gk=True, ck=True), 0, "semester.tx"),
        (CommentSemester(tx=(True, True), gk=True, ck=True), 70 + 35, "semester.tx"),
        (CommentSemester(tx=(True, "Đ"), gk=True, ck=True), 35, "semester.tx[1]"),  # type: ignore[arg-type]
    ],
)
def test_comment_semester_input_errors(semester: CommentSemester, lessons: int, field: str) -> None:
    with pytest.raises(RuleInputError) as info:
        comment_semester_result(semester, lessons)
    assert info.value.field == field
