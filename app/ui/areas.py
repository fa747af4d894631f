"""The product's areas in the left navigation, in the order a homeroom teacher meets them.

Each area names a factory building its page from the `UiContext`; an area whose factory
is None is shown disabled ("comes in a later version"). Adding a screen is one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.services.access import Actor
from app.ui.context import UiContext
from app.ui.pages.class_page import ClassPage
from app.ui.reads import class_reader

PageFactory = Callable[[UiContext], QWidget]


def _everyone(_actor: Actor) -> bool:
    return True


def _admins(actor: Actor) -> bool:
    return actor.is_admin


def _leaders_and_admins(actor: Actor) -> bool:
    return actor.is_leader or actor.is_admin


@dataclass(frozen=True)
class Area:
    key: str
    title: str  # Vietnamese source text, translated with _() when shown
    tooltip: str
    factory: PageFactory | None
    # Whom the area is shown to at all; the services refuse the others anyway.
    visible: Callable[[Actor], bool] = _everyone


def _class_page(ctx: UiContext) -> QWidget:
    from app.ui.pages.document_view import record_opener

    return ClassPage(ctx.overview.classes, class_reader(ctx.db, ctx.actor),
                     open_record=record_opener(ctx.db, ctx.actor), excel=(ctx.db, ctx.actor))


def _markbook_page(ctx: UiContext) -> QWidget:
    from app.ui.pages.markbook_page import MarkbookPage

    return MarkbookPage(ctx.db, ctx.actor)


def _homeroom_page(ctx: UiContext) -> QWidget:
    from app.ui.pages.homeroom_page import HomeroomPage

    return HomeroomPage(ctx.db, ctx.actor, ctx.overview.classes)


def _setup_page(ctx: UiContext) -> QWidget:
    from app.ui.pages.setup_page import SetupPage

    return SetupPage(ctx)


def _audit_page(ctx: UiContext) -> QWidget:
    from app.ui.backup_scheduler import current_scheduler
    from app.ui.pages.audit_page import AuditPage

    return AuditPage(ctx.db, ctx.actor, ctx.database_path, current_scheduler())


def _signing_page(ctx: UiContext) -> QWidget:
    from app.ui.pages.signing_page import SigningPage

    return SigningPage(ctx.db, ctx.actor, data_dir=ctx.data_dir)


def _sync_page(ctx: UiContext) -> QWidget:
    from app.ui.pages.sync_page import SyncPage

    return SyncPage(ctx.db, ctx.actor)


def _reports_page(ctx: UiContext) -> QWidget:
    from app.ui.pages.reports_page import ReportsPage

    return ReportsPage(ctx.db, ctx.actor)


def _lookup_page(ctx: UiContext) -> QWidget:
    from app.ui.pages.lookup_page import LookupPage

    return LookupPage(ctx.db, ctx.actor)


def _settings_page(ctx: UiContext) -> QWidget:
    from app.ui.pages.settings_page import SettingsPage

    return SettingsPage(ctx)


AREAS: tuple[Area, ...] = (
    Area("classes", "Lớp học", "Danh sách lớp, kết quả cả năm của học sinh và giải thích.", _class_page),
    Area("markbook", "Sổ điểm", "Nhập điểm và nhận xét theo môn, khoá sổ.", _markbook_page),
    Area(
        "homeroom", "Chủ nhiệm", "Rèn luyện, chuyên cần, nhận xét và xét lên lớp của lớp chủ nhiệm.",
        _homeroom_page,
    ),
    Area("signing", "Ký số", "Ký học bạ bằng chữ ký số theo đúng thứ tự.", _signing_page),
    Area("sync", "Đồng bộ", "Gửi học bạ đã phát hành lên Sở.", _sync_page),
    Area("lookup", "Tra cứu", "Tìm học sinh, xem và xác minh học bạ.", _lookup_page),
    Area(
        "reports", "Báo cáo",
        "Tiến độ học bạ từng lớp và toàn trường; ai còn thiếu chứng thư số; xuất Excel.",
        _reports_page, _leaders_and_admins,
    ),
    Area(
        "setup", "Thiết lập trường", "Thông tin trường, năm học, lớp, môn học, giáo viên và tài khoản.",
        _setup_page, _admins,
    ),
    Area(
        "audit", "Nhật ký", "Ai đã sửa gì, lúc nào; xuất Excel; sao lưu dữ liệu.",
        _audit_page, lambda actor: actor.is_leader or actor.is_admin,
    ),
    Area("settings", "Cài đặt", "Ngôn ngữ, khoá màn hình, thư mục dữ liệu, giới thiệu.", _settings_page),
)
