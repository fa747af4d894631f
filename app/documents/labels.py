"""How coded values of the record are printed on the pages (Vietnamese, with diacritics)."""

from __future__ import annotations

from datetime import date
from typing import Final

SEX: Final = {0: "", 1: "Nam", 2: "Nữ"}
TT22_LEVEL: Final = {"T": "Tốt", "K": "Khá", "Đ": "Đạt", "CĐ": "Chưa đạt"}
PRIMARY_SUBJECT_LEVEL: Final = {"T": "Hoàn thành tốt", "H": "Hoàn thành", "C": "Chưa hoàn thành"}
TRAIT_LEVEL: Final = {"T": "Tốt", "Đ": "Đạt", "C": "Cần cố gắng"}
PRIMARY_OUTCOME: Final = {
    "HTXS": "Hoàn thành xuất sắc",
    "HTT": "Hoàn thành tốt",
    "HT": "Hoàn thành",
    "CHT": "Chưa hoàn thành",
}
PROMOTION: Final = {
    "len_lop": "Được lên lớp",
    "ren_luyen_he": "Rèn luyện trong kì nghỉ hè",
    "kiem_tra_lai": "Kiểm tra lại trong kì nghỉ hè",
    "o_lai": "Không được lên lớp (ở lại lớp)",
}
TITLE: Final = {"xuat_sac": "Học sinh Xuất sắc", "gioi": "Học sinh Giỏi"}
NOT_ASSESSED: Final = "Học sinh khuyết tật được đánh giá theo kế hoạch giáo dục cá nhân."
NONE: Final = "Không"


def value(raw: str | None) -> str:
    """A subject value as printed: "8.5" → "8,5" (decimal comma); Đ/CĐ unchanged."""
    if raw is None:
        return ""
    return raw.replace(".", ",")


def short_date(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def year_label(year_name: str) -> str:
    """ "2026-2027" → "2026 – 2027" as printed on the pages."""
    return year_name.replace("-", " – ")
