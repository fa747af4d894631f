"""Who signs which field, and what each signature allows afterwards (domain.md §3).

- GVBM: the subject teacher alone signs the class subject sheet; the sheet is final, so
  the signature certifies it with no changes allowed.
- GVCN: the homeroom teacher's signature is the first on a student's record and certifies
  it: form filling and signing stay allowed (the leader and the seal sign after).
- HieuTruong: the principal's (or vice principal's) approval signature.
- ConDau: the school seal; its field carries a lock (FieldMDP all fields, ideally with
  /P 1 "no changes"), created with the document, so the seal's signature locks the record.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pyhanko.sign.fields import MDPPerm


@dataclass(frozen=True)
class RoleMode:
    field_name: str
    title: str  # shown in the stamp
    reason: str  # written in the signature dictionary
    certify: bool
    docmdp: MDPPerm | None  # the level a certifying or locking signature sets
    requires_field_lock: bool  # the field must lock every field with no changes allowed


class Role(enum.Enum):
    GVBM = RoleMode(
        "GVBM",
        "Giáo viên bộ môn",
        "Giáo viên bộ môn xác nhận kết quả môn học của lớp",
        True,
        MDPPerm.NO_CHANGES,
        False,
    )
    GVCN = RoleMode(
        "GVCN", "Giáo viên chủ nhiệm", "Giáo viên chủ nhiệm ký học bạ", True, MDPPerm.FILL_FORMS, False
    )
    HIEU_TRUONG = RoleMode(
        "HieuTruong", "Hiệu trưởng", "Lãnh đạo nhà trường phê duyệt học bạ", False, None, False
    )
    CON_DAU = RoleMode(
        "ConDau",
        "Nhà trường (đóng dấu)",
        "Nhà trường đóng dấu và phát hành học bạ",
        False,
        MDPPerm.NO_CHANGES,
        True,
    )

    @property
    def mode(self) -> RoleMode:
        return self.value

    @property
    def field_name(self) -> str:
        return self.value.field_name

    @classmethod
    def from_cli(cls, text: str) -> Role:
        """`gvbm`, `gvcn`, `hieutruong`, `condau` as the command line spells them."""
        key = text.strip().lower().replace("_", "").replace("-", "")
        for role in cls:
            if role.field_name.lower() == key:
                return role
        raise ValueError(text)
