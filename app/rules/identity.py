"""The 12-digit personal identification number (số định danh cá nhân / CCCD).

Layout (domain.md §5):

    digits 1–3   province code of birth registration (see app.rules.provinces)
    digit  4     century and sex: 0/1 → 1900s male/female, 2/3 → 2000s, 4/5 → 2100s,
                 6/7 → 2200s, 8/9 → 2300s (even = male, odd = female)
    digits 5–6   last two digits of the birth year
    digits 7–12  random

The number is always kept as a string: leading zeros are significant (Hà Nội is 001).

These functions only *report*. A principal may accept a number that disagrees with the
record (with a reason) where the national registry really differs; that decision lives
elsewhere, so a wrong number is never an exception here (only a wrong type or argument is).

Sex uses the QCVN 109:2017 codes: 0 unknown, 1 male, 2 female.
"""

from __future__ import annotations

import math
import numbers
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.rules.provinces import BIRTH_REGISTRATION_PROVINCES

__all__ = [
    "ID_LENGTH",
    "SEX_FEMALE",
    "SEX_MALE",
    "SEX_UNKNOWN",
    "IdCheck",
    "IdInfo",
    "IdProblem",
    "birth_province_name",
    "check_national_id",
    "decode_national_id",
    "mask_national_id",
    "normalise_national_id",
]

ID_LENGTH = 12

SEX_UNKNOWN = 0
SEX_MALE = 1
SEX_FEMALE = 2
_VALID_SEX_CODES = frozenset({SEX_UNKNOWN, SEX_MALE, SEX_FEMALE})

# A CCCD can lose at most two leading zeros: no province code is 000, so at least one of
# the first three digits is non-zero. Restoring from 10 or 11 digits is therefore safe.
# Nine digits is deliberately NOT restored even though it would "fit": a nine-digit value
# is almost always an old chứng minh nhân dân (CMND) number, and padding it would forge a
# plausible-looking but false CCCD instead of letting the check report it.
_MIN_RESTORABLE_LENGTH = 10

# Without a reference date from the caller we cannot read the clock (these are pure
# functions), so the latest century a living student can be born in is fixed here. It is
# correct until 31 Dec 2099; callers that pass ``today`` get the exact check.
_DEFAULT_LATEST_CENTURY = 2000

# Characters people and spreadsheets put inside numbers for readability. NBSP and its
# narrow/figure variants come from copy-paste out of Word and web pages; the dashes from
# typing "001-203-004567" and from autocorrect turning "-" into en/em dashes.
_SEPARATORS = frozenset(
    " \t\r\n\u00a0\u2007\u202f\u200b\u2060\ufeff"  # spaces, NBSP variants, invisible joiners
    + ".\u00b7"  # full stop, middle dot
    + "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphens, dashes, minus sign
)

_MASK_CHAR = "•"
_VISIBLE_TAIL = 4


