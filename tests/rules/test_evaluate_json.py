"""The JSON contract of ``python -m app evaluate`` (app.rules.evaluate_json)."""

from __future__ import annotations

import copy
import json
import math
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.errors import RuleInputError
from app.rules.evaluate_json import evaluate_json
from app.rules.tt27 import ALL_COMPETENCIES, QUALITIES


def scored(
    code: str, name: str, hk1: tuple[list[Any], Any, Any], hk2: tuple[list[Any], Any, Any], lessons: int = 105
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "kind": "score",
        "lessons_per_year": lessons,
        "hk1": {"tx": hk1[0], "gk": hk1[1], "ck": hk1[2]},
        "hk2": {"tx": hk2[0], "gk": hk2[1], "ck": hk2[2]},
        "reassessment": None,
    }


def comment(code: str, name: str, hk2_ck: str = "Đ") -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "kind": "comment",
        "hk1": {"tx": ["Đ", "Đ"], "gk": "Đ", "ck": "Đ"},
        "hk2": {"tx": ["Đ", "CĐ"], "gk": "Đ", "ck": hk2_ck},
        "reassessment": None,
    }


def secondary() -> dict[str, Any]:
    """A grade-7 student: Toán's HKI is exactly 6.45 (→ 6.5) to exercise exact rounding."""
    return {
        "level": "thcs",
        "subjects": [
            scored("toan", "Toán", ([6.5, 6, 4.4, 4.7, 8.6], 4.1, 8.7), ([9, 9, 9, 9], 9.5, 9.5), 140),
            scored("van", "Ngữ văn", ([8, 8, 8, 8], 8, 8), ([8, 8, 8, 8], 8.5, 9), 140),
            scored("anh", "Tiếng Anh", ([9, 9, 9, 9], 9, 9), ([9, 10, 9, 9], 9, 9.5)),
            scored("lsdl", "Lịch sử và Địa lí", ([7, 8, 9, 9], 9, 9), ([9, 9, 9, 9], 9, 9)),
            scored("khtn", "Khoa học tự nhiên", ([7, 8, 8, 8], 8, 8), ([8, 8, 8, 9], 8, 8.5), 140),
            scored("cn", "Công nghệ", ([7, 8], 8, 8.5), ([8, 8], 8, 8), 35),
            scored("th", "Tin học", ([9, 9], 9, 9), ([9, 9], 9.5, 9), 35),
            scored("gdcd", "Giáo dục công dân", ([8, 8], 8, 8), ([8, 8], 8, 8), 35),
            comment("gdtc", "Giáo dục thể chất"),
            comment("nt", "Nghệ thuật"),
            comment("hdtn", "Hoạt động trải nghiệm, hướng nghiệp"),
            comment("gddp", "Nội dung giáo dục của địa phương"),
        ],
        "conduct": {"hk1": "K", "hk2": "T", "after_summer": None},
        "sessions_absent": 4,
    }


def primary() -> dict[str, Any]:
    return {
        "level": "tieuhoc",
        "grade": 5,
        "subjects": [
            {"code": "tv", "name": "Tiếng Việt", "level": "T", "test_score": 10},
            {"code": "toan", "name": "Toán", "level": "T", "test_score": 9},
            {"code": "khoa_hoc", "name": "Khoa học", "level": "T", "test_score": 9},
            {"code": "dao_duc", "name": "Đạo đức", "level": "T"},
        ],
        "qualities": dict.fromkeys(QUALITIES, "T"),
        "competencies": dict.fromkeys(ALL_COMPETENCIES, "T"),
    }


# -------------------------------------------------------------------- valid input


