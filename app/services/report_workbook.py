"""The principal's report as an .xlsx workbook: progress per class with the school total,
then the people who still lack a signing certificate (same look as the other exports)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from openpyxl.styles import Font

from app.services.excel_export import _format_body, _save, _sheet, _widths
from app.services.reports import ClassProgress, PrincipalReport

__all__ = ["PROGRESS_HEADERS", "write_report"]

PROGRESS_HEADERS: Final = (
    "Lớp",
    "Giáo viên chủ nhiệm",
    "Sĩ số",
    "Học bạ đủ dữ liệu",
    "Sổ điểm đã khoá",
    "Bảng điểm môn đã ký (GVBM)",
    "GVCN đã ký",
    "Lãnh đạo đã duyệt",
    "Đã đóng dấu, phát hành",
    "Đã gửi lên Sở",
)
CERTIFICATE_HEADERS: Final = ("STT", "Người ký", "Tài khoản", "Ký với vai trò", "Vấn đề")


def progress_row(p: ClassProgress) -> list[object]:
    return [
        p.class_name,
        p.homeroom_name or "",
        p.students,
        p.complete,
        f"{p.markbooks_locked}/{p.markbooks}",
        f"{p.sheets_signed}/{p.sheets}",
        p.gvcn_signed,
        p.leader_signed,
        p.issued,
        p.synced,
    ]


def write_report(report: PrincipalReport, out: Path) -> None:
    title = [
        report.school_name.upper()
        + (" (DEMO)" if report.is_demo and "DEMO" not in report.school_name else ""),
        "BÁO CÁO TIẾN ĐỘ HỌC BẠ SỐ",
        f"Năm học {report.year_name or '—'} · lập lúc {report.generated_at:%H:%M ngày %d/%m/%Y}",
    ]
    wb, ws = _sheet("Tiến độ theo lớp", title, PROGRESS_HEADERS)
    for p in report.classes:
        ws.append(progress_row(p))
    ws.append(progress_row(report.totals))
    first = len(title) + 2
    rows = len(report.classes) + 1
    _format_body(ws, first, rows, len(PROGRESS_HEADERS))
    for c in range(1, len(PROGRESS_HEADERS) + 1):
        ws.cell(first + rows - 1, c).font = Font(bold=True)
    _widths(ws, (10, 26, 8, 12, 12, 16, 11, 12, 14, 12))

    certs = wb.create_sheet("Thiếu chứng thư số")
    certs.append(["Những người cần ký nhưng chưa có chứng thư số dùng được"])
    certs.cell(1, 1).font = Font(bold=True, size=12)
    certs.append([])
    certs.append(list(CERTIFICATE_HEADERS))
    for c in range(1, len(CERTIFICATE_HEADERS) + 1):
        certs.cell(3, c).font = Font(bold=True)
    for number, m in enumerate(report.missing_certificates, start=1):
        certs.append([number, m.name, m.login, m.needed_for, m.problem])
    if not report.missing_certificates:
        certs.append(["", "Mọi người cần ký đều đã có chứng thư số hợp lệ."])
    _format_body(certs, 3, len(report.missing_certificates) + 1, len(CERTIFICATE_HEADERS))
    _widths(certs, (6, 28, 22, 48, 44))
    _save(wb, out)
