"""Levels, the input error type, score validation and half-up rounding."""

from __future__ import annotations

import pickle
import unicodedata
from decimal import ROUND_DOWN, Decimal, getcontext, localcontext

import pytest

from app.rules.errors import RuleInputError
from app.rules.levels import Level
from app.rules.levels import RuleInputError as ReExported
from app.rules.scores import check_score, rounded
from app.rules.tt22 import required_tx_count

D = Decimal


def test_levels_are_totally_ordered() -> None:
    ordered = [Level.CHUA_DAT, Level.DAT, Level.KHA, Level.TOT]
    assert sorted(reversed(ordered)) == ordered
    assert Level.CHUA_DAT < Level.DAT < Level.KHA < Level.TOT
    assert Level.TOT >= Level.TOT and Level.DAT <= Level.KHA and Level.KHA > Level.DAT
    assert max(ordered) is Level.TOT and min(ordered) is Level.CHUA_DAT


def test_level_values_and_labels() -> None:
    assert [level.value for level in Level] == ["CĐ", "Đ", "K", "T"]
    assert {level.value: level.label for level in Level} == {
        "T": "Tốt",
        "K": "Khá",
        "Đ": "Đạt",
        "CĐ": "Chưa đạt",
    }
    for level in Level:
        assert unicodedata.is_normalized("NFC", level.label)


def test_level_comparison_with_other_types_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = Level.TOT < "T"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T", Level.TOT),
        ("K", Level.KHA),
        ("Đ", Level.DAT),
        ("CĐ", Level.CHUA_DAT),
        (" CĐ ", Level.CHUA_DAT),
        ("C\u00d0", Level.CHUA_DAT),  # Icelandic eth pasted from a spreadsheet
        (unicodedata.normalize("NFD", "CĐ"), Level.CHUA_DAT),
    ],
)
def test_level_parse_accepts_codes(text: str, expected: Level) -> None:
    assert Level.parse(text, "f") is expected


@pytest.mark.parametrize("bad", ["X", "t", "Tốt", "", None, 3, True])
def test_level_parse_rejects_unknown_values(bad: object) -> None:
    with pytest.raises(RuleInputError) as info:
        Level.parse(bad, "conduct.hk1")
    assert info.value.field == "conduct.hk1"
    assert "T (Tốt)" in info.value.message


def test_rule_input_error_carries_field_and_message() -> None:
    error = RuleInputError("subjects[2].hk1.ck", "Thiếu điểm đánh giá cuối kì.")
    assert isinstance(error, ValueError)
    assert ReExported is RuleInputError
    assert error.field == "subjects[2].hk1.ck"
    assert error.message == "Thiếu điểm đánh giá cuối kì."
    assert str(error) == "subjects[2].hk1.ck: Thiếu điểm đánh giá cuối kì."
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field, copy.message) == (error.field, error.message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("6.45"), D("6.5")),  # half up, not half to even
        (D("6.44"), D("6.4")),
        (D("6.35"), D("6.4")),
        (D("4.95"), D("5.0")),
        (D("7.949999"), D("7.9")),
        (D("9.95"), D("10.0")),
        (D("0.05"), D("0.1")),
        (D("8"), D("8.0")),
    ],
)
def test_rounding_is_half_up_to_one_decimal(value: Decimal, expected: Decimal) -> None:
    result = rounded(value)
    assert result == expected
    assert result.as_tuple().exponent == -1


def test_rounding_ignores_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 2
        ctx.rounding = ROUND_DOWN
        assert rounded(D("6.45")) == D("6.5")
    assert getcontext().prec == 28


@pytest.mark.parametrize("value", [D("0"), D("10"), D("10.0"), D("7.5"), D("7.50"), 0, 10])
def test_valid_scores(value: Decimal | int) -> None:
    assert check_score(value, "x") == D(value)


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (D("10.5"), "ngoài thang điểm"),
        (D("-0.1"), "ngoài thang điểm"),
        (D("7.25"), "quá một chữ số thập phân"),
        (D("NaN"), "hữu hạn"),
        (D("sNaN"), "hữu hạn"),
        (D("Infinity"), "hữu hạn"),
        (7.5, "float"),
        ("7.5", "từ 0 đến 10"),
        (True, "từ 0 đến 10"),
        (None, "từ 0 đến 10"),
    ],
)
def test_invalid_scores(value: object, phrase: str) -> None:
    with pytest.raises(RuleInputError) as info:
        check_score(value, "subjects[0].hk1.tx[1]")
    assert info.value.field == "subjects[0].hk1.tx[1]"
    assert phrase in info.value.message


@pytest.mark.parametrize(
    ("lessons", "count"),
    [(0, 2), (1, 2), (35, 2), (36, 3), (70, 3), (71, 4), (105, 4), (140, 4)],
    ids=lambda v: f"TT22-Dieu6-{v}",
)
def test_required_tx_count_thresholds(lessons: int, count: int) -> None:
    """Thông tư 22/2021 Điều 6: ≤35 lessons → 2 ĐĐGtx, 36–70 → 3, >70 → 4."""
    assert required_tx_count(lessons) == count


@pytest.mark.parametrize("lessons", [-1, True, 35.0, "35"])
def test_required_tx_count_rejects_nonsense(lessons: object) -> None:
    with pytest.raises(RuleInputError) as info:
        required_tx_count(lessons)  # type: ignore[arg-type]
    assert info.value.field == "lessons_per_year"