def test_secondary_example_field_by_field() -> None:
    out = evaluate_json(secondary())
    assert set(out) == {
        "level",
        "subjects",
        "learning",
        "conduct",
        "sessions_absent",
        "promotion",
        "title",
        "explanations",
    }
    assert out["level"] == "thcs"
    years = {s["code"]: (s["hk1"], s["hk2"], s["year"]) for s in out["subjects"]}
    assert years == {
        "toan": (6.5, 9.3, 8.4),  # 64.5 / 10 = 6.45 → 6.5; 83.5 / 9 = 9.28; 25.1 / 3 = 8.37
        "van": (8.0, 8.4, 8.3),  # 72 / 9; 76 / 9 = 8.44; 24.8 / 3 = 8.27
        "anh": (9.0, 9.3, 9.2),  # 81 / 9; 83.5 / 9 = 9.28; 27.6 / 3
        "lsdl": (8.7, 9.0, 8.9),  # 78 / 9 = 8.67; 81 / 9; 26.7 / 3
        "khtn": (7.9, 8.3, 8.2),  # 71 / 9 = 7.89; 74.5 / 9 = 8.28; 24.5 / 3 = 8.17
        "cn": (8.1, 8.0, 8.0),  # 56.5 / 7 = 8.07; 56 / 7; 24.1 / 3 = 8.03
        "th": (9.0, 9.1, 9.1),  # 63 / 7; 64 / 7 = 9.14; 27.2 / 3 = 9.07
        "gdcd": (8.0, 8.0, 8.0),
        "gdtc": ("Đ", "Đ", "Đ"),  # HKII: 4 of 5 checks Đạt, end-of-term Đạt
        "nt": ("Đ", "Đ", "Đ"),
        "hdtn": ("Đ", "Đ", "Đ"),
        "gddp": ("Đ", "Đ", "Đ"),
    }
    toan = out["subjects"][0]
    assert (toan["name"], toan["kind"], toan["needs_reassessment"]) == ("Toán", "score", False)
    assert "reassessment" not in toan and "year_final" not in toan
    # HKI is Tốt only because Toán's 6.45 rounds half up to 6.5 (a float pipeline gives 6.4).
    assert out["learning"] == {"hk1": "T", "hk2": "T", "year": "T"}
    assert out["conduct"] == {"hk1": "K", "hk2": "T", "year": "T"}
    assert out["sessions_absent"] == 4
    assert out["promotion"] == "len_lop"
    assert out["title"] == "gioi"
    assert out["explanations"][-1].endswith(
        "Chưa đạt danh hiệu Học sinh Xuất sắc vì chỉ có 2 môn có ĐTBmcn ≥ 9,0 (cần ít nhất 6): "
        "Tiếng Anh 9,2; Tin học 9,1."
    )
    assert len(out["explanations"]) == 6
    # Plain JSON: numbers serialise with their one decimal (7.0, not 7).
    text = json.dumps(out, ensure_ascii=False)
    assert '"year": 8.0' in text and '"hk1": 6.5' in text
    for value in (v for s in out["subjects"] for v in (s["hk1"], s["hk2"], s["year"])):
        assert isinstance(value, (float, str))


def test_secondary_with_reassessment_and_summer_values() -> None:
    payload = secondary()
    weak = scored("cn", "Công nghệ", ([3, 3], 3, 3), ([3, 4], 3, 3.5), 35)  # 3.0, 3.4 → 3.3
    payload["subjects"][5] = weak
    payload["subjects"][9]["hk2"]["ck"] = "CĐ"
    out = evaluate_json(payload)
    assert out["learning"]["year"] == "CĐ"
    assert out["promotion"] == "kiem_tra_lai"
    assert [s["code"] for s in out["subjects"] if s["needs_reassessment"]] == ["cn", "nt"]

    weak["reassessment"] = 5.0
    payload["subjects"][9]["reassessment"] = "Đ"
    out = evaluate_json(payload)
    assert out["promotion"] == "len_lop"
    cn = out["subjects"][5]
    assert (cn["hk1"], cn["hk2"], cn["year"], cn["reassessment"], cn["year_final"]) == (
        3.0,
        3.4,
        3.3,
        5.0,
        5.0,
    )
    assert (out["subjects"][9]["reassessment"], out["subjects"][9]["year_final"]) == ("Đ", "Đ")
    assert out["learning"]["year"] == "CĐ"
    assert out["learning"]["year_after_reassessment"] == "K"

    summer = secondary()
    summer["conduct"] = {"hk1": "T", "hk2": "CĐ"}
    assert evaluate_json(summer)["promotion"] == "ren_luyen_he"
    summer["conduct"]["after_summer"] = "Đ"
    out = evaluate_json(summer)
    assert out["promotion"] == "len_lop"
    assert out["conduct"] == {"hk1": "T", "hk2": "CĐ", "year": "CĐ", "after_summer": "Đ"}


