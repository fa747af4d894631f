"""JSON in, JSON out: the contract behind ``python -m app evaluate``.

``evaluate_json`` takes an already-parsed JSON document (dicts, lists, str, int, float,
bool, None; ``Decimal`` numbers are accepted too, for callers that parse with
``parse_float=Decimal``) and returns plain JSON-serialisable values. Every problem with
the input raises ``RuleInputError`` whose ``field`` is the JSON path of the offending
value (``"subjects[2].hk1.ck"``, ``"$"`` for the document itself); nothing else is
raised for bad input.

Secondary input ("level": "thcs" | "thpt")::

    {"level": "thcs",
     "subjects": [
        {"code": "toan", "name": "Toán", "kind": "score", "lessons_per_year": 140,
         "hk1": {"tx": [8, 9.5, 7, 8], "gk": 8.5, "ck": 9}, "hk2": {...},
         "reassessment": null},
        {"code": "am_nhac", "kind": "comment",
         "hk1": {"tx": ["Đ", "Đ"], "gk": "Đ", "ck": "Đ"}, "hk2": {...},
         "reassessment": null}],
     "conduct": {"hk1": "T", "hk2": "K", "after_summer": null},
     "sessions_absent": 3}

"name" is optional (the code is shown instead), "lessons_per_year" is optional for
comment subjects (2 ĐĐGtx per semester are then required), "reassessment" and
"after_summer" are optional. Unknown keys are refused so a misspelt "reassesment" cannot
be silently ignored.

Secondary output: per subject "code", "name", "kind", "hk1", "hk2", "year" (averages as
numbers with one decimal, comment results "Đ"/"CĐ"), "needs_reassessment", and, when a
re-assessment is given, "reassessment" and "year_final"; "learning" {"hk1", "hk2",
"year"[, "year_after_reassessment"]}; "conduct" {"hk1", "hk2", "year"[, "after_summer"]};
"sessions_absent", "promotion", "title", "explanations".

Primary input ("level": "tieuhoc")::

    {"level": "tieuhoc", "grade": 5,
     "subjects": [{"code": "toan", "name": "Toán", "level": "T", "test_score": 9}, ...],
     "qualities": {"yeu_nuoc": "T", ...}, "competencies": {"tu_chu_tu_hoc": "Đ", ...}}

"grade" is required (grade 5 completes primary school, which changes the wording);
qualities and competencies are keyed by code or Vietnamese name. Primary output:
"level", "grade", "result", "completed", "completion_text", "title", "explanations".
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.rules.errors import RuleInputError
from app.rules.levels import Level, normalize_code
from app.rules.tt22 import (
    CommentSemester,
    ScoredSemester,
    StudentYearInput,
    SubjectInput,
    SubjectValue,
    YearResult,
    evaluate_year,
)
from app.rules.tt27 import PrimaryResult, PrimarySubject, PrimaryYearInput, evaluate_primary_year

__all__ = ["evaluate_json"]

_SECONDARY_KEYS = ({"level", "subjects", "conduct", "sessions_absent"}, set[str]())
_PRIMARY_KEYS = ({"level", "grade", "subjects", "qualities", "competencies"}, set[str]())
_SUBJECT_KEYS = ({"code", "kind", "hk1", "hk2"}, {"name", "lessons_per_year", "reassessment"})
_SEMESTER_KEYS = ({"tx"}, {"gk", "ck"})  # gk/ck missing → the rules report "Thiếu điểm …"
_CONDUCT_KEYS = ({"hk1", "hk2"}, {"after_summer"})
_PRIMARY_SUBJECT_KEYS = ({"code", "level"}, {"name", "test_score"})

_PASS_CODES = {"Đ": True, "CĐ": False}


def evaluate_json(payload: object) -> dict[str, Any]:
    """Evaluate one student's year from a parsed JSON document (see the module docstring)."""
    root = _object(payload, "$")
    level = root.get("level")
    if isinstance(level, str):
        level = unicodedata.normalize("NFC", level).strip()
    if level in ("thcs", "thpt"):
        _keys(root, "$", _SECONDARY_KEYS)
        inp = _secondary_input(root, level)
        try:
            result = evaluate_year(inp)
        except RuleInputError as error:
            raise RuleInputError(_json_path(error.field), error.message) from None
        return _secondary_output(result)
    if level == "tieuhoc":
        _keys(root, "$", _PRIMARY_KEYS)
        grade = root["grade"]
        return _primary_output(evaluate_primary_year(_primary_input(root)), grade)
    raise RuleInputError("level", f"Cấp học không hợp lệ: {level!r}. Chỉ nhận thcs, thpt hoặc tieuhoc.")


# ----------------------------------------------------------------------- secondary


