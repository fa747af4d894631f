"""Primary year evaluation (Thông tư 27/2020/TT-BGDĐT)."""

from __future__ import annotations

import unicodedata

import pytest

from app.rules.errors import RuleInputError
from app.rules.tt27 import (
    ALL_COMPETENCIES,
    GENERAL_COMPETENCIES,
    QUALITIES,
    SPECIFIC_COMPETENCIES,
    PrimaryResult,
    PrimarySubject,
    PrimaryYearInput,
    Tt27Settings,
    evaluate_primary_year,
)


def make(
    *,
    grade: int = 3,
    levels: tuple[str, ...] = ("T", "T", "T"),
    tests: tuple[int | None, ...] = (10, 9, None),
    rating: str = "T",
    overrides: dict[str, str] | None = None,
) -> PrimaryYearInput:
    names = ("Tiếng Việt", "Toán", "Đạo đức")
    subjects = tuple(
        PrimarySubject(code=f"m{i}", name=names[i], level=level, test_score=score)  # type: ignore[arg-type]
        for i, (level, score) in enumerate(zip(levels, tests, strict=True))
    )
    overrides = overrides or {}
    qualities = {code: overrides.get(code, rating) for code in QUALITIES}
    competencies = {code: overrides.get(code, rating) for code in ALL_COMPETENCIES}
    return PrimaryYearInput(grade=grade, subjects=subjects, qualities=qualities, competencies=competencies)  # type: ignore[arg-type]


def test_catalogues() -> None:
    assert dict(QUALITIES) == {
        "yeu_nuoc": "Yêu nước",
        "nhan_ai": "Nhân ái",
        "cham_chi": "Chăm chỉ",
        "trung_thuc": "Trung thực",
        "trach_nhiem": "Trách nhiệm",
    }
    assert dict(GENERAL_COMPETENCIES) == {
        "tu_chu_tu_hoc": "Tự chủ và tự học",
        "giao_tiep_hop_tac": "Giao tiếp và hợp tác",
        "gq_van_de_sang_tao": "Giải quyết vấn đề và sáng tạo",
    }
    assert list(SPECIFIC_COMPETENCIES) == [
        "ngon_ngu",
        "tinh_toan",
        "khoa_hoc",
        "cong_nghe",
        "tin_hoc",
        "tham_mi",
        "the_chat",
    ]
    assert SPECIFIC_COMPETENCIES["tham_mi"] == "Thẩm mĩ"
    assert len(ALL_COMPETENCIES) == 10
    for name in [*QUALITIES.values(), *ALL_COMPETENCIES.values()]:
        assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize(
    ("inp", "expected"),
    [
        pytest.param(make(tests=(9, 9, None)), "HTXS", id="TT27-Dieu9-HTXS-tests-at-9"),
        pytest.param(make(tests=(10, 8, None)), "HTT", id="TT27-Dieu9-HTT-one-test-just-below-9"),
        pytest.param(make(tests=(7, 7, None)), "HTT", id="TT27-Dieu9-HTT-tests-at-7"),
        pytest.param(make(tests=(7, 6, None)), "HT", id="TT27-Dieu9-HT-one-test-just-below-7"),
        pytest.param(make(levels=("T", "T", "H")), "HT", id="TT27-Dieu9-HT-one-subject-H"),
        pytest.param(make(overrides={"nhan_ai": "Đ"}), "HT", id="TT27-Dieu9-HT-one-quality-Dat"),
        pytest.param(make(overrides={"tin_hoc": "Đ"}), "HT", id="TT27-Dieu9-HT-one-competency-Dat"),
        pytest.param(
            make(levels=("H", "H", "H"), tests=(5, 5, None), rating="Đ"), "HT", id="TT27-Dieu9-HT-tests-at-5"
        ),
        pytest.param(
            make(levels=("H", "H", "H"), tests=(5, 4, None), rating="Đ"),
            "CHT",
            id="TT27-Dieu9-CHT-test-just-below-5",
        ),
        pytest.param(make(levels=("T", "C", "T")), "CHT", id="TT27-Dieu9-CHT-subject-C"),
        pytest.param(make(overrides={"the_chat": "C"}), "CHT", id="TT27-Dieu9-CHT-competency-C"),
        pytest.param(make(tests=(0, 10, None)), "CHT", id="TT27-Dieu9-CHT-score-0-allowed"),
        pytest.param(make(tests=(None, None, None)), "HTXS", id="TT27-Dieu9-no-tests-this-grade"),
    ],
)
def test_result_thresholds(inp: PrimaryYearInput, expected: str) -> None:
    """(verify thresholds) Thông tư 27/2020 Điều 9: HTXS ≥ 9, HTT ≥ 7, HT ≥ 5 on every test."""
    result = evaluate_primary_year(inp)
    assert result.result == expected
    assert result.completed is (expected != "CHT")
    assert result.title == ("xuat_sac" if expected == "HTXS" else None)


