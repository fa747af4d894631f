"""Receiving a student who transfers in: choose the package, read the check in words, accept.

The package is checked off the GUI thread (every signature of every document, the seal's
signature over the manifest, every hash). The report shows in green when everything passed
and in red with each reason otherwise. A package that passed is accepted by the clerk; one
that did not can only be accepted by the principal, with a written reason that the audit
trail keeps. Acceptance runs the whole check again in the service, never trusting this
screen's copy.
"""

from __future__ import annotations

import html
import logging
from datetime import date
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.models.people import ROLE_PRINCIPAL
from app.services.access import Actor
from app.services.transfer_in import TransferInResult, accept_transfer, classes_for_enrolment
from app.services.transfer_verify import TransferReport, verify_package
from app.ui.background import run_in_background
from app.ui.dialogs.change_password_dialog import error_label
from app.ui.formatting import format_date, format_year

log = logging.getLogger(__name__)

PACKAGE_FILTER = "Gói hồ sơ chuyển trường (*.hbt);;Mọi tệp (*)"
CERT_FILTER = "Chứng thư số (*.pem *.crt *.cer *.der);;Mọi tệp (*)"
OK_STYLE = "background:#e3f4e6; color:#14532d; border:1px solid #8cc79a; border-radius:4px; padding:8px;"
BAD_STYLE = "background:#f9d9dc; color:#6b0a12; border:1px solid #d68f96; border-radius:4px; padding:8px;"
BUSY_STYLE = "background:#eef2f7; color:#1b1b1b; border:1px solid #c9d3df; border-radius:4px; padding:8px;"


def _day(text: str) -> str:
    """An ISO date from the package, written day first as everywhere in the app."""
    try:
        return format_date(date.fromisoformat(text))
    except ValueError:
        return text


def report_html(report: TransferReport) -> str:
    """The checks as a list a person reads top to bottom: ✓ green, ✗ red, failures first."""
    ordered = sorted(report.checks, key=lambda c: c.ok)
    items = []
    for check in ordered:
        mark, colour = ("✓", "#1d6b34") if check.ok else ("✗", "#a3121f")
        items.append(
            f"<p style='margin:4px 0'><span style='color:{colour}; font-weight:bold'>{mark}</span> "
            f"<b>{html.escape(check.subject)}</b>: {html.escape(check.detail)}</p>"
        )
    student = report.student
    years = ", ".join(
        f"{html.escape(format_year(d.year_name))} ({html.escape(d.class_name)}, {html.escape(d.school_name)})"
        for d in report.records
    )
    head = [
        _("Học sinh: <b>{name}</b> — mã {code} — sinh ngày {born} — số định danh {id}").format(
            name=html.escape(student.full_name),
            code=html.escape(student.student_code),
            born=html.escape(_day(student.date_of_birth)),
            id=student.masked_id,
        ),
        _("Trường gửi: <b>{school}</b> — ngày chuyển {date} — con dấu ký: {seal}").format(
            school=html.escape(report.school_name),
            date=html.escape(_day(report.transfer_date)),
            seal=html.escape(report.seal_signer or _("không rõ")),
        ),
        _("Học bạ trong gói: {years}").format(years=years or _("không có")),
    ]
    return "".join(f"<p style='margin:2px 0'>{line}</p>" for line in head) + "<hr>" + "".join(items)


