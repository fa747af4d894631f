"""Validation of Thông tư 22/2021 inputs; every failure is a RuleInputError with a path.

The checks enforce what the evaluation relies on: complete assessments (Điều 6–7),
scores on the 10-point scale with one decimal, consistent kinds and unique codes.
"""

from __future__ import annotations

from decimal import Decimal

from app.rules.errors import RuleInputError
from app.rules.levels import Level
from app.rules.scores import MAX_SCORE, MIN_SCORE, check_score
from app.rules.tt22_types import (
    CommentSemester,
    ScoredSemester,
    StudentYearInput,
    SubjectInput,
)

__all__ = [
    "check_average",
    "check_comment_semester",
    "check_scored_semester",
    "check_student",
    "check_subject",
    "required_tx_count",
]


def required_tx_count(lessons_per_year: int) -> int:
    """Number of continuous assessments ĐĐGtx required per semester.

    Thông tư 22/2021 Điều 6 (verify the clause): 2 for a subject with at most 35
    lessons a year, 3 for 36–70, 4 for more than 70.
    """
    if isinstance(lessons_per_year, bool) or not isinstance(lessons_per_year, int):
        raise RuleInputError("lessons_per_year", "Số tiết/năm học phải là số nguyên.")
    if lessons_per_year < 0:
        raise RuleInputError("lessons_per_year", "Số tiết/năm học không được âm.")
    if lessons_per_year <= 35:
        return 2
    if lessons_per_year <= 70:
        return 3
    return 4


def check_student(inp: StudentYearInput) -> None:
    """Check the student-level fields and the subject list's shape (not the subjects' data)."""
    if not isinstance(inp, StudentYearInput):
        raise RuleInputError("$", "Dữ liệu đánh giá phải là một StudentYearInput.")
    if inp.level not in ("thcs", "thpt"):
        raise RuleInputError("level", f"Cấp học không hợp lệ: {inp.level!r}. Chỉ nhận thcs hoặc thpt.")
    if not isinstance(inp.subjects, tuple) or not inp.subjects:
        raise RuleInputError("subjects", "Cần ít nhất một môn học (tuple các SubjectInput).")
    seen: set[str] = set()
    for i, subject in enumerate(inp.subjects):
        path = f"subjects[{i}]"
        if not isinstance(subject, SubjectInput):
            raise RuleInputError(path, "Mỗi môn học phải là một SubjectInput.")
        if not isinstance(subject.code, str) or not subject.code.strip():
            raise RuleInputError(f"{path}.code", "Thiếu mã môn học.")
        if not isinstance(subject.name, str):
            raise RuleInputError(f"{path}.name", "Tên môn học phải là chuỗi ký tự.")
        if subject.code in seen:
            raise RuleInputError(f"{path}.code", f"Mã môn học {subject.code!r} bị lặp lại.")
        seen.add(subject.code)
    for name in ("conduct_hk1", "conduct_hk2"):
        if not isinstance(getattr(inp, name), Level):
            raise RuleInputError(name, "Kết quả rèn luyện phải là một mức T, K, Đ hoặc CĐ.")
    if inp.conduct_after_summer is not None and not isinstance(inp.conduct_after_summer, Level):
        raise RuleInputError(
            "conduct_after_summer", "Kết quả rèn luyện sau hè phải là một mức T, K, Đ hoặc CĐ."
        )
    absent = inp.sessions_absent
    if isinstance(absent, bool) or not isinstance(absent, int) or absent < 0:
        raise RuleInputError("sessions_absent", "Số buổi nghỉ học phải là số nguyên không âm.")


def check_subject(subject: SubjectInput, path: str) -> None:
    """Check one subject completely: kind, lessons, both semesters, re-assessment value."""
    lessons = subject.lessons_per_year
    if subject.kind == "score":
        if isinstance(lessons, bool) or not isinstance(lessons, int) or lessons < 1:
            raise RuleInputError(
                f"{path}.lessons_per_year",
                "Môn đánh giá bằng điểm số cần số tiết/năm học là số nguyên dương.",
            )
        for term in ("hk1", "hk2"):
            sem = getattr(subject, term)
            if not isinstance(sem, ScoredSemester):
                raise RuleInputError(
                    f"{path}.{term}", "Môn đánh giá bằng điểm số cần điểm số (ScoredSemester)."
                )
            check_scored_semester(sem, lessons, f"{path}.{term}")
        if subject.reassessment is not None:
            check_score(subject.reassessment, f"{path}.reassessment", what="Điểm kiểm tra lại")
    elif subject.kind == "comment":
        if isinstance(lessons, bool) or not isinstance(lessons, int) or lessons < 0:
            raise RuleInputError(f"{path}.lessons_per_year", "Số tiết/năm học phải là số nguyên không âm.")
        for term in ("hk1", "hk2"):
            sem = getattr(subject, term)
            if not isinstance(sem, CommentSemester):
                raise RuleInputError(
                    f"{path}.{term}", "Môn đánh giá bằng nhận xét cần kết quả Đạt/Chưa đạt (CommentSemester)."
                )
            check_comment_semester(sem, lessons, f"{path}.{term}")
        if subject.reassessment is not None and not isinstance(subject.reassessment, bool):
            raise RuleInputError(
                f"{path}.reassessment",
                "Kết quả kiểm tra lại của môn đánh giá bằng nhận xét phải là Đ hoặc CĐ.",
            )
    else:
        raise RuleInputError(
            f"{path}.kind", f"Loại môn không hợp lệ: {subject.kind!r}. Chỉ nhận score hoặc comment."
        )


