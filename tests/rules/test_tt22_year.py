"""evaluate_year: promotion paths (Điều 12–14), titles (Điều 15) and explanations."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

import pytest

from app.rules.errors import RuleInputError
from app.rules.levels import Level
from app.rules.tt22 import (
    ScoredSemester,
    SubjectInput,
    Tt22Settings,
    YearResult,
    evaluate_year,
)

from .tt22_builders import GOOD_SCORES, comment, scored, student, subjects

D = Decimal
T, K, DAT, CD = Level.TOT, Level.KHA, Level.DAT, Level.CHUA_DAT

# Eight scored subjects that leave the student at Chưa đạt with no adjustment:
# Công nghệ 3.0 (< 3.5) and Tin học 4.0 (< 5.0) must both be re-assessed.
FAILING_SCORES = ("9.0",) * 5 + ("3.0", "4.0", "9.0")
CONG_NGHE, TIN_HOC = 5, 6  # positions of the two failing subjects
FIRST_COMMENT = 8


def explanation(result: YearResult, start: str) -> str:
    found = [text for text in result.explanations if text.startswith(start)]
    assert len(found) == 1, result.explanations
    return found[0]


# ------------------------------------------------------------------- happy path


def test_excellent_student_all_results_and_explanations() -> None:
    result = evaluate_year(student(subjects(GOOD_SCORES)))
    assert (result.learning_hk1, result.learning_hk2, result.learning_year) == (T, T, T)
    assert result.conduct_year is T
    assert result.promotion == "len_lop"
    assert result.decided_by == "promoted"
    assert result.title == "xuat_sac"
    assert result.learning_year_after_reassessment is None
    assert result.reassessment_subjects == ()
    # One explanation per computed result: 3 learning, conduct, promotion, title.
    assert len(result.explanations) == 6
    for text in result.explanations:
        assert unicodedata.is_normalized("NFC", text)
        assert not re.search(r"\d\.\d", text), text  # Vietnamese decimal comma only
    assert "Thông tư 22/2021, Điều 9" in explanation(result, "Kết quả học tập học kì I: Tốt")
    assert "Điều 8" in explanation(result, "Kết quả rèn luyện cả năm: Tốt")
    assert "Điều 12" in explanation(result, "Được lên lớp")
    title = explanation(result, "Đạt danh hiệu Học sinh Xuất sắc")
    assert "Điều 15" in title
    assert "có 6 môn có ĐTBmcn ≥ 9,0" in title
    assert "Toán 9,0; Ngữ văn 9,0" in title
    assert "Tin học" not in title  # 8.0: not among the subjects at 9.0


def test_subject_results_per_term_and_year() -> None:
    toan = scored("toan", "6.0", "9.0", name="Toán")
    am_nhac = comment("am_nhac", True, hk1_ok=False, name="Âm nhạc")
    result = evaluate_year(student((toan, am_nhac, *subjects(GOOD_SCORES[:7])[:7])))
    first, second = result.subjects[:2]
    assert (first.code, first.name, first.kind) == ("toan", "Toán", "score")
    assert (first.hk1, first.hk2, first.year, first.year_final) == (D("6.0"), D("9.0"), D("8.0"), D("8.0"))
    assert first.reassessment is None and not first.needs_reassessment
    # A comment-only subject's year result is its HKII result (Điều 9).
    assert (second.hk1, second.hk2, second.year) == (False, True, True)
    assert result.learning_hk1 is DAT  # Âm nhạc failed HKI; Toán 6.0 < 6.5
    assert result.learning_hk1 < result.learning_year


# -------------------------------------------------------------------- absences


@pytest.mark.parametrize(
    ("absent", "promotion"),
    [(0, "len_lop"), (45, "len_lop"), (46, "o_lai"), (120, "o_lai")],
    ids=lambda v: f"TT22-Dieu12-{v}",
)
def test_absence_limit(absent: int, promotion: str) -> None:
    """Thông tư 22/2021 Điều 12 (verify): more than 45 sessions absent → ở lại lớp."""
    result = evaluate_year(student(subjects(GOOD_SCORES), absent=absent))
    assert result.promotion == promotion
    text = explanation(result, "Ở lại lớp" if promotion == "o_lai" else "Được lên lớp")
    assert f"nghỉ {absent} buổi" in text
    # Titles do not depend on attendance (Điều 15 names no such condition).
    assert result.title == "xuat_sac"


def test_absence_limit_is_configurable() -> None:
    settings = Tt22Settings(max_sessions_absent=30)
    assert evaluate_year(student(subjects(GOOD_SCORES), absent=31), settings=settings).promotion == "o_lai"
    assert evaluate_year(student(subjects(GOOD_SCORES), absent=30), settings=settings).promotion == "len_lop"


def test_absence_comes_before_everything_else() -> None:
    result = evaluate_year(student(subjects(FAILING_SCORES), ("T", "CĐ"), absent=46))
    assert (result.promotion, result.decided_by) == ("o_lai", "absence")


# -------------------------------------------------------- conduct and learning


def test_conduct_and_learning_both_failed_is_held_back() -> None:
    """Điều 12–14: re-assessment needs year conduct ≥ Đạt, so both failing → ở lại lớp."""
    result = evaluate_year(student(subjects(FAILING_SCORES), ("T", "CĐ")))
    assert (result.conduct_year, result.learning_year) == (CD, CD)
    assert (result.promotion, result.decided_by) == ("o_lai", "both_failed")
    assert result.reassessment_subjects == ()
    assert "đều Chưa đạt" in explanation(result, "Ở lại lớp")


@pytest.mark.parametrize(
    ("after", "promotion"),
    [(None, "ren_luyen_he"), ("CĐ", "o_lai"), ("Đ", "len_lop"), ("K", "len_lop"), ("T", "len_lop")],
    ids=lambda v: f"TT22-Dieu13-{v}",
)
def test_summer_conduct_training(after: str | None, promotion: str) -> None:
    """Thông tư 22/2021 Điều 13: conduct Chưa đạt → summer training, then re-evaluation."""
    result = evaluate_year(student(subjects(GOOD_SCORES), ("T", "CĐ"), after_summer=after))
    assert result.conduct_year is CD
    assert result.promotion == promotion
    assert result.decided_by == "summer"
    assert result.title is None  # conduct before summer was Chưa đạt
    if after is None:
        assert "rèn luyện trong kì nghỉ hè" in explanation(result, "Phải rèn luyện")
        assert result.conduct_after_summer is None
    else:
        assert result.conduct_after_summer is Level.parse(after, "x")
        assert "Điều 13" in explanation(result, "Kết quả rèn luyện được đánh giá lại")
        verdict = "Được lên lớp" if promotion == "len_lop" else "Ở lại lớp"
        assert "sau rèn luyện trong kì nghỉ hè" in explanation(result, verdict)


def test_reassessment_pending_lists_the_subjects() -> None:
    """Thông tư 22/2021 Điều 14: comment subjects at CĐ and scored subjects below 5.0."""
    result = evaluate_year(student(subjects(FAILING_SCORES, (False, True, True, True))))
    assert result.learning_year is CD
    assert (result.promotion, result.decided_by) == ("kiem_tra_lai", "reassessment")
    assert result.reassessment_subjects == ("s5", "s6", "c0")
    assert result.learning_year_after_reassessment is None
    text = explanation(result, "Phải kiểm tra lại")
    assert "Công nghệ (ĐTBmcn 3,0); Tin học (ĐTBmcn 4,0); Giáo dục thể chất (Chưa đạt)" in text
    assert "Còn chờ kết quả: Công nghệ, Tin học và Giáo dục thể chất." in text


def test_reassessment_partly_entered_is_still_pending() -> None:
    inp = student(subjects(FAILING_SCORES, reassess={CONG_NGHE: D("6.0")}))
    result = evaluate_year(inp)
    assert result.promotion == "kiem_tra_lai"
    text = explanation(result, "Phải kiểm tra lại")
    assert "Còn chờ kết quả: Tin học; đã có kết quả: Công nghệ 6,0." in text


@pytest.mark.parametrize(
    ("new_cn", "new_th", "new_comment", "after", "promotion"),
    [
        pytest.param("5.0", "5.0", True, K, "len_lop", id="TT22-Dieu14-passes-to-Kha"),
        pytest.param("3.5", "5.0", True, DAT, "len_lop", id="TT22-Dieu14-passes-at-thresholds"),
        pytest.param("3.2", "4.5", True, CD, "o_lai", id="TT22-Dieu14-still-failing"),
        pytest.param("5.0", "5.0", False, DAT, "len_lop", id="TT22-Dieu14-one-comment-CD-allowed"),
        # 3.4 alone pulls the recomputed level from Tốt to Chưa đạt: adjusted to Đạt.
        pytest.param("3.4", "9.0", True, DAT, "len_lop", id="TT22-Dieu14-with-adjustment"),
    ],
)
def test_reassessment_resolved(
    new_cn: str, new_th: str, new_comment: bool, after: Level, promotion: str
) -> None:
    """Điều 14: the re-assessment replaces the year result; learning is recomputed (Điều 9)."""
    inp = student(
        subjects(
            FAILING_SCORES,
            (False, True, True, True),
            reassess={CONG_NGHE: D(new_cn), TIN_HOC: D(new_th), FIRST_COMMENT: new_comment},
        )
    )
    result = evaluate_year(inp)
    assert result.learning_year is CD  # the year result itself is unchanged
    assert result.learning_year_after_reassessment is after
    assert result.promotion == promotion
    cong_nghe = result.subjects[CONG_NGHE]
    assert (cong_nghe.year, cong_nghe.reassessment, cong_nghe.year_final) == (D("3.0"), D(new_cn), D(new_cn))
    assert result.subjects[FIRST_COMMENT].year_final is new_comment
    explanation(result, "Kết quả học tập cả năm sau kiểm tra lại")
    verdict = explanation(result, "Được lên lớp" if promotion == "len_lop" else "Ở lại lớp")
    assert f"sau kiểm tra lại (Công nghệ {new_cn.replace('.', ',')}; Tin học" in verdict
    if after is DAT and new_cn == "3.4":
        assert result.learning.year_after_reassessment is not None
        assert result.learning.year_after_reassessment.adjusted


def test_learning_failed_without_subjects_to_reassess_is_held_back() -> None:
    """Five scored subjects cannot reach the "6 subjects ≥ 5.0" of Đạt; nothing to re-assess."""
    result = evaluate_year(student(subjects(("9.0",) * 5)))
    assert result.learning_year is CD
    assert result.reassessment_subjects == ()
    assert result.promotion == "o_lai"
    assert "không có môn nào thuộc diện kiểm tra lại" in explanation(result, "Ở lại lớp")


# ------------------------------------------------------ summer values misplaced


def test_reassessment_for_a_subject_not_on_the_list_is_an_input_error() -> None:
    inp = student(subjects(FAILING_SCORES, reassess={0: D("9.5")}))
    with pytest.raises(RuleInputError) as info:
        evaluate_year(inp)
    assert info.value.field == "subjects[0].reassessment"
    assert "Toán không thuộc diện kiểm tra lại" in info.value.message


def test_reassessment_for_a_promoted_student_is_an_input_error() -> None:
    inp = student(subjects(GOOD_SCORES, reassess={FIRST_COMMENT: True}))
    with pytest.raises(RuleInputError) as info:
        evaluate_year(inp)
    assert info.value.field == f"subjects[{FIRST_COMMENT}].reassessment"


def test_conduct_after_summer_without_summer_training_is_an_input_error() -> None:
    with pytest.raises(RuleInputError) as info:
        evaluate_year(student(subjects(GOOD_SCORES), ("T", "K"), after_summer="T"))
    assert info.value.field == "conduct_after_summer"
    assert "không thuộc diện rèn luyện trong kì nghỉ hè" in info.value.message


@pytest.mark.parametrize(
    ("subject", "field"),
    [
        (scored("x", "9.0", reassessment=True), "subjects[0].reassessment"),  # type: ignore[arg-type]
        (comment("x", reassessment=D("5.0")), "subjects[0].reassessment"),  # type: ignore[arg-type]
        (
            SubjectInput("x", "X", "score", 35, ScoredSemester((D(8), D(8)), D(8), D(8)), comment("y").hk2),
            "subjects[0].hk2",
        ),
        (SubjectInput("x", "X", "other", 35, comment("y").hk1, comment("y").hk2), "subjects[0].kind"),  # type: ignore[arg-type]
        (SubjectInput("", "X", "comment", 35, comment("y").hk1, comment("y").hk2), "subjects[0].code"),
        (
            SubjectInput("x", "X", "score", 0, scored("y", "8").hk1, scored("y", "8").hk2),
            "subjects[0].lessons_per_year",
        ),
    ],
)
def test_subject_input_errors(subject: SubjectInput, field: str) -> None:
    with pytest.raises(RuleInputError) as info:
        evaluate_year(student((subject,)))
    assert info.value.field == field


def test_duplicate_codes_and_bad_student_fields() -> None:
    with pytest.raises(RuleInputError) as info:
        evaluate_year(student((scored("toan", "8"), scored("toan", "9"))))
    assert info.value.field == "subjects[1].code"
    with pytest.raises(RuleInputError) as info:
        evaluate_year(student(subjects(GOOD_SCORES), absent=-1))
    assert info.value.field == "sessions_absent"
    with pytest.raises(RuleInputError) as info:
        evaluate_year(student(()))
    assert info.value.field == "subjects"


# ------------------------------------------------------------------------ titles


def test_title_gioi_when_only_five_subjects_reach_nine() -> None:
    """Điều 15: Xuất sắc needs 6 subjects with ĐTBmcn ≥ 9.0; 8.9 does not count."""
    scores = ("9.4", "9.0", "9.0", "9.0", "9.0", "8.9", "8.0", "8.0")
    result = evaluate_year(student(subjects(scores)))
    assert result.learning_year is T and result.conduct_year is T
    assert result.title == "gioi"
    text = explanation(result, "Đạt danh hiệu Học sinh Giỏi")
    assert (
        "Chưa đạt danh hiệu Học sinh Xuất sắc vì chỉ có 5 môn có ĐTBmcn ≥ 9,0 (cần ít nhất 6): "
        "Toán 9,4; Ngữ văn 9,0; Tiếng Anh 9,0; Lịch sử và Địa lí 9,0; Khoa học tự nhiên 9,0."
    ) in text
    assert "Công nghệ" not in text


def test_title_gioi_with_no_subject_at_nine() -> None:
    result = evaluate_year(student(subjects(("8.0",) * 8)))
    assert result.title == "gioi"
    assert "không có môn nào có ĐTBmcn ≥ 9,0" in explanation(result, "Đạt danh hiệu Học sinh Giỏi")


@pytest.mark.parametrize(
    ("conduct", "scores", "phrase"),
    [
        (("T", "K"), GOOD_SCORES, "kết quả rèn luyện cả năm là Khá"),
        (("T", "T"), ("9.0",) * 7 + ("6.4",), "kết quả học tập cả năm là Khá"),
        (("Đ", "Đ"), ("9.0",) * 5 + ("5.0",) * 3, "kết quả rèn luyện cả năm là Đạt và kết quả học tập"),
    ],
)
def test_no_title(conduct: tuple[str, str], scores: tuple[str, ...], phrase: str) -> None:
    result = evaluate_year(student(subjects(scores), conduct))
    assert result.title is None
    assert phrase in explanation(result, "Không đạt danh hiệu")


# ------------------------------------------------------------------ explanations


def test_explanation_of_a_kha_names_the_subjects_that_miss_tot() -> None:
    scores = ("9.0", "9.0", "9.0", "8.5", "8.0", "7.9", "6.4", "7.0")
    result = evaluate_year(student(subjects(scores)))
    assert result.learning_year is K
    text = explanation(result, "Kết quả học tập cả năm: Khá")
    assert "Chưa đạt mức Tốt vì có 1 môn có ĐTBmcn dưới 6,5 (Tin học 6,4)" in text
    assert "chỉ có 5 môn có ĐTBmcn ≥ 8,0 (cần ít nhất 6): Toán 9,0;" in text


def test_explanation_of_a_chua_dat_and_of_the_adjustment() -> None:
    failing = evaluate_year(student(subjects(FAILING_SCORES)))
    text = explanation(failing, "Kết quả học tập cả năm: Chưa đạt")
    assert "có 1 môn có ĐTBmcn dưới 3,5 (Công nghệ 3,0)" in text

    adjusted = evaluate_year(student(subjects(("9.0",) * 7 + ("3.0",))))
    assert adjusted.learning_year is DAT
    text = explanation(adjusted, "Kết quả học tập cả năm: Đạt (đã điều chỉnh)")
    assert "kết quả là Chưa đạt vì" in text
    assert "chỉ riêng môn Giáo dục công dân (ĐTBmcn 3,0)" in text
    assert "cần kiểm chứng" in text


def test_names_typed_in_nfd_come_out_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Toán")
    subject_list = (scored("toan", "9.0", name=decomposed), *subjects(GOOD_SCORES)[1:])
    result = evaluate_year(student(subject_list))
    assert result.subjects[0].name == "Toán"
    assert "Toán 9,0" in explanation(result, "Đạt danh hiệu Học sinh Xuất sắc")
    assert all(unicodedata.is_normalized("NFC", text) for text in result.explanations)


def test_explanation_of_conduct_names_both_semesters() -> None:
    result = evaluate_year(student(subjects(GOOD_SCORES), ("T", "Đ")))
    assert result.conduct_year is K
    text = explanation(result, "Kết quả rèn luyện cả năm: Khá")
    assert "học kì I Tốt, học kì II Đạt" in text