def _secondary_input(root: Mapping[str, object], level: str) -> StudentYearInput:
    raw_subjects = root["subjects"]
    if not isinstance(raw_subjects, list):
        raise RuleInputError("subjects", "Danh sách môn học phải là một mảng JSON.")
    subjects = tuple(_subject(raw, f"subjects[{i}]") for i, raw in enumerate(raw_subjects))
    conduct = _object(root["conduct"], "conduct")
    _keys(conduct, "conduct", _CONDUCT_KEYS)
    after = conduct.get("after_summer")
    return StudentYearInput(
        level="thcs" if level == "thcs" else "thpt",
        subjects=subjects,
        conduct_hk1=Level.parse(conduct["hk1"], "conduct.hk1"),
        conduct_hk2=Level.parse(conduct["hk2"], "conduct.hk2"),
        conduct_after_summer=None if after is None else Level.parse(after, "conduct.after_summer"),
        sessions_absent=_natural(root["sessions_absent"], "sessions_absent", "Số buổi nghỉ học"),
    )


def _subject(raw: object, path: str) -> SubjectInput:
    subject = _object(raw, path)
    _keys(subject, path, _SUBJECT_KEYS)
    code = _text(subject["code"], f"{path}.code", "Mã môn học")
    name = _text(subject.get("name") or code, f"{path}.name", "Tên môn học")  # null or "" → the code
    kind = subject["kind"]
    reassessment = subject.get("reassessment")
    if kind == "score":
        if "lessons_per_year" not in subject:
            raise RuleInputError(f"{path}.lessons_per_year", "Môn đánh giá bằng điểm số cần số tiết/năm học.")
        lessons = _natural(subject["lessons_per_year"], f"{path}.lessons_per_year", "Số tiết/năm học")
        return SubjectInput(
            code=code,
            name=name,
            kind="score",
            lessons_per_year=lessons,
            hk1=_scored_semester(subject["hk1"], f"{path}.hk1"),
            hk2=_scored_semester(subject["hk2"], f"{path}.hk2"),
            reassessment=None if reassessment is None else _score(reassessment, f"{path}.reassessment"),
        )
    if kind == "comment":
        lessons_raw = subject.get("lessons_per_year")
        lessons = (
            0 if lessons_raw is None else _natural(lessons_raw, f"{path}.lessons_per_year", "Số tiết/năm học")
        )
        return SubjectInput(
            code=code,
            name=name,
            kind="comment",
            lessons_per_year=lessons,
            hk1=_comment_semester(subject["hk1"], f"{path}.hk1"),
            hk2=_comment_semester(subject["hk2"], f"{path}.hk2"),
            reassessment=None if reassessment is None else _pass(reassessment, f"{path}.reassessment"),
        )
    raise RuleInputError(f"{path}.kind", f"Loại môn không hợp lệ: {kind!r}. Chỉ nhận score hoặc comment.")


def _scored_semester(raw: object, path: str) -> ScoredSemester:
    semester = _object(raw, path)
    _keys(semester, path, _SEMESTER_KEYS)
    tx = _array(semester["tx"], f"{path}.tx")
    gk, ck = semester.get("gk"), semester.get("ck")
    return ScoredSemester(
        tx=tuple(_score(value, f"{path}.tx[{j}]") for j, value in enumerate(tx)),
        gk=None if gk is None else _score(gk, f"{path}.gk"),
        ck=None if ck is None else _score(ck, f"{path}.ck"),
    )


def _comment_semester(raw: object, path: str) -> CommentSemester:
    semester = _object(raw, path)
    _keys(semester, path, _SEMESTER_KEYS)
    tx = _array(semester["tx"], f"{path}.tx")
    gk, ck = semester.get("gk"), semester.get("ck")
    return CommentSemester(
        tx=tuple(_pass(value, f"{path}.tx[{j}]") for j, value in enumerate(tx)),
        gk=None if gk is None else _pass(gk, f"{path}.gk"),
        ck=None if ck is None else _pass(ck, f"{path}.ck"),
    )


def _secondary_output(result: YearResult) -> dict[str, Any]:
    subjects: list[dict[str, Any]] = []
    for s in result.subjects:
        item: dict[str, Any] = {
            "code": s.code,
            "name": s.name,
            "kind": s.kind,
            "hk1": _json_value(s.hk1),
            "hk2": _json_value(s.hk2),
            "year": _json_value(s.year),
            "needs_reassessment": s.needs_reassessment,
        }
        if s.reassessment is not None:
            item["reassessment"] = _json_value(s.reassessment)
            item["year_final"] = _json_value(s.year_final)
        subjects.append(item)
    learning: dict[str, Any] = {
        "hk1": result.learning_hk1.value,
        "hk2": result.learning_hk2.value,
        "year": result.learning_year.value,
    }
    after_reassessment = result.learning_year_after_reassessment
    if after_reassessment is not None:
        learning["year_after_reassessment"] = after_reassessment.value
    conduct: dict[str, Any] = {
        "hk1": result.conduct_hk1.value,
        "hk2": result.conduct_hk2.value,
        "year": result.conduct_year.value,
    }
    if result.conduct_after_summer is not None:
        conduct["after_summer"] = result.conduct_after_summer.value
    return {
        "level": result.level,
        "subjects": subjects,
        "learning": learning,
        "conduct": conduct,
        "sessions_absent": result.sessions_absent,
        "promotion": result.promotion,
        "title": result.title,
        "explanations": list(result.explanations),
    }