@dataclass(frozen=True, slots=True)
class IdProblem:
    """One thing wrong with a number: ``code`` is stable (for code and tests), ``message``
    is the Vietnamese sentence shown to the user."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class IdCheck:
    """Result of :func:`check_national_id`. ``ok`` is True exactly when there are no problems."""

    ok: bool
    problems: tuple[IdProblem, ...] = ()

    def __post_init__(self) -> None:
        # ``ok`` is stored for callers' convenience; it must never disagree with the list.
        if self.ok == bool(self.problems):
            raise ValueError("IdCheck.ok must be True exactly when there are no problems")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.problems)


@dataclass(frozen=True, slots=True)
class IdInfo:
    """What a well-formed number says about its holder, for display."""

    province_code: str
    province_name: str | None  # None when the code is not a known province
    century_sex_digit: int
    century: int  # first year of the century, e.g. 2000
    sex: int  # SEX_MALE or SEX_FEMALE
    year_two_digits: int
    birth_year: int


# --------------------------------------------------------------------------- normalising


def normalise_national_id(raw: object, *, restore_leading_zeros: bool = False) -> str | None:
    """Turn what a form or a spreadsheet cell holds into the stored string form.

    - ``None`` and empty/blank strings → ``None`` (no number yet: a provisional record).
    - ``str``: NFC, separators removed (spaces, NBSP, dots, dashes); Unicode decimal digits
      such as full-width ones become ASCII. Anything else is kept so the check reports it.
    - ``int``, integral ``float``/``Decimal`` (Excel stores numbers as floats): the decimal
      digits of the number.
    - An all-digit result with 10 or 11 digits is left-padded with zeros to 12 only when
      ``restore_leading_zeros`` is True: the caller (the Excel importer) knows its source
      may have turned the text into a number and dropped the zeros. Otherwise nothing is
      guessed: a short number stays short and :func:`check_national_id` reports it.

    Raises ``TypeError`` for other types (including ``bool``, which is an ``int`` in Python
    but never an ID) and ``ValueError`` for a negative, fractional or non-finite number,
    since no text form of those could be an ID and silently returning one would hide a bug
    in the import mapping.
    """
    digits = _raw_to_text(raw)
    if digits is None:
        return None
    if (
        restore_leading_zeros
        and _is_ascii_digits(digits)
        and _MIN_RESTORABLE_LENGTH <= len(digits) < ID_LENGTH
    ):
        digits = digits.zfill(ID_LENGTH)
    return digits


def _raw_to_text(raw: object) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise TypeError("A boolean is not an identification number.")
    if isinstance(raw, str):
        return _clean_text(raw)
    if isinstance(raw, Decimal):
        if not raw.is_finite() or raw != raw.to_integral_value():
            raise ValueError(f"Not a whole number: {raw!r}")
        return _int_to_text(int(raw))
    if isinstance(raw, numbers.Integral):  # int, numpy integers
        return _int_to_text(int(raw))
    if isinstance(raw, numbers.Real):  # float, numpy floats
        value = float(raw)
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"Not a whole number: {raw!r}")
        # Every 12-digit number is far below 2**53, so the float holds it exactly.
        return _int_to_text(int(value))
    raise TypeError(f"Cannot read an identification number from {type(raw).__name__}.")


def _int_to_text(value: int) -> str:
    if value < 0:
        raise ValueError(f"Negative number: {value}")
    return str(value)


def _clean_text(text: str) -> str | None:
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for ch in text:
        if ch in _SEPARATORS or ch.isspace():
            continue
        if not ch.isascii():
            # Full-width and other script digits are the same digit typed on another
            # keyboard layout; anything else stays so that the check can point at it.
            d = unicodedata.decimal(ch, None)
            if d is not None:
                ch = str(d)
        out.append(ch)
    cleaned = "".join(out)
    return cleaned or None


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit alone accepts superscripts and other scripts' digits.
    return text.isascii() and text.isdigit()


# --------------------------------------------------------------------------- decoding


def birth_province_name(code: str | int) -> str | None:
    """Name of the province for a three-digit code ("001", "1" or 1 → "Hà Nội"); None if unknown."""
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        if code < 0:
            return None
        key = f"{code:03d}"
    else:
        key = code.strip()
        if not _is_ascii_digits(key) or len(key) > 3:
            return None
        key = key.zfill(3)
    return BIRTH_REGISTRATION_PROVINCES.get(key)


def decode_national_id(value: str | None) -> IdInfo | None:
    """Decode a 12-digit number for display; None unless it is exactly 12 ASCII digits.

    The province may be unknown (``province_name`` None): decoding does not validate.
    """
    if value is None or len(value) != ID_LENGTH or not _is_ascii_digits(value):
        return None
    province_code = value[:3]
    digit = int(value[3])
    century = 1900 + 100 * (digit // 2)
    sex = SEX_FEMALE if digit % 2 else SEX_MALE
    yy = int(value[4:6])
    return IdInfo(
        province_code=province_code,
        province_name=BIRTH_REGISTRATION_PROVINCES.get(province_code),
        century_sex_digit=digit,
        century=century,
        sex=sex,
        year_two_digits=yy,
        birth_year=century + yy,
    )


# --------------------------------------------------------------------------- checking

_ADVICE_DOCUMENTS = "Hãy kiểm tra lại trên giấy khai sinh hoặc căn cước."


def _sex_word(sex: int) -> str:
    return "nữ" if sex == SEX_FEMALE else "nam"


def _sex_label(sex: int) -> str:
    # As written in the student's record, hence capitalised.
    return "Nữ" if sex == SEX_FEMALE else "Nam"


def _digit4_phrase(info: IdInfo) -> str:
    return (
        f"Chữ số thứ 4 ({info.century_sex_digit}) cho biết {_sex_word(info.sex)}, "
        f"sinh năm {info.century}–{info.century + 99}"
    )


def check_national_id(
    value: str,
    date_of_birth: date | None = None,
    sex: int | None = None,
    *,
    today: date | None = None,
) -> IdCheck:
    """Check a stored number against the layout and, when given, the student's record.

    ``value`` is checked as given: pass it through :func:`normalise_national_id` first.
    ``sex`` is a QCVN 109:2017 code; 0 (unknown) or None skips the sex comparison.
    ``today`` (optional) lets the check reject birth years in the future exactly; without
    it, only centuries from 2100 on are treated as impossible.

    Problem codes: "length", "not_digits" (then nothing else is checked, since the digits
    cannot be read), "province_code", "century_sex", "birth_year", "century_mismatch",
    "sex_mismatch".
    """
    if sex is not None and sex not in _VALID_SEX_CODES:
        # A wrong code here is a programming error in the caller, not a data problem.
        raise ValueError(f"sex must be 0, 1 or 2 (QCVN 109:2017), got {sex!r}")

    problems: list[IdProblem] = []
    shape = _shape_problems(value)
    if shape:
        return IdCheck(ok=False, problems=tuple(shape))

    info = decode_national_id(value)
    assert info is not None  # shape problems were ruled out just above

    if info.province_name is None:
        problems.append(
            IdProblem(
                "province_code",
                f"Ba chữ số đầu ({info.province_code}) của số định danh {value} không phải "
                "mã tỉnh, thành phố nơi đăng ký khai sinh. "
                f"{_ADVICE_DOCUMENTS} Nếu giấy tờ ghi đúng như vậy, hiệu trưởng có thể "
                "xác nhận kèm lý do.",
            )
        )

    latest_century = (today.year // 100) * 100 if today is not None else _DEFAULT_LATEST_CENTURY
    if info.century > latest_century:
        problems.append(
            IdProblem(
                "century_sex",
                f"{_digit4_phrase(info)}, nhưng chưa thể có học sinh sinh vào thời gian đó. "
                f"Chữ số thứ 4 có lẽ bị nhập sai. {_ADVICE_DOCUMENTS}",
            )
        )
    elif today is not None and info.birth_year > today.year:
        problems.append(
            IdProblem(
                "birth_year",
                f"Chữ số thứ 4 đến thứ 6 ({value[3:6]}) cho biết năm sinh {info.birth_year}, "
                f"muộn hơn năm hiện tại ({today.year}). {_ADVICE_DOCUMENTS}",
            )
        )

    if date_of_birth is not None:
        dob_text = date_of_birth.strftime("%d/%m/%Y")
        record_century = (date_of_birth.year // 100) * 100
        if info.century != record_century:
            problems.append(
                IdProblem(
                    "century_mismatch",
                    f"{_digit4_phrase(info)}, nhưng hồ sơ ghi ngày sinh {dob_text}. "
                    "Hãy kiểm tra lại số định danh hoặc ngày sinh trong hồ sơ.",
                )
            )
        if info.year_two_digits != date_of_birth.year % 100:
            problems.append(
                IdProblem(
                    "birth_year",
                    f"Chữ số thứ 5–6 ({value[4:6]}) là hai số cuối của năm sinh, nhưng hồ sơ "
                    f"ghi ngày sinh {dob_text} (năm {date_of_birth.year}). "
                    "Hãy kiểm tra lại số định danh hoặc ngày sinh trong hồ sơ.",
                )
            )

    if sex in (SEX_MALE, SEX_FEMALE) and info.sex != sex:
        problems.append(
            IdProblem(
                "sex_mismatch",
                f"{_digit4_phrase(info)}, nhưng hồ sơ ghi giới tính {_sex_label(sex)}. "
                "Hãy kiểm tra lại số định danh hoặc giới tính trong hồ sơ.",
            )
        )

    return IdCheck(ok=not problems, problems=tuple(problems))


def _shape_problems(value: str) -> list[IdProblem]:
    problems: list[IdProblem] = []
    if value == "":
        problems.append(
            IdProblem(
                "length",
                "Chưa nhập số định danh; số định danh cá nhân phải có đúng 12 chữ số. "
                f"{_ADVICE_DOCUMENTS} Nếu học sinh chưa được cấp số định danh, hãy lưu hồ "
                "sơ ở dạng tạm thời (chưa có số định danh) thay vì nhập một số tạm.",
            )
        )
        return problems
    all_digits = _is_ascii_digits(value)
    if not all_digits:
        bad = "".join(dict.fromkeys(ch for ch in value if not ("0" <= ch <= "9")))
        problems.append(
            IdProblem(
                "not_digits",
                f"Số định danh {value} có ký tự không phải chữ số ({bad}); số định danh cá "
                "nhân chỉ gồm chữ số từ 0 đến 9. Hãy nhập lại, bỏ chữ cái và ký hiệu.",
            )
        )
    if len(value) != ID_LENGTH:
        unit = "chữ số" if all_digits else "ký tự"
        problems.append(
            IdProblem(
                "length",
                f"Số định danh {value} có {len(value)} {unit}; số định danh cá nhân phải có "
                f"đúng 12 chữ số. {_ADVICE_DOCUMENTS}",
            )
        )
    return problems


# --------------------------------------------------------------------------- masking


def mask_national_id(value: str | None) -> str:
    """Hide all but the last four characters, for lists: "001203004567" → "••••••••4567".

    ``None`` or blank gives "" (not "—"): an empty cell is what a list shows for a missing
    value, and the UI decides whether to decorate it. Values of four characters or fewer
    are masked entirely, since showing "the last four" would show everything.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return ""
    if len(text) <= _VISIBLE_TAIL:
        return _MASK_CHAR * len(text)
    return _MASK_CHAR * (len(text) - _VISIBLE_TAIL) + text[-_VISIBLE_TAIL:]