def test_nfd_text_and_look_alike_letters_are_tolerated() -> None:
    payload = secondary()
    payload["subjects"][0]["name"] = unicodedata.normalize("NFD", "Toán")
    payload["subjects"][8]["hk1"]["gk"] = "\u00d0"  # Icelandic eth for Đ
    payload["level"] = " thcs"
    out = evaluate_json(payload)
    assert out["subjects"][0]["name"] == "Toán"
    assert unicodedata.is_normalized("NFC", out["subjects"][0]["name"])
    assert out["subjects"][8]["hk1"] == "Đ"

    child = primary()
    child["qualities"] = {unicodedata.normalize("NFD", QUALITIES[c]): "T" for c in QUALITIES}
    assert evaluate_json(child)["result"] == "HTXS"


def test_decimal_numbers_are_accepted() -> None:
    payload = json.loads(json.dumps(secondary()), parse_float=Decimal)
    assert evaluate_json(payload)["subjects"][0]["hk1"] == 6.5


def test_primary_example_field_by_field() -> None:
    out = evaluate_json(primary())
    assert out == {
        "level": "tieuhoc",
        "grade": 5,
        "result": "HTXS",
        "completed": True,
        "completion_text": "Hoàn thành chương trình tiểu học",
        "title": "xuat_sac",
        "explanations": out["explanations"],
    }
    assert len(out["explanations"]) == 3
    assert "Tiếng Việt 10; Toán 9; Khoa học 9" in out["explanations"][0]

    weaker = primary()
    weaker["grade"] = 3
    weaker["subjects"][1]["test_score"] = 6
    weaker["competencies"]["tin_hoc"] = "Đ"
    out = evaluate_json(weaker)
    assert (out["result"], out["completed"], out["title"]) == ("HT", True, None)
    assert out["completion_text"] == "Hoàn thành chương trình lớp học"


# ---------------------------------------------------------------------- bad input

Mutation = Callable[[dict[str, Any]], Any]


def put(path: list[Any], value: Any) -> Mutation:
    def mutate(payload: dict[str, Any]) -> None:
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def drop(path: list[Any]) -> Mutation:
    def mutate(payload: dict[str, Any]) -> None:
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


