"""The product's areas in the left navigation, in the order a homeroom teacher meets them.

Each area names a factory building its page from the `UiContext`; an area whose factory
is None is shown disabled ("comes in a later version"). Adding a screen is one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.ui.context import UiContext
from app.ui.pages.class_page import ClassPage
from app.ui.reads import class_reader

PageFactory = Callable[[UiContext], QWidget]


@dataclass(frozen=True)
class Area:
    key: str
    title: str  # Vietnamese source text, translated with _() when shown
    tooltip: str
    factory: PageFactory | None


def _class_page(ctx: UiContext) -> QWidget:
    return ClassPage(ctx.overview.classes, class_reader(ctx.db, ctx.actor))


AREAS: tuple[Area, ...] = (
    Area("classes", "Lớp học", "Danh sách lớp, kết quả cả năm của học sinh và giải thích.", _class_page),
    Area("markbook", "Sổ điểm", "Nhập điểm và nhận xét theo môn, khoá sổ.", None),
    Area("homeroom", "Chủ nhiệm", "Rèn luyện, chuyên cần, nhận xét và xét lên lớp của lớp chủ nhiệm.", None),
    Area("signing", "Ký số", "Ký học bạ bằng chữ ký số theo đúng thứ tự.", None),
    Area("sync", "Đồng bộ", "Gửi học bạ đã phát hành lên Sở.", None),
    Area("lookup", "Tra cứu", "Tìm học sinh, xem và xác minh học bạ.", None),
    Area("settings", "Cài đặt", "Ngôn ngữ, khoá màn hình, thư mục dữ liệu.", None),
)
