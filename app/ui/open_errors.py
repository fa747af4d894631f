"""Why a database could not be opened, in words a teacher can act on (no Qt).

SQLite and SQLAlchemy report the same few situations with technical messages; the main
ones are recognised here from the underlying `sqlite3` error, wherever it sits in the
exception chain (`.orig` for SQLAlchemy, `__cause__`/`__context__` otherwise).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from app.errors import UserFacingError
from app.i18n import _

TITLE = "Không mở được dữ liệu học bạ"

# What happened, then what to do, then the file (long paths wrap badly mid-sentence).
_CORRUPT = (
    "Tệp dữ liệu bị hỏng hoặc không phải tệp của Học bạ số.\n\n"
    "Đừng xoá, đừng sửa tệp này. Hãy đóng ứng dụng và nhờ cán bộ quản trị (hoặc bộ phận "
    "hỗ trợ) khôi phục dữ liệu từ bản sao lưu gần nhất.\n\nTệp: {path}"
)
_LOCKED = (
    "Tệp dữ liệu đang được một chương trình khác dùng.\n\n"
    "Có thể Học bạ số đang mở ở một cửa sổ khác. Hãy đóng cửa sổ đó (hoặc khởi động lại "
    "máy) rồi mở lại Học bạ số.\n\nTệp: {path}"
)
_CANNOT_OPEN = (
    "Không đọc được tệp dữ liệu.\n\n"
    "Hãy kiểm tra ổ đĩa còn cắm và còn chỗ trống, và tài khoản Windows đang dùng có quyền "
    "mở thư mục này. Nếu vẫn lỗi, hãy gọi cán bộ quản trị.\n\nTệp: {path}"
)
_NEWER = (
    "Tệp dữ liệu được tạo bởi một phiên bản Học bạ số mới hơn phiên bản đang chạy.\n\n"
    "Hãy cập nhật Học bạ số lên phiên bản mới nhất rồi mở lại.\n\nTệp: {path}"
)
_UNKNOWN = (
    "Có lỗi khi mở tệp dữ liệu.\n\n"
    "Hãy thử mở lại Học bạ số. Nếu vẫn lỗi, hãy gọi cán bộ quản trị và đọc cho họ dòng "
    "chi tiết sau:\n{detail}\n\nTệp: {path}"
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                todo.append(linked)


def describe_open_error(exc: BaseException, path: Path) -> str:
    """The message to show when opening the database at `path` raised `exc`."""
    for e in _chain(exc):
        if isinstance(e, UserFacingError):
            return e.message
    for e in _chain(exc):
        if isinstance(e, sqlite3.Error):
            text = str(e).lower()
            if "locked" in text or "busy" in text:
                return _(_LOCKED).format(path=path)
            if "not a database" in text or "malformed" in text or "corrupt" in text:
                return _(_CORRUPT).format(path=path)
            if "unable to open" in text or "readonly" in text or "disk i/o" in text:
                return _(_CANNOT_OPEN).format(path=path)
    for e in _chain(exc):
        # Alembic, when the file is at a migration this version does not know.
        if "can't locate revision" in str(e).lower():
            return _(_NEWER).format(path=path)
        if isinstance(e, OSError):
            return _(_CANNOT_OPEN).format(path=path)
    detail = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:300]
    return _(_UNKNOWN).format(path=path, detail=detail)