SECONDARY_ERRORS = [
    pytest.param(put(["subjects", 0, "hk1", "ck"], 10.5), "subjects[0].hk1.ck", "0–10", id="score-10.5"),
    pytest.param(
        put(["subjects", 0, "hk1", "ck"], 7.25), "subjects[0].hk1.ck", "một chữ số", id="two-decimals"
    ),
    pytest.param(put(["subjects", 0, "hk1", "ck"], -1), "subjects[0].hk1.ck", "0–10", id="negative"),
    pytest.param(put(["subjects", 0, "hk1", "ck"], math.nan), "subjects[0].hk1.ck", "hữu hạn", id="nan"),
    pytest.param(put(["subjects", 0, "hk2", "gk"], math.inf), "subjects[0].hk2.gk", "hữu hạn", id="infinity"),
    pytest.param(
        put(["subjects", 0, "hk1", "tx", 1], "8"), "subjects[0].hk1.tx[1]", "chuỗi", id="string-score"
    ),
    pytest.param(
        put(["subjects", 0, "hk1", "gk"], True), "subjects[0].hk1.gk", "đúng/sai", id="boolean-score"
    ),
    pytest.param(drop(["subjects", 1, "hk2", "ck"]), "subjects[1].hk2.ck", "cuối kì", id="missing-ck"),
    pytest.param(put(["subjects", 1, "hk2", "ck"], None), "subjects[1].hk2.ck", "cuối kì", id="null-ck"),
    pytest.param(drop(["subjects", 1, "hk1", "gk"]), "subjects[1].hk1.gk", "giữa kì", id="missing-gk"),
    pytest.param(put(["subjects", 5, "hk1", "tx"], [8]), "subjects[5].hk1.tx", "ít nhất 2", id="too-few-tx"),
    pytest.param(drop(["subjects", 1, "hk1", "tx"]), "subjects[1].hk1.tx", "tx", id="missing-tx"),
    pytest.param(put(["subjects", 1, "hk1", "tx"], 8), "subjects[1].hk1.tx", "mảng", id="tx-not-array"),
    pytest.param(put(["conduct", "hk1"], "X"), "conduct.hk1", "T (Tốt)", id="unknown-conduct-level"),
    pytest.param(put(["conduct", "after_summer"], "Giỏi"), "conduct.after_summer", "T (Tốt)", id="bad-after"),
    pytest.param(drop(["conduct"]), "conduct", "conduct", id="missing-conduct"),
    pytest.param(put(["conduct"], ["T", "T"]), "conduct", "đối tượng", id="conduct-not-object"),
    pytest.param(put(["subjects", 8, "hk1", "tx", 0], "X"), "subjects[8].hk1.tx[0]", "CĐ", id="bad-comment"),
    pytest.param(put(["subjects", 8, "hk1", "ck"], True), "subjects[8].hk1.ck", "CĐ", id="boolean-comment"),
    pytest.param(put(["subjects", 8, "reassessment"], 5), "subjects[8].reassessment", "CĐ", id="bad-re"),
    pytest.param(put(["subjects", 0, "reassessment"], "Đ"), "subjects[0].reassessment", "chuỗi", id="re-str"),
    pytest.param(put(["subjects", 0, "kind"], "diem"), "subjects[0].kind", "score", id="unknown-kind"),
    pytest.param(
        drop(["subjects", 0, "lessons_per_year"]), "subjects[0].lessons_per_year", "tiết", id="no-lessons"
    ),
    pytest.param(
        put(["subjects", 0, "lessons_per_year"], 35.5),
        "subjects[0].lessons_per_year",
        "nguyên",
        id="float-lessons",
    ),
    pytest.param(put(["subjects", 0, "code"], ""), "subjects[0].code", "không rỗng", id="empty-code"),
    pytest.param(put(["subjects", 1, "code"], "toan"), "subjects[1].code", "lặp lại", id="duplicate-code"),
    pytest.param(
        put(["subjects", 0, "reassesment"], 6),
        "subjects[0].reassesment",
        "không được hỗ trợ",
        id="misspelt-key",
    ),
    pytest.param(put(["subjects"], {}), "subjects", "mảng", id="subjects-not-array"),
    pytest.param(put(["subjects"], []), "subjects", "ít nhất một môn", id="no-subjects"),
    pytest.param(put(["subjects", 2], "anh"), "subjects[2]", "đối tượng", id="subject-not-object"),
    pytest.param(put(["sessions_absent"], True), "sessions_absent", "nguyên", id="boolean-absent"),
    pytest.param(put(["sessions_absent"], "3"), "sessions_absent", "nguyên", id="string-absent"),
    pytest.param(put(["sessions_absent"], -2), "sessions_absent", "nguyên", id="negative-absent"),
    pytest.param(drop(["sessions_absent"]), "sessions_absent", "sessions_absent", id="missing-absent"),
    pytest.param(put(["level"], "thpt2"), "level", "tieuhoc", id="unknown-school-level"),
    pytest.param(drop(["level"]), "level", "tieuhoc", id="missing-school-level"),
    pytest.param(put(["grade"], 7), "grade", "không được hỗ trợ", id="unknown-top-level-key"),
    # Summer values where the decision does not use them (the student is promoted).
    pytest.param(
        put(["subjects", 0, "reassessment"], 9.5),
        "subjects[0].reassessment",
        "kiểm tra lại",
        id="reassessment-not-needed",
    ),
    pytest.param(
        put(["conduct", "after_summer"], "T"),
        "conduct.after_summer",
        "rèn luyện sau hè",
        id="after-summer-not-needed",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "phrase"), SECONDARY_ERRORS)
