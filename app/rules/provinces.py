"""Province codes of birth registration used in the 12-digit personal identification number.

The first three digits of a số định danh cá nhân (CCCD) name the province or centrally
governed city where the person's birth was registered. The codes are the national
administrative-unit codes of the 63 provinces as they stood before the 2025 merger.

Why the old 63 are the right table even after the merger: a number never changes once it
is issued, so every existing number keeps the code of the province that registered the
birth at the time; the merged provinces kept codes from this same list (verify against the
Ministry of Public Security's current circular if a newly issued number is rejected).

The code says where the birth was *registered*, never where the person lives now: do not
use it as an address.

Births registered abroad carry a country code in these digits; the list of those codes is
not published in a form we can verify, so they are deliberately absent here and a number
starting with one is reported for a person to check (the principal may override).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Kept as (code, name) pairs in code order so the source reads like the official table.
_PAIRS: tuple[tuple[str, str], ...] = (
    ("001", "Hà Nội"),
    ("002", "Hà Giang"),
    ("004", "Cao Bằng"),
    ("006", "Bắc Kạn"),
    ("008", "Tuyên Quang"),
    ("010", "Lào Cai"),
    ("011", "Điện Biên"),
    ("012", "Lai Châu"),
    ("014", "Sơn La"),
    ("015", "Yên Bái"),
    ("017", "Hòa Bình"),
    ("019", "Thái Nguyên"),
    ("020", "Lạng Sơn"),
    ("022", "Quảng Ninh"),
    ("024", "Bắc Giang"),
    ("025", "Phú Thọ"),
    ("026", "Vĩnh Phúc"),
    ("027", "Bắc Ninh"),
    ("030", "Hải Dương"),
    ("031", "Hải Phòng"),
    ("033", "Hưng Yên"),
    ("034", "Thái Bình"),
    ("035", "Hà Nam"),
    ("036", "Nam Định"),
    ("037", "Ninh Bình"),
    ("038", "Thanh Hóa"),
    ("040", "Nghệ An"),
    ("042", "Hà Tĩnh"),
    ("044", "Quảng Bình"),
    ("045", "Quảng Trị"),
    ("046", "Thừa Thiên Huế"),
    ("048", "Đà Nẵng"),
    ("049", "Quảng Nam"),
    ("051", "Quảng Ngãi"),
    ("052", "Bình Định"),
    ("054", "Phú Yên"),
    ("056", "Khánh Hòa"),
    ("058", "Ninh Thuận"),
    ("060", "Bình Thuận"),
    ("062", "Kon Tum"),
    ("064", "Gia Lai"),
    ("066", "Đắk Lắk"),
    ("067", "Đắk Nông"),
    ("068", "Lâm Đồng"),
    ("070", "Bình Phước"),
    ("072", "Tây Ninh"),
    ("074", "Bình Dương"),
    ("075", "Đồng Nai"),
    ("077", "Bà Rịa - Vũng Tàu"),
    ("079", "Thành phố Hồ Chí Minh"),
    ("080", "Long An"),
    ("082", "Tiền Giang"),
    ("083", "Bến Tre"),
    ("084", "Trà Vinh"),
    ("086", "Vĩnh Long"),
    ("087", "Đồng Tháp"),
    ("089", "An Giang"),
    ("091", "Kiên Giang"),
    ("092", "Cần Thơ"),
    ("093", "Hậu Giang"),
    ("094", "Sóc Trăng"),
    ("095", "Bạc Liêu"),
    ("096", "Cà Mau"),
)

#: Three-digit code → province name (NFC, full diacritics). Read-only.
BIRTH_REGISTRATION_PROVINCES: Mapping[str, str] = MappingProxyType(dict(_PAIRS))