class TransferInDialog(QDialog):
    """`TransferInDialog(db, actor)`: choose a package, check it, accept it (or override)."""

    transfer_accepted = Signal(int)  # the student's id here

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.path: Path | None = None
        self.trust_roots: list[Path] = []
        self.report: TransferReport | None = None
        self.result_value: TransferInResult | None = None
        self.busy = False
        self.setWindowTitle(_("Nhận học sinh chuyển đến"))
        self.resize(860, 760)

        self.file_label = QLabel(_("Chưa chọn gói hồ sơ. Bấm “Chọn gói…” để mở tệp .hbt trường cũ gửi."))
        self.file_label.setWordWrap(True)
        choose = QPushButton(_("Chọn gói…"))
        choose.clicked.connect(self.choose_package)
        self.trust_button = QPushButton(_("Thêm chứng thư gốc tin cậy…"))
        self.trust_button.setToolTip(
            _("Chứng thư gốc của nhà cung cấp chữ ký số mà trường cũ dùng, nếu máy này chưa tin cậy")
        )
        self.trust_button.clicked.connect(self.choose_trust_root)
        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(choose)
        top.addWidget(self.trust_button)

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.details = QTextBrowser()
        self.details.setOpenExternalLinks(False)

        self.class_box = QComboBox()
        self.class_box.addItem(_("(chưa xếp lớp)"), None)
        for choice in classes_for_enrolment(db):  # a short read: one small query
            self.class_box.addItem(
                _("Lớp {name} ({year})").format(name=choice.name, year=choice.year_name), choice.class_id
            )
        form = QFormLayout()
        form.addRow(_("Xếp vào lớp:"), self.class_box)

        self.override_box = QGroupBox(_("Hiệu trưởng quyết định nhận gói không hợp lệ"))
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(_("Ghi rõ lý do (ví dụ: Sở đã xác nhận bằng công văn số …)"))
        self.reason.setFixedHeight(70)
        self.reason.textChanged.connect(self._reason_edited)
        self.override_note = QLabel()
        self.override_note.setWordWrap(True)
        self.override_button = QPushButton(_("Nhận dù gói không hợp lệ"))
        self.override_button.clicked.connect(self.accept_with_override)
        override_layout = QVBoxLayout(self.override_box)
        override_layout.addWidget(self.override_note)
        override_layout.addWidget(self.reason)
        override_layout.addWidget(self.override_button)
        self.override_box.hide()

        self.error = error_label()
        self.accept_button = QPushButton(_("Nhận hồ sơ"))
        self.accept_button.setDefault(True)
        self.accept_button.clicked.connect(self.accept_package)
        self.close_button = QPushButton(_("Đóng"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.details, 1)
        layout.addLayout(form)
        layout.addWidget(self.override_box)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._refresh_buttons()

    # -- choosing ------------------------------------------------------------------------------

    def choose_package(self) -> None:
        path, _chosen = QFileDialog.getOpenFileName(
            self, _("Chọn gói hồ sơ chuyển trường"), str(Path.home()), _(PACKAGE_FILTER)
        )
        if path:
            self.load(Path(path))

    def choose_trust_root(self) -> None:
        path, _chosen = QFileDialog.getOpenFileName(
            self, _("Chọn chứng thư gốc tin cậy"), str(Path.home()), _(CERT_FILTER)
        )
        if path:
            self.add_trust_root(Path(path))

    def add_trust_root(self, path: Path) -> None:
        self.trust_roots.append(path)
        if self.path is not None:
            self.load(self.path)

    def load(self, path: Path) -> None:
        """Check the package at `path` (off the GUI thread) and show the report."""
        self.path = path
        self.report = None
        self.file_label.setText(_("Gói: {path}").format(path=path))
        self._show_banner(_("Đang kiểm tra chữ ký và mã băm của từng tệp…"), BUSY_STYLE)
        self.details.clear()
        self.error.hide()
        self._set_busy(True)
        roots = list(self.trust_roots)
        run_in_background(self, lambda: self._verify(path, roots), self._verified, self._failed)

    def _verify(self, path: Path, roots: list[Path]) -> TransferReport:  # on a pool thread
        from app.signing.trust import parse_certificates

        certs = []
        for root in roots:
            try:
                certs.extend(parse_certificates(root.read_bytes()))
            except (OSError, ValueError):
                raise UserFacingError(
                    _("Không đọc được chứng thư gốc {name}. Hãy chọn tệp .pem, .crt hoặc .cer.").format(
                        name=root.name
                    )
                ) from None
        return verify_package(self.db, path, certs)

    def _verified(self, report: TransferReport) -> None:
        self._set_busy(False)
        self.report = report
        if report.ok:
            self._show_banner(_("✓ Gói hợp lệ: ") + report.summary.removeprefix("Gói hợp lệ: "), OK_STYLE)
        else:
            count = len(report.failures)
            self._show_banner(
                _(
                    "✗ Gói KHÔNG hợp lệ ({count} vấn đề). Không nhận được nếu Hiệu trưởng không quyết định."
                ).format(count=count),
                BAD_STYLE,
            )
        self.details.setHtml(report_html(report))
        self._refresh_buttons()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, UserFacingError):
            text = error.message
        else:
            log.error("transfer check failed", exc_info=error)
            text = _("Không kiểm tra được gói. Lỗi đã được ghi vào nhật ký; hãy báo cho cán bộ quản trị.")
        self._show_banner(text, BAD_STYLE)
        self._refresh_buttons()

    # -- accepting -----------------------------------------------------------------------------

    @property
    def is_principal(self) -> bool:
        return not self.actor.is_system and ROLE_PRINCIPAL in self.actor.roles

    def accept_package(self) -> None:
        self._accept(None)

    def accept_with_override(self) -> None:
        self._accept(self.reason.toPlainText())

    def _reason_edited(self) -> None:
        self.error.hide()  # the message was about the reason being typed now

    def _accept(self, reason: str | None) -> None:
        if self.path is None or self.report is None or self.busy:
            return
        path, roots, class_id = self.path, list(self.trust_roots), self.class_box.currentData()
        self.error.hide()
        self._set_busy(True)

        def work() -> TransferInResult:  # on a pool thread
            from app.signing.trust import parse_certificates

            certs = [c for root in roots for c in parse_certificates(root.read_bytes())]
            return accept_transfer(
                self.db, self.actor, path, trust_roots=certs, override_reason=reason, class_id=class_id
            )

        run_in_background(self, work, self._accepted, self._accept_failed)

    def _accepted(self, result: TransferInResult) -> None:
        self._set_busy(False)
        self.result_value = result
        how = _("đã tạo hồ sơ học sinh mới") if result.student_created else _("đã ghép vào hồ sơ sẵn có")
        text = _(
            "Đã nhận {name}: {records} học bạ và {sheets} bảng điểm môn được lưu nguyên vẹn; {how}."
        ).format(name=result.full_name, records=result.records, sheets=result.sheets, how=how)
        if result.override_reason:
            text += " " + _("Hiệu trưởng quyết định nhận với lý do: {reason}").format(
                reason=result.override_reason
            )
        self._show_banner(text, OK_STYLE)
        self.accept_button.hide()
        self.override_box.hide()
        self.close_button.setText(_("Xong"))
        self.transfer_accepted.emit(result.student_id)

    def _accept_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        if isinstance(error, UserFacingError):
            self.error.setText(error.message)
        else:
            log.error("transfer accept failed", exc_info=error)
            self.error.setText(
                _("Không nhận được gói. Lỗi đã được ghi vào nhật ký; hãy báo cho cán bộ quản trị.")
            )
        self.error.show()

    # -- state ---------------------------------------------------------------------------------

    def _show_banner(self, text: str, style: str) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(style)
        self.banner.show()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._refresh_buttons()

    def _refresh_buttons(self) -> None:
        report = self.report
        ready = report is not None and not self.busy and self.result_value is None
        self.accept_button.setEnabled(bool(ready and report is not None and report.ok))
        failing = report is not None and not report.ok and self.result_value is None
        self.override_box.setVisible(failing)
        if failing:
            if self.is_principal:
                self.override_note.setText(
                    _("Chỉ nhận khi đã xác minh được hồ sơ bằng cách khác. Lý do sẽ được ghi vào nhật ký.")
                )
            else:
                self.override_note.setText(
                    _(
                        "Gói không hợp lệ. Chỉ Hiệu trưởng (đăng nhập bằng tài khoản của mình) "
                        "mới quyết định nhận được, kèm lý do."
                    )
                )
        self.reason.setEnabled(bool(ready and self.is_principal))
        self.override_button.setEnabled(bool(ready and self.is_principal))