def test_thresholds_are_configurable() -> None:
    lenient = Tt27Settings(excellent_min_test=8)
    assert evaluate_primary_year(make(tests=(8, 8, None)), settings=lenient).result == "HTXS"
    assert evaluate_primary_year(make(tests=(8, 8, None))).result == "HTT"


@pytest.mark.parametrize(
    ("grade", "tests", "text"),
    [
        (1, (9, 9, None), "Hoàn thành chương trình lớp học"),
        (4, (5, 6, None), "Hoàn thành chương trình lớp học"),
        (5, (9, 9, None), "Hoàn thành chương trình tiểu học"),
        (5, (6, 6, None), "Hoàn thành chương trình tiểu học"),
        (5, (4, 6, None), "Chưa hoàn thành chương trình lớp học"),
        (2, (4, 6, None), "Chưa hoàn thành chương trình lớp học"),
    ],
)
def test_completion_text(grade: int, tests: tuple[int | None, ...], text: str) -> None:
    """Thông tư 27/2020 Điều 11 (verify): grade 5 completes the primary programme."""
    result = evaluate_primary_year(make(grade=grade, tests=tests))
    assert result.completion_text == text
    assert text in result.explanations[1]


def explanations(result: PrimaryResult) -> str:
    return "\n".join(result.explanations)


def test_explanations_name_the_rule_and_the_subjects() -> None:
    excellent = evaluate_primary_year(make(tests=(10, 9, None)))
    assert excellent.explanations[0].startswith("Kết quả giáo dục cả năm: Hoàn thành xuất sắc")
    assert "Thông tư 27/2020, Điều 9" in excellent.explanations[0]
    assert "Tiếng Việt 10; Toán 9" in excellent.explanations[0]
    assert "Được khen thưởng danh hiệu Học sinh Xuất sắc" in excellent.explanations[2]

    good = evaluate_primary_year(make(tests=(10, 8, None)))
    assert (
        "Chưa đạt mức Hoàn thành xuất sắc vì có bài kiểm tra định kì cuối năm dưới 9 điểm (Toán 8)"
        in (good.explanations[0])
    )
    assert "Không đạt danh hiệu Học sinh Xuất sắc" in good.explanations[2]

    fair = evaluate_primary_year(make(levels=("T", "H", "T"), overrides={"cham_chi": "Đ"}))
    assert (
        "Chưa đạt mức Hoàn thành tốt vì môn Toán chưa Hoàn thành tốt và phẩm chất Chăm chỉ chưa đạt mức Tốt"
        in (fair.explanations[0])
    )

    failed = evaluate_primary_year(make(levels=("C", "T", "T"), overrides={"the_chat": "C"}))
    assert (
        "vì môn Tiếng Việt Chưa hoàn thành và năng lực Thể chất ở mức Cần cố gắng" in failed.explanations[0]
    )
    for text in [*excellent.explanations, *failed.explanations]:
        assert unicodedata.is_normalized("NFC", text)


def test_ratings_may_be_keyed_by_vietnamese_name() -> None:
    inp = make()
    by_name = {QUALITIES[code]: level for code, level in inp.qualities.items()}
    by_name["Chăm chỉ"] = "Đ"
    result = evaluate_primary_year(PrimaryYearInput(inp.grade, inp.subjects, by_name, inp.competencies))
    assert result.result == "HT"


@pytest.mark.parametrize(
    ("score", "phrase"),
    [
        (7.5, "số nguyên"),
        (7.0, "số nguyên"),
        ("8", "số nguyên"),
        (True, "số nguyên"),
        (11, "0–10"),
        (-1, "0–10"),
    ],
)
def test_decimal_or_out_of_range_test_score_is_an_input_error(score: object, phrase: str) -> None:
    """Thông tư 27/2020 Điều 7: periodic test scores are integers 0–10, no decimals."""
    with pytest.raises(RuleInputError) as info:
        evaluate_primary_year(make(tests=(9, score, None)))  # type: ignore[arg-type]
    assert info.value.field == "subjects[1].test_score"
    assert phrase in info.value.message


@pytest.mark.parametrize(
    ("inp", "field"),
    [
        (make(grade=6), "grade"),
        (make(grade=0), "grade"),
        (make(levels=("T", "X", "T")), "subjects[1].level"),
        (make(levels=("T", None, "T")), "subjects[1].level"),  # type: ignore[arg-type]
        (make(overrides={"yeu_nuoc": "K"}), "qualities.yeu_nuoc"),
        (PrimaryYearInput(3, make().subjects, {}, make().competencies), "qualities.yeu_nuoc"),
        (
            PrimaryYearInput(3, make().subjects, make().qualities, {**make().competencies, "bay": "T"}),
            "competencies.bay",
        ),
        (PrimaryYearInput(3, (), make().qualities, make().competencies), "subjects"),
    ],
)
def test_primary_input_errors(inp: PrimaryYearInput, field: str) -> None:
    with pytest.raises(RuleInputError) as info:
        evaluate_primary_year(inp)
    assert info.value.field == field
