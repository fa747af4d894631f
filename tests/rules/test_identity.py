"""Tests for app.rules.identity (domain.md §5, personal identification number)."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.identity import (
    SEX_FEMALE,
    SEX_MALE,
    SEX_UNKNOWN,
    IdCheck,
    IdInfo,
    IdProblem,
    birth_province_name,
    check_national_id,
    decode_national_id,
    mask_national_id,
    normalise_national_id,
)
from app.rules.provinces import BIRTH_REGISTRATION_PROVINCES

# A far-future "today" lets numbers of the 2100s–2300s validate where a test needs them to.
FAR_FUTURE = date(9999, 12, 31)


def make_id(province: str, dob: date, sex: int, tail: str = "004567") -> str:
    """Build a number the way the registry would, for test data."""
    century_index = dob.year // 100 - 19
    digit = 2 * century_index + (1 if sex == SEX_FEMALE else 0)
    return f"{province}{digit}{dob.year % 100:02d}{tail}"


# --------------------------------------------------------------------------- provinces


def test_province_table_has_the_63_codes_as_three_digit_strings() -> None:
    assert len(BIRTH_REGISTRATION_PROVINCES) == 63
    for code, name in BIRTH_REGISTRATION_PROVINCES.items():
        assert len(code) == 3 and code.isascii() and code.isdigit()
        assert name and unicodedata.is_normalized("NFC", name)
    assert BIRTH_REGISTRATION_PROVINCES["001"] == "Hà Nội"
    assert BIRTH_REGISTRATION_PROVINCES["096"] == "Cà Mau"
    assert "Hồ Chí Minh" in BIRTH_REGISTRATION_PROVINCES["079"]


def test_province_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        BIRTH_REGISTRATION_PROVINCES["100"] = "X"  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("001", "Hà Nội"),
        ("1", "Hà Nội"),
        (1, "Hà Nội"),
        (" 048 ", "Đà Nẵng"),
        ("096", "Cà Mau"),
        ("003", None),  # gaps in the numbering are not provinces
        (100, None),
        ("0001", None),
        ("abc", None),
        ("", None),
        (-1, None),
        (True, None),
    ],
)
def test_birth_province_name(code: str | int, expected: str | None) -> None:
    assert birth_province_name(code) == expected


# --------------------------------------------------------------------------- normalising


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("001203004567", "001203004567"),
        ("  001 203 004 567 ", "001203004567"),
        ("001.203.004.567", "001203004567"),
        ("001-203-004-567", "001203004567"),
        ("001\u00a0203\u2013004\u202f567", "001203004567"),  # NBSP, en dash, narrow NBSP
        ("\uff10\uff10\uff11203004567", "001203004567"),  # full-width digits
        ("00120300456A", "00120300456A"),  # kept so the check can point at the letter
        ("0012030045", "0012030045"),  # too short but not restored without the flag
        (None, None),
        ("", None),
        ("   ", None),
        (" - . ", None),
    ],
)
def test_normalise_strings(raw: object, expected: str | None) -> None:
    assert normalise_national_id(raw) == expected


def test_normalise_keeps_leading_zeros_of_strings() -> None:
    value = normalise_national_id("001203004567")
    assert value == "001203004567"
    assert isinstance(value, str)
    info = decode_national_id(value)
    assert info is not None and info.province_code == "001"


@pytest.mark.parametrize(
    "raw",
    [1203004567, 1203004567.0, Decimal("1203004567"), Decimal("1203004567.00"), "1203004567"],
)
def test_excel_number_restoration_on(raw: object) -> None:
    assert normalise_national_id(raw, restore_leading_zeros=True) == "001203004567"


@pytest.mark.parametrize(
    "raw",
    [1203004567, 1203004567.0, Decimal("1203004567"), "1203004567"],
)
def test_excel_number_restoration_off_never_guesses(raw: object) -> None:
    assert normalise_national_id(raw) == "1203004567"
    assert check_national_id("1203004567").codes == ("length",)


def test_restoration_of_eleven_digits() -> None:
    # 079 (TP.HCM) loses one zero.
    assert normalise_national_id(79203004567.0, restore_leading_zeros=True) == "079203004567"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (123456789, "123456789"),  # nine digits: an old CMND number, never padded
        (12345678, "12345678"),
        (1001203004567, "1001203004567"),  # too long stays too long
        (301203004567.0, "301203004567"),  # already 12 digits
        ("12030045AB", "12030045AB"),  # not all digits: nothing to restore
    ],
)
def test_restoration_only_where_zeros_can_have_been_lost(raw: object, expected: str) -> None:
    assert normalise_national_id(raw, restore_leading_zeros=True) == expected


@pytest.mark.parametrize("raw", [1.5, -1203004567, float("nan"), float("inf"), Decimal("1.5")])
def test_normalise_rejects_numbers_that_cannot_be_ids(raw: object) -> None:
    with pytest.raises(ValueError):
        normalise_national_id(raw, restore_leading_zeros=True)


@pytest.mark.parametrize("raw", [True, False, [1, 2], b"001203004567"])
def test_normalise_rejects_other_types(raw: object) -> None:
    with pytest.raises(TypeError):
        normalise_national_id(raw)


def test_normalise_is_idempotent() -> None:
    once = normalise_national_id(" 001.203-004 567 ")
    assert normalise_national_id(once) == once


# --------------------------------------------------------------------------- valid numbers


@pytest.mark.parametrize(
    ("digit", "dob", "sex"),
    [
        (0, date(1985, 3, 2), SEX_MALE),
        (1, date(1999, 12, 31), SEX_FEMALE),
        (2, date(2003, 1, 1), SEX_MALE),
        (3, date(2017, 9, 5), SEX_FEMALE),
        (4, date(2105, 6, 7), SEX_MALE),
        (5, date(2150, 6, 7), SEX_FEMALE),
        (6, date(2201, 6, 7), SEX_MALE),
        (7, date(2299, 6, 7), SEX_FEMALE),
        (8, date(2300, 6, 7), SEX_MALE),
        (9, date(2342, 6, 7), SEX_FEMALE),
    ],
)
def test_valid_number_for_each_century_sex_digit(digit: int, dob: date, sex: int) -> None:
    value = make_id("001", dob, sex)
    assert value[3] == str(digit)
    result = check_national_id(value, dob, sex, today=FAR_FUTURE)
    assert result == IdCheck(ok=True, problems=())
    info = decode_national_id(value)
    assert info == IdInfo(
        province_code="001",
        province_name="Hà Nội",
        century_sex_digit=digit,
        century=dob.year // 100 * 100,
        sex=sex,
        year_two_digits=dob.year % 100,
        birth_year=dob.year,
    )


def test_valid_without_record_data() -> None:
    assert check_national_id("079310004567").ok
    assert check_national_id("079310004567", today=date(2025, 9, 5)).ok


@pytest.mark.parametrize("sex", [SEX_UNKNOWN, None])
def test_unknown_sex_is_not_compared(sex: int | None) -> None:
    assert check_national_id("079310004567", date(2010, 1, 1), sex).ok


def test_invalid_sex_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_national_id("079310004567", None, 3)


# --------------------------------------------------------------------------- problems


def test_length_problem_message() -> None:
    result = check_national_id("0012030045")
    assert not result.ok
    assert result.codes == ("length",)
    assert result.problems[0].message == (
        "Số định danh 0012030045 có 10 chữ số; số định danh cá nhân phải có đúng 12 chữ số. "
        "Hãy kiểm tra lại trên giấy khai sinh hoặc căn cước."
    )


def test_length_problem_for_too_long_and_empty() -> None:
    assert check_national_id("0012030045671").codes == ("length",)
    empty = check_national_id("")
    assert empty.codes == ("length",)
    assert "Chưa nhập số định danh" in empty.problems[0].message


def test_not_digits_problem() -> None:
    result = check_national_id("00120300456A")
    assert result.codes == ("not_digits",)
    assert "(A)" in result.problems[0].message


def test_not_digits_and_length_together_stop_further_checks() -> None:
    # A raw, un-normalised value: seven characters, one of them a dash.
    result = check_national_id("001-203", date(2003, 1, 1), SEX_FEMALE)
    assert result.codes == ("not_digits", "length")
    assert "7 ký tự" in result.problems[1].message


def test_superscript_digits_are_not_digits() -> None:
    # str.isdigit() alone would accept these.
    assert check_national_id("00120300456\u00b2").codes == ("not_digits",)


def test_province_code_problem() -> None:
    result = check_national_id("003203004567")
    assert result.codes == ("province_code",)
    message = result.problems[0].message
    assert "(003)" in message and "hiệu trưởng" in message


def test_century_sex_problem_without_today() -> None:
    # Digit 4 = 4 means born 2100–2199: no student can have that yet.
    result = check_national_id("001403004567")
    assert result.codes == ("century_sex",)
    assert "Chữ số thứ 4 (4) cho biết nam, sinh năm 2100–2199" in result.problems[0].message


def test_century_sex_problem_with_today() -> None:
    assert check_national_id("001503004567", today=date(2025, 9, 5)).codes == ("century_sex",)
    assert check_national_id("001503004567", today=date(2103, 1, 1)).ok


def test_birth_year_in_the_future_with_today() -> None:
    result = check_national_id("001230004567", today=date(2025, 9, 5))
    assert result.codes == ("birth_year",)
    assert "2030" in result.problems[0].message


def test_birth_year_problem_against_date_of_birth() -> None:
    result = check_national_id("001210004567", date(2011, 4, 30), SEX_MALE)
    assert result.codes == ("birth_year",)
    message = result.problems[0].message
    assert "(10)" in message and "30/04/2011" in message


def test_century_mismatch_problem() -> None:
    # Digit 0 says 1900s male; the record says born 2010.
    result = check_national_id("001010004567", date(2010, 4, 30), SEX_MALE)
    assert result.codes == ("century_mismatch",)
    assert result.problems[0].message.startswith(
        "Chữ số thứ 4 (0) cho biết nam, sinh năm 1900–1999, nhưng hồ sơ ghi ngày sinh 30/04/2010."
    )


def test_sex_mismatch_problem_message() -> None:
    result = check_national_id("001303004567", date(2003, 1, 1), SEX_MALE)
    assert result.codes == ("sex_mismatch",)
    assert result.problems[0].message.startswith(
        "Chữ số thứ 4 (3) cho biết nữ, sinh năm 2000–2099, nhưng hồ sơ ghi giới tính Nam."
    )


def test_several_problems_are_all_reported() -> None:
    result = check_national_id("003019004567", date(2010, 1, 1), SEX_FEMALE)
    assert result.codes == ("province_code", "century_mismatch", "birth_year", "sex_mismatch")


def test_messages_are_nfc_vietnamese() -> None:
    cases = [
        check_national_id(""),
        check_national_id("0012030045"),
        check_national_id("00120300456A"),
        check_national_id("003019004567", date(2010, 1, 1), SEX_FEMALE),
        check_national_id("001403004567"),
        check_national_id("001230004567", today=date(2025, 1, 1)),
    ]
    for result in cases:
        for problem in result.problems:
            assert unicodedata.is_normalized("NFC", problem.message)
            assert "Hãy" in problem.message or "hiệu trưởng" in problem.message


def test_check_result_cannot_contradict_itself() -> None:
    with pytest.raises(ValueError):
        IdCheck(ok=True, problems=(IdProblem("length", "x"),))
    with pytest.raises(ValueError):
        IdCheck(ok=False, problems=())


def test_results_are_frozen() -> None:
    result = check_national_id("0012030045")
    with pytest.raises(AttributeError):
        result.ok = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.problems[0].code = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- decoding, masking


@pytest.mark.parametrize("value", [None, "", "0012030045", "00120300456A", "0012030045678"])
def test_decode_rejects_malformed(value: str | None) -> None:
    assert decode_national_id(value) is None


def test_decode_unknown_province_still_decodes() -> None:
    info = decode_national_id("003310004567")
    assert info is not None
    assert info.province_name is None
    assert (info.sex, info.birth_year) == (SEX_FEMALE, 2010)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("001203004567", "••••••••4567"),
        (" 001203004567 ", "••••••••4567"),
        ("0012030045", "••••••0045"),
        ("12345", "•2345"),
        ("1234", "••••"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask(value: str | None, expected: str) -> None:
    assert mask_national_id(value) == expected


# --------------------------------------------------------------------------- properties

provinces = st.sampled_from(sorted(BIRTH_REGISTRATION_PROVINCES))
sexes = st.sampled_from([SEX_MALE, SEX_FEMALE])
tails = st.text(alphabet="0123456789", min_size=6, max_size=6)


@given(
    province=provinces,
    dob=st.dates(min_value=date(1900, 1, 1), max_value=date(2399, 12, 31)),
    sex=sexes,
    tail=tails,
)
def test_built_numbers_validate_and_flipping_sex_fails(province: str, dob: date, sex: int, tail: str) -> None:
    value = make_id(province, dob, sex, tail)
    assert len(value) == 12
    assert check_national_id(value, dob, sex, today=FAR_FUTURE).ok

    digit = int(value[3])
    flipped = value[:3] + str(digit ^ 1) + value[4:]  # same century, other sex
    result = check_national_id(flipped, dob, sex, today=FAR_FUTURE)
    assert not result.ok
    assert result.codes == ("sex_mismatch",)


@given(
    province=provinces,
    dob=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sex=sexes,
    tail=tails,
)
def test_built_numbers_of_living_people_validate_without_today(
    province: str, dob: date, sex: int, tail: str
) -> None:
    value = make_id(province, dob, sex, tail)
    assert check_national_id(value, dob, sex).ok
    info = decode_national_id(value)
    assert info is not None
    assert (info.birth_year, info.sex, info.province_code) == (dob.year, sex, province)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_leading_zeros_survive_normalising(value: str) -> None:
    assert normalise_national_id(value) == value
    assert normalise_national_id(value, restore_leading_zeros=True) == value


@given(st.integers(min_value=10**9, max_value=10**12 - 1))
def test_restoration_round_trips_numbers(number: int) -> None:
    text = f"{number:012d}"
    assert normalise_national_id(number, restore_leading_zeros=True) == text
    assert normalise_national_id(float(number), restore_leading_zeros=True) == text
