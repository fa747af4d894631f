"""Learning level with the one-subject adjustment (Điều 9) and year conduct (Điều 8)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from app.rules.errors import RuleInputError
from app.rules.levels import Level
from app.rules.tt22 import Tt22Settings, conduct_year, learning_level

D = Decimal
T, K, DAT, CD = Level.TOT, Level.KHA, Level.DAT, Level.CHUA_DAT


def columns(scores: list[str], failed_comments: int = 0) -> tuple[dict[str, Decimal], dict[str, bool]]:
    scored = {f"s{i}": D(v) for i, v in enumerate(scores)}
    comments = {f"c{j}": j >= failed_comments for j in range(4)}
    return scored, comments


# (scores of 8 scored subjects, comment subjects at Chưa đạt, base level, final level)
LEVEL_TABLE = [
    # Tốt: every scored ≥ 6.5, at least 6 ≥ 8.0, comments all Đạt.
    pytest.param(["8.0"] * 6 + ["6.5"] * 2, 0, T, T, id="TT22-Dieu9-Tot-at-thresholds"),
    pytest.param(["8.0"] * 6 + ["6.4", "6.5"], 0, K, K, id="TT22-Dieu9-Tot-one-just-below-6.5"),
    pytest.param(["8.0"] * 5 + ["7.9"] * 3, 0, K, K, id="TT22-Dieu9-Tot-only-5-at-8.0"),
    pytest.param(["10.0"] * 8, 0, T, T, id="TT22-Dieu9-Tot-all-10"),
    # Khá: every scored ≥ 5.0, at least 6 ≥ 6.5, comments all Đạt.
    pytest.param(["6.5"] * 6 + ["5.0"] * 2, 0, K, K, id="TT22-Dieu9-Kha-at-thresholds"),
    pytest.param(["6.5"] * 6 + ["4.9", "5.0"], 0, DAT, DAT, id="TT22-Dieu9-Kha-one-just-below-5.0"),
    pytest.param(["6.5"] * 5 + ["6.4"] * 3, 0, DAT, DAT, id="TT22-Dieu9-Kha-only-5-at-6.5"),
    # Đạt: at most one comment CĐ, at least 6 scored ≥ 5.0, none < 3.5.
    pytest.param(["5.0"] * 6 + ["3.5"] * 2, 0, DAT, DAT, id="TT22-Dieu9-Dat-at-thresholds"),
    pytest.param(["5.0"] * 6 + ["3.4", "3.5"], 0, CD, CD, id="TT22-Dieu9-Dat-one-just-below-3.5"),
    pytest.param(["5.0"] * 5 + ["4.9"] * 3, 0, CD, CD, id="TT22-Dieu9-Dat-only-5-at-5.0"),
    pytest.param(["5.0"] * 8, 1, DAT, DAT, id="TT22-Dieu9-Dat-one-comment-failed"),
    pytest.param(["9.0"] * 8, 2, CD, CD, id="TT22-Dieu9-two-comments-failed"),
    # One-subject adjustment (verify): one subject alone pulls down ≥ 2 levels → +1.
    pytest.param(["9.0"] * 7 + ["3.0"], 0, CD, DAT, id="TT22-Dieu9-adjust-CD-to-Dat-not-further"),
    pytest.param(["8.0"] * 7 + ["4.0"], 0, DAT, K, id="TT22-Dieu9-adjust-Dat-to-Kha"),
    pytest.param(["9.0"] * 8, 1, DAT, K, id="TT22-Dieu9-adjust-by-a-comment-subject"),
    pytest.param(["5.0"] * 6 + ["4.0", "3.0"], 0, CD, CD, id="TT22-Dieu9-no-adjust-lift-of-one"),
    pytest.param(["6.5"] * 7 + ["3.0"], 0, CD, DAT, id="TT22-Dieu9-adjust-CD-lift-of-two"),
    pytest.param(["8.0"] * 6 + ["4.0"] * 2, 0, DAT, DAT, id="TT22-Dieu9-no-adjust-two-subjects"),
    pytest.param(["8.0"] * 7 + ["4.0"], 1, DAT, DAT, id="TT22-Dieu9-no-adjust-subject-and-comment"),
]


@pytest.mark.parametrize(("scores", "failed", "base", "final"), LEVEL_TABLE)
def test_learning_level_table(scores: list[str], failed: int, base: Level, final: Level) -> None:
    """Thông tư 22/2021 Điều 9 thresholds 8.0 / 6.5 / 5.0 / 3.5 and the adjustment (verify)."""
    result = learning_level(*columns(scores, failed))
    assert result.base_level is base
    assert result.level is final
    assert result.adjusted == (base is not final)
    assert bool(result.adjusted_by) == result.adjusted


def test_adjustment_names_the_subject_that_pulled_the_level_down() -> None:
    scored, comments = columns(["9.0"] * 7 + ["3.0"])
    assert learning_level(scored, comments).adjusted_by == ("s7",)
    scored, comments = columns(["9.0"] * 8, failed_comments=1)
    assert learning_level(scored, comments).adjusted_by == ("c0",)


def test_adjustment_can_be_switched_off() -> None:
    scored, comments = columns(["9.0"] * 7 + ["3.0"])
    result = learning_level(scored, comments, settings=Tt22Settings(one_subject_adjustment=False))
    assert (result.base_level, result.level, result.adjusted_by) == (CD, CD, ())


def test_fewer_than_six_scored_subjects_cannot_reach_dat() -> None:
    """Điều 9 asks for at least 6 scored subjects ≥ 5.0 for Đạt, so 5 subjects are never enough."""
    result = learning_level({f"s{i}": D("10.0") for i in range(5)}, {})
    assert result.level is CD


def test_learning_level_input_errors() -> None:
    with pytest.raises(RuleInputError) as info:
        learning_level({"toan": 8.5}, {})  # type: ignore[dict-item]
    assert info.value.field == "scored['toan']"
    with pytest.raises(RuleInputError) as info:
        learning_level({"toan": D("8.5")}, {"toan": True})
    assert info.value.field == "comments['toan']"
    with pytest.raises(RuleInputError):
        learning_level({}, {"am_nhac": "Đ"})  # type: ignore[dict-item]


# ------------------------------------------------------------------------- conduct

CONDUCT_TABLE = {
    # (HKI, HKII): year — domain.md's reading of Thông tư 22/2021 Điều 8 (verify).
    (T, T): T,
    (K, T): T,
    (DAT, T): K,
    (CD, T): K,
    (T, K): K,
    (K, K): K,
    (DAT, K): K,
    (CD, K): DAT,
    (T, DAT): K,
    (K, DAT): DAT,
    (DAT, DAT): DAT,
    (CD, DAT): DAT,
    (T, CD): CD,
    (K, CD): CD,
    (DAT, CD): CD,
    (CD, CD): CD,
}


@pytest.mark.parametrize(
    ("hk1", "hk2"),
    list(itertools.product(Level, Level)),
    ids=lambda v: v.value,
)
def test_conduct_year_all_sixteen_combinations(hk1: Level, hk2: Level) -> None:
    """Thông tư 22/2021 Điều 8 (verify exact table): year conduct from HKI and HKII."""
    assert len(CONDUCT_TABLE) == 16
    assert conduct_year(hk1, hk2) is CONDUCT_TABLE[(hk1, hk2)]


def test_conduct_year_never_exceeds_the_second_semester() -> None:
    for hk1, hk2 in itertools.product(Level, Level):
        assert conduct_year(hk1, hk2) <= hk2 or (hk1, hk2) == (T, DAT)


def test_conduct_year_rejects_unknown_levels() -> None:
    with pytest.raises(RuleInputError) as info:
        conduct_year("X", Level.TOT)  # type: ignore[arg-type]
    assert info.value.field == "hk1"