def check_scored_semester(sem: ScoredSemester, lessons_per_year: int, path: str) -> tuple[Decimal, Decimal]:
    """Validate a scored semester and return its (gk, ck) as Decimals (never None)."""
    if not isinstance(sem.tx, tuple):
        raise RuleInputError(f"{path}.tx", "Điểm đánh giá thường xuyên phải là một dãy điểm.")
    for j, score in enumerate(sem.tx):
        check_score(score, f"{path}.tx[{j}]", what="Điểm đánh giá thường xuyên")
    required = _required_tx(lessons_per_year, path)
    if len(sem.tx) < required:
        raise RuleInputError(
            f"{path}.tx",
            f"Cần ít nhất {required} điểm đánh giá thường xuyên mỗi học kì cho môn "
            f"{lessons_per_year} tiết/năm học, mới có {len(sem.tx)}.",
        )
    if sem.gk is None:
        raise RuleInputError(
            f"{path}.gk", "Thiếu điểm đánh giá giữa kì (bài không làm và không kiểm tra bù thì nhập 0)."
        )
    if sem.ck is None:
        raise RuleInputError(
            f"{path}.ck", "Thiếu điểm đánh giá cuối kì (bài không làm và không kiểm tra bù thì nhập 0)."
        )
    gk = check_score(sem.gk, f"{path}.gk", what="Điểm giữa kì")
    ck = check_score(sem.ck, f"{path}.ck", what="Điểm cuối kì")
    return gk, ck


def check_comment_semester(sem: CommentSemester, lessons_per_year: int, path: str) -> None:
    """Validate a comment-only semester: enough ĐĐGtx, mid-term and end-of-term present."""
    if not isinstance(sem.tx, tuple):
        raise RuleInputError(f"{path}.tx", "Kết quả đánh giá thường xuyên phải là một dãy Đạt/Chưa đạt.")
    for j, check in enumerate(sem.tx):
        if not isinstance(check, bool):
            raise RuleInputError(f"{path}.tx[{j}]", "Kết quả đánh giá thường xuyên phải là Đ hoặc CĐ.")
    required = _required_tx(lessons_per_year, path)
    if len(sem.tx) < required:
        raise RuleInputError(
            f"{path}.tx",
            f"Cần ít nhất {required} lần đánh giá thường xuyên mỗi học kì, mới có {len(sem.tx)}.",
        )
    for name, value, what in (("gk", sem.gk, "giữa kì"), ("ck", sem.ck, "cuối kì")):
        if value is None:
            raise RuleInputError(f"{path}.{name}", f"Thiếu kết quả đánh giá {what}.")
        if not isinstance(value, bool):
            raise RuleInputError(f"{path}.{name}", f"Kết quả đánh giá {what} phải là Đ hoặc CĐ.")


def check_average(value: object, field: str) -> Decimal:
    """An average: an exact number (Decimal or int, never float) from 0 to 10."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise RuleInputError(field, "Điểm trung bình phải là số Decimal từ 0 đến 10 (không dùng float).")
    average = Decimal(value)
    if not average.is_finite() or average < MIN_SCORE or average > MAX_SCORE:
        raise RuleInputError(field, "Điểm trung bình phải nằm trong thang điểm 0–10.")
    return average


def _required_tx(lessons_per_year: int, path: str) -> int:
    try:
        return required_tx_count(lessons_per_year)
    except RuleInputError as error:
        # Re-raise with the subject's path; the generic one names only the parameter.
        subject = path.rsplit(".", 1)[0] + "." if "." in path else ""
        raise RuleInputError(f"{subject}lessons_per_year", error.message) from None