# StudentYearInput names its conduct fields conduct_hk1 …; the JSON nests them under "conduct".
_FIELD_TO_JSON = {
    "conduct_hk1": "conduct.hk1",
    "conduct_hk2": "conduct.hk2",
    "conduct_after_summer": "conduct.after_summer",
}


def _json_path(field: str) -> str:
    """The JSON path of a field named by the rules (subject paths are already the same)."""
    return _FIELD_TO_JSON.get(field, field)


def _json_value(value: SubjectValue) -> float | str:
    if isinstance(value, bool):
        return "Đ" if value else "CĐ"
    # Only at this edge does a rounded one-decimal Decimal become a float: every tenth
    # from 0.0 to 10.0 survives the round trip and prints with its one decimal (7.0).
    return float(value)


# ------------------------------------------------------------------------- primary


def _primary_input(root: Mapping[str, object]) -> PrimaryYearInput:
    raw_subjects = root["subjects"]
    if not isinstance(raw_subjects, list):
        raise RuleInputError("subjects", "Danh sách môn học phải là một mảng JSON.")
    subjects: list[PrimarySubject] = []
    for i, raw in enumerate(raw_subjects):
        path = f"subjects[{i}]"
        subject = _object(raw, path)
        _keys(subject, path, _PRIMARY_SUBJECT_KEYS)
        code = _text(subject["code"], f"{path}.code", "Mã môn học")
        # Level and test score are checked by the rules themselves (same paths).
        subjects.append(
            PrimarySubject(
                code=code,
                name=_text(subject.get("name") or code, f"{path}.name", "Tên môn học"),
                level=subject["level"],  # type: ignore[arg-type]
                test_score=subject.get("test_score"),  # type: ignore[arg-type]
            )
        )
    return PrimaryYearInput(
        grade=root["grade"],  # type: ignore[arg-type]
        subjects=tuple(subjects),
        qualities=root["qualities"],  # type: ignore[arg-type]
        competencies=root["competencies"],  # type: ignore[arg-type]
    )


def _primary_output(result: PrimaryResult, grade: object) -> dict[str, Any]:
    return {
        "level": "tieuhoc",
        "grade": grade,
        "result": result.result,
        "completed": result.completed,
        "completion_text": result.completion_text,
        "title": result.title,
        "explanations": list(result.explanations),
    }


# ------------------------------------------------------------------------- readers


def _object(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise RuleInputError(path, f"Cần một đối tượng JSON, nhận được {_kind(value)}.")
    return value


def _array(value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise RuleInputError(path, f"Cần một mảng JSON, nhận được {_kind(value)}.")
    return value


def _keys(obj: Mapping[str, object], path: str, spec: tuple[set[str], set[str]]) -> None:
    """Require the mandatory keys and refuse unknown ones (a typo must not vanish silently)."""
    required, optional = spec
    prefix = "" if path == "$" else f"{path}."
    for key in sorted(required):
        if key not in obj:
            raise RuleInputError(f"{prefix}{key}", f"Thiếu trường bắt buộc {key!r}.")
    for key in obj:
        if key not in required and key not in optional:
            allowed = ", ".join(sorted(required | optional))
            raise RuleInputError(
                f"{prefix}{key}", f"Trường {key!r} không được hỗ trợ. Các trường hợp lệ: {allowed}."
            )


def _score(value: object, path: str) -> Decimal:
    """A JSON number as an exact Decimal; range and decimals are checked by the rules."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise RuleInputError(path, f"Điểm phải là một số từ 0 đến 10, nhận được {_kind(value)}.")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RuleInputError(path, "Điểm phải là một số hữu hạn từ 0 đến 10.")
        # repr gives the shortest text that parses back to this float: the number as
        # written in the JSON document (6.45 → "6.45"), not its binary approximation.
        return Decimal(repr(value))
    if isinstance(value, Decimal) and not value.is_finite():
        raise RuleInputError(path, "Điểm phải là một số hữu hạn từ 0 đến 10.")
    return Decimal(value)


def _pass(value: object, path: str) -> bool:
    code = _PASS_CODES.get(normalize_code(value)) if isinstance(value, str) else None
    if code is None:
        raise RuleInputError(
            path, f"Kết quả phải là \"Đ\" (Đạt) hoặc \"CĐ\" (Chưa đạt), nhận được {value!r}."
        )
    return code


def _natural(value: object, path: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleInputError(path, f"{what} phải là số nguyên không âm, nhận được {value!r}.")
    return value


def _text(value: object, path: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleInputError(path, f"{what} phải là một chuỗi ký tự không rỗng.")
    return unicodedata.normalize("NFC", value).strip()


def _kind(value: object) -> str:
    """How a JSON value of the wrong type is named in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "giá trị đúng/sai"
    if isinstance(value, str):
        return f"chuỗi {value!r}"
    if isinstance(value, (int, float, Decimal)):
        return f"số {value}"
    if isinstance(value, list):
        return "một mảng"
    if isinstance(value, Mapping):
        return "một đối tượng"
    return type(value).__name__
