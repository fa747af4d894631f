"""Year evaluation of primary students (Thông tư 27/2020/TT-BGDĐT).

Pure functions over frozen dataclasses. The overall result's thresholds are marked
"(verify thresholds)" in docs/domain.md §4.3: they are implemented as documented there
and kept configurable through ``Tt27Settings``. Article numbers of Thông tư 27/2020 are
given as best known and flagged "(verify)" where the domain notes do not state them:
  Điều 7  — periodic tests: integer scores 0–10, no decimals;
  Điều 9  — overall result of the year (HTXS / HTT / HT / CHT) (verify);
  Điều 11 — completion of the grade / of primary school (verify);
  Điều 15 — the "Học sinh Xuất sắc" award (verify).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from app.rules.errors import RuleInputError
from app.rules.levels import normalize_code
from app.rules.wording import join_and, nfc

__all__ = [
    "ALL_COMPETENCIES",
    "DEFAULT_TT27_SETTINGS",
    "GENERAL_COMPETENCIES",
    "QUALITIES",
    "SPECIFIC_COMPETENCIES",
    "PrimaryOutcome",
    "PrimaryResult",
    "PrimarySubject",
    "PrimaryYearInput",
    "RatingLevel",
    "SubjectLevel",
    "Tt27Settings",
    "evaluate_primary_year",
]

SubjectLevel = Literal["T", "H", "C"]
"""Subjects and educational activities: Hoàn thành tốt / Hoàn thành / Chưa hoàn thành."""
RatingLevel = Literal["T", "Đ", "C"]
"""Qualities and competencies: Tốt / Đạt / Cần cố gắng."""
PrimaryOutcome = Literal["HTXS", "HTT", "HT", "CHT"]

QUALITIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "yeu_nuoc": "Yêu nước",
        "nhan_ai": "Nhân ái",
        "cham_chi": "Chăm chỉ",
        "trung_thuc": "Trung thực",
        "trach_nhiem": "Trách nhiệm",
    }
)
GENERAL_COMPETENCIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "tu_chu_tu_hoc": "Tự chủ và tự học",
        "giao_tiep_hop_tac": "Giao tiếp và hợp tác",
        "gq_van_de_sang_tao": "Giải quyết vấn đề và sáng tạo",
    }
)
SPECIFIC_COMPETENCIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "ngon_ngu": "Ngôn ngữ",
        "tinh_toan": "Tính toán",
        "khoa_hoc": "Khoa học",
        "cong_nghe": "Công nghệ",
        "tin_hoc": "Tin học",
        "tham_mi": "Thẩm mĩ",
        "the_chat": "Thể chất",
    }
)
ALL_COMPETENCIES: Final[Mapping[str, str]] = MappingProxyType(
    {**GENERAL_COMPETENCIES, **SPECIFIC_COMPETENCIES}
)

TT27 = "Thông tư 27/2020"
# Code → typed code: a dict lookup both validates a string and narrows it to the Literal.
_SUBJECT_LEVELS: Final[Mapping[str, SubjectLevel]] = {"T": "T", "H": "H", "C": "C"}
_RATING_LEVELS: Final[Mapping[str, RatingLevel]] = {"T": "T", "Đ": "Đ", "C": "C"}
_OUTCOME_LABEL: Final[Mapping[PrimaryOutcome, str]] = {
    "HTXS": "Hoàn thành xuất sắc",
    "HTT": "Hoàn thành tốt",
    "HT": "Hoàn thành",
    "CHT": "Chưa hoàn thành",
}
LAST_GRADE: Final = 5


@dataclass(frozen=True, slots=True)
class Tt27Settings:
    """Lowest end-of-year test score for each overall result.

    (verify) — implemented as documented in domain.md §4.3, Thông tư 27/2020 Điều 9:
    Hoàn thành xuất sắc needs every test ≥ 9, Hoàn thành tốt ≥ 7, Hoàn thành ≥ 5.
    """

    excellent_min_test: int = 9
    good_min_test: int = 7
    pass_min_test: int = 5


DEFAULT_TT27_SETTINGS: Final = Tt27Settings()


@dataclass(frozen=True, slots=True)
class PrimarySubject:
    """A subject or educational activity with its year level and end-of-year test score.

    ``test_score`` is None for subjects without a periodic test (which subjects have
    one depends on the grade, so it is not checked here).
    """

    code: str
    name: str
    level: SubjectLevel
    test_score: int | None = None


@dataclass(frozen=True, slots=True)
class PrimaryYearInput:
    """A primary student's year: grade 1–5, subjects, and the 5 qualities / 10 competencies.

    ``qualities`` and ``competencies`` map a code (or the Vietnamese name) to T/Đ/C;
    every quality of QUALITIES and every competency of ALL_COMPETENCIES is required.
    """

    grade: int
    subjects: tuple[PrimarySubject, ...]
    qualities: Mapping[str, RatingLevel]
    competencies: Mapping[str, RatingLevel]


@dataclass(frozen=True, slots=True)
class PrimaryResult:
    result: PrimaryOutcome
    completed: bool
    completion_text: str
    title: Literal["xuat_sac"] | None
    explanations: tuple[str, ...]


def evaluate_primary_year(
    inp: PrimaryYearInput, *, settings: Tt27Settings = DEFAULT_TT27_SETTINGS
) -> PrimaryResult:
    """Overall result, completion and award of a primary student's year (Thông tư 27/2020).

    (verify thresholds) — as documented in domain.md §4.3:
    HTXS = every subject T, every quality and competency T, every test ≥ 9;
    HTT  = the same with every test ≥ 7;
    HT   = every subject at least H, every quality and competency at least Đ, tests ≥ 5;
    CHT  = otherwise. A student completes the grade (grade 5: primary school) at HT or above.
    The "Học sinh Xuất sắc" award goes to HTXS students.
    """
    grade, subjects, qualities, competencies = _check(inp)
    ratings = [(QUALITIES[code], "phẩm chất", level) for code, level in qualities.items()]
    ratings += [(ALL_COMPETENCIES[code], "năng lực", level) for code, level in competencies.items()]
    tests = [(s.name or s.code, s.test_score) for s in subjects if s.test_score is not None]

    result: PrimaryOutcome = "CHT"
    candidates: tuple[PrimaryOutcome, ...] = ("HTXS", "HTT", "HT")
    for outcome in candidates:
        if not _shortfalls(outcome, subjects, ratings, tests, settings):
            result = outcome
            break
    completed = result != "CHT"
    if not completed:
        completion_text = "Chưa hoàn thành chương trình lớp học"
    elif grade == LAST_GRADE:
        completion_text = "Hoàn thành chương trình tiểu học"
    else:
        completion_text = "Hoàn thành chương trình lớp học"
    title: Literal["xuat_sac"] | None = "xuat_sac" if result == "HTXS" else None

    explanations = (
        _explain_result(result, subjects, ratings, tests, settings),
        _explain_completion(completed, completion_text),
        _explain_title(title, result),
    )
    return PrimaryResult(
        result=result,
        completed=completed,
        completion_text=completion_text,
        title=title,
        explanations=explanations,
    )


# ------------------------------------------------------------------------ internals

_Rating = tuple[str, str, str]
"""(Vietnamese name, "phẩm chất" or "năng lực", level T/Đ/C)."""


def _shortfalls(
    outcome: PrimaryOutcome,
    subjects: Sequence[PrimarySubject],
    ratings: Sequence[_Rating],
    tests: Sequence[tuple[str, int]],
    settings: Tt27Settings,
) -> list[str]:
    """Every criterion of ``outcome`` (HTXS, HTT or HT) the student misses, in Vietnamese."""
    reasons: list[str] = []
    if outcome == "HT":
        failed = [s.name or s.code for s in subjects if s.level == "C"]
        if failed:
            reasons.append(f"môn {join_and(failed)} Chưa hoàn thành")
        weak = [f"{kind} {name}" for name, kind, level in ratings if level == "C"]
        if weak:
            reasons.append(f"{join_and(weak)} ở mức Cần cố gắng")
        minimum = settings.pass_min_test
    else:
        below = [s.name or s.code for s in subjects if s.level != "T"]
        if below:
            reasons.append(f"môn {join_and(below)} chưa Hoàn thành tốt")
        not_good = [f"{kind} {name}" for name, kind, level in ratings if level != "T"]
        if not_good:
            reasons.append(f"{join_and(not_good)} chưa đạt mức Tốt")
        minimum = settings.excellent_min_test if outcome == "HTXS" else settings.good_min_test
    low = [(name, score) for name, score in tests if score < minimum]
    if low:
        listed = "; ".join(f"{name} {score}" for name, score in low)
        reasons.append(f"có bài kiểm tra định kì cuối năm dưới {minimum} điểm ({listed})")
    return reasons


def _explain_result(
    result: PrimaryOutcome,
    subjects: Sequence[PrimarySubject],
    ratings: Sequence[_Rating],
    tests: Sequence[tuple[str, int]],
    settings: Tt27Settings,
) -> str:
    head = f"Kết quả giáo dục cả năm: {_OUTCOME_LABEL[result]} ({TT27}, Điều 9; ngưỡng điểm cần kiểm chứng)"
    scores = "; ".join(f"{name} {score}" for name, score in tests)
    tested = f" ({scores})" if scores else ""
    if result == "CHT":
        return f"{head} vì {join_and(_shortfalls('HT', subjects, ratings, tests, settings))}."
    if result == "HT":
        basis = (
            "mọi môn học và hoạt động giáo dục từ Hoàn thành trở lên, mọi phẩm chất và năng lực từ Đạt "
            f"trở lên, mọi bài kiểm tra định kì cuối năm từ {settings.pass_min_test} điểm trở lên{tested}"
        )
        higher: PrimaryOutcome = "HTT"
    else:
        minimum = settings.excellent_min_test if result == "HTXS" else settings.good_min_test
        basis = (
            "mọi môn học và hoạt động giáo dục Hoàn thành tốt, mọi phẩm chất và năng lực Tốt, "
            f"mọi bài kiểm tra định kì cuối năm từ {minimum} điểm trở lên{tested}"
        )
        higher = "HTXS"
    text = f"{head}: {basis}"
    if result != "HTXS":
        why = join_and(_shortfalls(higher, subjects, ratings, tests, settings))
        text += f". Chưa đạt mức {_OUTCOME_LABEL[higher]} vì {why}"
    return text + "."


def _explain_completion(completed: bool, completion_text: str) -> str:
    if completed:
        return (
            f"{completion_text} ({TT27}, Điều 11 — cần kiểm chứng) vì kết quả giáo dục cả năm "
            "từ mức Hoàn thành trở lên."
        )
    return f"{completion_text} ({TT27}, Điều 11 — cần kiểm chứng) vì kết quả giáo dục cả năm Chưa hoàn thành."


def _explain_title(title: Literal["xuat_sac"] | None, result: PrimaryOutcome) -> str:
    if title == "xuat_sac":
        return (
            f"Được khen thưởng danh hiệu Học sinh Xuất sắc ({TT27}, Điều 15 — cần kiểm chứng) vì "
            "kết quả giáo dục cả năm Hoàn thành xuất sắc."
        )
    return (
        f"Không đạt danh hiệu Học sinh Xuất sắc ({TT27}, Điều 15 — cần kiểm chứng) vì kết quả giáo dục "
        f"cả năm là {_OUTCOME_LABEL[result]} (cần Hoàn thành xuất sắc)."
    )


# ----------------------------------------------------------------------- validation


def _check(
    inp: PrimaryYearInput,
) -> tuple[int, tuple[PrimarySubject, ...], dict[str, RatingLevel], dict[str, RatingLevel]]:
    if not isinstance(inp, PrimaryYearInput):
        raise RuleInputError("$", "Dữ liệu đánh giá phải là một PrimaryYearInput.")
    grade = inp.grade
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= LAST_GRADE:
        raise RuleInputError("grade", f"Khối lớp tiểu học phải là số nguyên từ 1 đến 5, nhận được {grade!r}.")
    if not isinstance(inp.subjects, tuple) or not inp.subjects:
        raise RuleInputError("subjects", "Cần ít nhất một môn học (tuple các PrimarySubject).")
    subjects: list[PrimarySubject] = []
    seen: set[str] = set()
    for i, subject in enumerate(inp.subjects):
        path = f"subjects[{i}]"
        if not isinstance(subject, PrimarySubject):
            raise RuleInputError(path, "Mỗi môn học phải là một PrimarySubject.")
        if not isinstance(subject.code, str) or not subject.code.strip():
            raise RuleInputError(f"{path}.code", "Thiếu mã môn học.")
        if subject.code in seen:
            raise RuleInputError(f"{path}.code", f"Mã môn học {subject.code!r} bị lặp lại.")
        seen.add(subject.code)
        if not isinstance(subject.name, str):
            raise RuleInputError(f"{path}.name", "Tên môn học phải là chuỗi ký tự.")
        if subject.level is None:
            raise RuleInputError(f"{path}.level", "Chưa có mức đánh giá môn học (T, H hoặc C).")
        level = _SUBJECT_LEVELS.get(normalize_code(subject.level)) if isinstance(subject.level, str) else None
        if level is None:
            raise RuleInputError(
                f"{path}.level",
                f"Mức đánh giá môn học không hợp lệ: {subject.level!r}. "
                "Chỉ nhận T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành).",
            )
        _check_test_score(subject.test_score, f"{path}.test_score")
        subjects.append(
            PrimarySubject(
                code=subject.code, name=nfc(subject.name), level=level, test_score=subject.test_score
            )
        )
    qualities = _check_ratings(inp.qualities, QUALITIES, "qualities", "phẩm chất")
    competencies = _check_ratings(inp.competencies, ALL_COMPETENCIES, "competencies", "năng lực")
    return grade, tuple(subjects), qualities, competencies


def _check_test_score(score: object, field: str) -> None:
    """Periodic test scores are integers 0–10, no decimals (Thông tư 27/2020 Điều 7)."""
    if score is None:
        return
    if isinstance(score, bool) or not isinstance(score, int):
        raise RuleInputError(
            field,
            f"Điểm kiểm tra định kì ở tiểu học phải là số nguyên từ 0 đến 10 "
            f"(không cho điểm thập phân), nhận được {score!r}.",
        )
    if not 0 <= score <= 10:
        raise RuleInputError(field, f"Điểm kiểm tra định kì {score} nằm ngoài thang điểm 0–10.")


def _lookup_key(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def _check_ratings(
    ratings: object, catalogue: Mapping[str, str], field: str, what: str
) -> dict[str, RatingLevel]:
    """Map every catalogue code to its T/Đ/C level; accepts codes or Vietnamese names as keys."""
    if not isinstance(ratings, Mapping):
        raise RuleInputError(field, f"Đánh giá {what} phải là một bảng tên → mức (T, Đ hoặc C).")
    by_name = {_lookup_key(code): code for code in catalogue} | {
        _lookup_key(name): code for code, name in catalogue.items()
    }
    found: dict[str, RatingLevel] = {}
    for key, value in ratings.items():
        code = by_name.get(_lookup_key(key)) if isinstance(key, str) else None
        if code is None:
            known = ", ".join(catalogue)
            raise RuleInputError(f"{field}.{key}", f"Không có {what} {key!r}. Các mã hợp lệ: {known}.")
        if code in found:
            raise RuleInputError(
                f"{field}.{key}", f"{what.capitalize()} {catalogue[code]} được đánh giá hai lần."
            )
        level = _RATING_LEVELS.get(normalize_code(value)) if isinstance(value, str) else None
        if level is None:
            raise RuleInputError(
                f"{field}.{key}",
                f"Mức đánh giá {what} không hợp lệ: {value!r}. "
                "Chỉ nhận T (Tốt), Đ (Đạt) hoặc C (Cần cố gắng).",
            )
        found[code] = level
    for code, name in catalogue.items():
        if code not in found:
            raise RuleInputError(f"{field}.{code}", f"Thiếu đánh giá {what} {name}.")
    # Catalogue order, so explanations list qualities the way the record book does.
    return {code: found[code] for code in catalogue}