def test_secondary_bad_input_names_the_field(mutate: Mutation, field: str, phrase: str) -> None:
    payload = secondary()
    mutate(payload)
    with pytest.raises(RuleInputError) as info:
        evaluate_json(payload)
    assert info.value.field == field
    assert phrase in info.value.message
    assert unicodedata.is_normalized("NFC", info.value.message)


@pytest.mark.parametrize("payload", [None, [], "thcs", 3, 2.5, True, {1: "x"}])
def test_non_object_payload(payload: object) -> None:
    with pytest.raises(RuleInputError) as info:
        evaluate_json(payload)
    assert info.value.field == "$"


PRIMARY_ERRORS = [
    pytest.param(
        put(["subjects", 0, "test_score"], 7.5), "subjects[0].test_score", "số nguyên", id="decimal"
    ),
    pytest.param(put(["subjects", 0, "test_score"], "9"), "subjects[0].test_score", "số nguyên", id="string"),
    pytest.param(put(["subjects", 0, "test_score"], 12), "subjects[0].test_score", "0–10", id="above-10"),
    pytest.param(put(["subjects", 0, "level"], "X"), "subjects[0].level", "Hoàn thành tốt", id="bad-level"),
    pytest.param(put(["subjects", 0, "level"], None), "subjects[0].level", "Chưa có", id="null-level"),
    pytest.param(put(["qualities", "yeu_nuoc"], "K"), "qualities.yeu_nuoc", "Cần cố gắng", id="bad-quality"),
    pytest.param(drop(["qualities", "nhan_ai"]), "qualities.nhan_ai", "Thiếu", id="missing-quality"),
    pytest.param(put(["competencies", "bay_nhay"], "T"), "competencies.bay_nhay", "Không có", id="unknown"),
    pytest.param(put(["competencies"], ["T"]), "competencies", "bảng", id="competencies-not-object"),
    pytest.param(drop(["grade"]), "grade", "grade", id="missing-grade"),
    pytest.param(put(["grade"], "5"), "grade", "1 đến 5", id="string-grade"),
    pytest.param(
        put(["subjects", 1, "points"], 9), "subjects[1].points", "không được hỗ trợ", id="unknown-key"
    ),
]


@pytest.mark.parametrize(("mutate", "field", "phrase"), PRIMARY_ERRORS)
def test_primary_bad_input_names_the_field(mutate: Mutation, field: str, phrase: str) -> None:
    payload = primary()
    mutate(payload)
    with pytest.raises(RuleInputError) as info:
        evaluate_json(payload)
    assert info.value.field == field
    assert phrase in info.value.message


# ---------------------------------------------------------- no other exception

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "T", "K", "Đ", "CĐ", "C", "H", "score", "comment", "thcs", "tieuhoc", "8"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["secondary", "primary"]), st.data(), json_values)
def test_any_damage_gives_a_result_or_a_rule_input_error(kind: str, data: st.DataObject, value: Any) -> None:
    payload = copy.deepcopy(secondary() if kind == "secondary" else primary())
    path = data.draw(st.sampled_from(paths(payload)))
    put(list(path), value)(payload)
    try:
        out = evaluate_json(payload)
    except RuleInputError as error:
        assert error.field and error.message
        return
    json.dumps(out, allow_nan=False)  # whatever comes back is plain JSON
