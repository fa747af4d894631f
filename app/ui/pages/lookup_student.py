"""The student page of "Tra cứu": who the student is, every year of study, every record version.

Top: the name in large type, then birth date, sex, codes and the identification number
(whole only for the roles that need it; the service decides), and where the student is now.
Below, one tree: a row per school year (this school or an earlier one) with the class,
the year's result or why there is none, and how the year ended (a transfer out names its
destination); under each year, every version of that year's học bạ with its status in
words and its signatures (who signed in which role, when; what is still missing).

"Mở bản học bạ" (or a double click on a version) opens the stored file of that version,
byte for byte, in the document viewer. Building the page computes each year's results, so
it loads off the GUI thread (architecture.md §3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.documents.render import RenderedDocument
from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.services.backup_thinning import SCHOOL_TZ
from app.services.student_history import (
    HistoryYear,
    RecordFile,
    RecordVersion,
    StudentPage,
    open_received_record,
    open_record_version,
    student_page,
)
from app.ui import theme
from app.ui.background import run_in_background
from app.ui.formatting import format_date, format_year
from app.ui.pages.document_view import DocumentView, Preview

log = logging.getLogger(__name__)

# Which item a tree row stands for: the version it opens, when it is one.
VERSION_ROLE = Qt.ItemDataRole.UserRole + 1
SEAL_ROLE = "condau"
SUPERSEDED_TEXT = QColor("#777777")
MISSING_TEXT = theme.WARNING_TEXT


def local_time(value: datetime | None) -> str:
    """Stored times are UTC; schools read them in Vietnam's time, day first."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(SCHOOL_TZ).strftime("%d/%m/%Y %H:%M")


def result_words(year: HistoryYear) -> str:
    if year.result is None:
        return year.result_note or ""
    r = year.result
    if r.problem:
        return _("Chưa đủ dữ liệu: {problem}").format(problem=r.problem)
    parts = []
    if r.learning:
        parts.append(_("Học tập: {value}").format(value=r.learning))
    if r.conduct:
        parts.append(_("Rèn luyện: {value}").format(value=r.conduct))
    parts.append(r.promotion_label)
    if r.title:
        parts.append(r.title)
    return " · ".join(parts)


def signature_words(version: RecordVersion) -> str:
    signed = []
    for m in version.signatures:
        when = local_time(m.signed_at)
        if m.role == SEAL_ROLE:
            # The seal's "signer" is this school itself: its name adds nothing on this page.
            signed.append(_("{role}, {when}").format(role=m.role_label, when=when))
        else:
            text = _("{role}: {name}, {when}")
            signed.append(text.format(role=m.role_label, name=m.signer_name, when=when))
    if version.missing_roles:
        signed.append(_("Còn thiếu: {roles}").format(roles=", ".join(version.missing_roles)))
    # One signature a line: the column stays narrow enough to read without scrolling.
    return "\n".join(signed)


VersionOpener = Callable[[RecordVersion], RecordFile]


class StudentPanel(QWidget):
    """One student's page; `show_student` loads it (off the GUI thread unless told)."""

    back_requested = Signal()
    status_message = Signal(str)

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None, *, background: bool = True):
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._background = background
        self._request = 0
        self.page: StudentPage | None = None
        self.viewer: DocumentView | None = None

        self.back_button = QPushButton(_("← &Quay lại kết quả tìm kiếm"))
        self.back_button.setToolTip(_("Trở về danh sách học sinh vừa tìm (Esc)"))
        self.back_button.clicked.connect(self.back_requested)
        self.open_button = QPushButton(_("&Mở bản học bạ"))
        self.open_button.setToolTip(_("Mở đúng tệp của bản học bạ đang chọn (đã ký hoặc nhận từ trường cũ)"))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_selected)
        # Transfers are the clerk's and the leaders' work; teachers never see the button.
        self.transfer_button = QPushButton(_("&Chuyển trường…"))
        self.transfer_button.setToolTip(
            _("Lập gói hồ sơ chuyển trường (học bạ đã ký, có dấu của trường) và kết thúc việc học ở trường")
        )
        self.transfer_button.setVisible(actor.sees_whole_school)
        self.transfer_button.setEnabled(False)
        self.transfer_button.clicked.connect(self.start_transfer_out)
        bar = QHBoxLayout()
        bar.addWidget(self.back_button)
        bar.addStretch(1)
        bar.addWidget(self.transfer_button)
        bar.addWidget(self.open_button)

        self.name_label = QLabel()
        self.name_label.setObjectName("studentName")
        font = self.name_label.font()
        font.setPointSizeF(theme.HEADER_POINT_SIZE)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.identity_label = QLabel()
        self.identity_label.setWordWrap(True)
        self.identity_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel()
        self.status_label.setObjectName("countsLine")
        self.status_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setObjectName("pageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels([_("Năm học / bản học bạ"), _("Lớp, trường"), _("Kết quả, tình trạng"),
                                   _("Chữ ký số")])
        self.tree.setAccessibleName(_("Quá trình học tập và các bản học bạ"))
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(1, 220)
        header.resizeSection(2, 300)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        # Activated = a double click, or Enter on the keyboard.
        self.tree.itemActivated.connect(lambda item, _col: self._open_item(item))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.setSpacing(8)
        layout.addLayout(bar)
        layout.addWidget(self.name_label)
        layout.addWidget(self.identity_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.tree, 1)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Esc goes back to the results (the tree passes keys it does not use up to here).
        if event.key() == Qt.Key.Key_Escape:
            self.back_requested.emit()
            return
        super().keyPressEvent(event)

    # -- loading ----------------------------------------------------------------------------

    def show_student(self, student_id: int) -> None:
        self._request += 1
        request = self._request
        self.page = None
        self.tree.clear()
        self.open_button.setEnabled(False)
        self.error_label.hide()
        self.name_label.setText(_("Đang mở hồ sơ học sinh…"))
        self.identity_label.clear()
        self.status_label.clear()

        def work() -> StudentPage:
            return student_page(self._db, self._actor, student_id)

        def done(page: StudentPage) -> None:
            if request == self._request:
                self.set_page(page)

        def failed(exc: BaseException) -> None:
            if request == self._request:
                self._show_error(exc)

        if self._background:
            run_in_background(self, work, done, failed)
        else:
            try:
                done(work())
            except Exception as exc:  # the same path as a background failure
                failed(exc)

    def _show_error(self, exc: BaseException) -> None:
        if isinstance(exc, UserFacingError):
            text = exc.message
        else:
            log.error("student page failed", exc_info=exc)
            text = _(
                "Không mở được hồ sơ học sinh. Lỗi đã được ghi vào nhật ký; hãy báo cho cán bộ quản trị."
            )
        self.name_label.setText(_("Chưa mở được hồ sơ"))
        self.error_label.setText(text)
        self.error_label.show()

    # -- showing ----------------------------------------------------------------------------

    def start_transfer_out(self) -> None:
        if self.page is None:
            return
        from app.ui.dialogs.transfer_out import TransferOutDialog

        student_id = self.page.student_id
        dialog = TransferOutDialog(self._db, self._actor, student_id, self)
        dialog.transfer_done.connect(lambda _path: self.show_student(student_id))
        dialog.exec()

    def set_page(self, page: StudentPage) -> None:
        self.page = page
        # A student who already transferred out has nothing left to send.
        self.transfer_button.setEnabled(not any(y.transfer_out is not None for y in page.years))
        self.name_label.setText(page.full_name)
        number = page.national_id if not page.provisional_id else _("chưa có (hồ sơ tạm)")
        if not page.national_id_full and not page.provisional_id:
            number = _("{masked} (đã che)").format(masked=number)
        parts = [
            _("Ngày sinh {date}").format(date=format_date(page.date_of_birth)),
            page.sex,
            _("Dân tộc {value}").format(value=page.ethnicity),
            _("Mã học sinh {code}").format(code=page.student_code),
            _("Số định danh {number}").format(number=number),
            _("Mã học bạ {code}").format(code=page.hocba_code),
        ]
        self.identity_label.setText(" · ".join(p for p in parts if p))
        self.status_label.setText(self._status_line(page))
        self._fill_tree(page)

    def _status_line(self, page: StudentPage) -> str:
        here = [y for y in page.years if y.here]
        lines = []
        if page.transfers_in:
            t = page.transfers_in[0]
            lines.append(_("Chuyển đến từ {school} ({date}).").format(
                school=t.source_school_name, date=local_time(t.accepted_at)[:10]))
        if not here:
            lines.append(_("Chưa được xếp lớp ở trường."))
        elif page.left is not None:
            year = page.left
            out = year.transfer_out
            if out is not None:
                lines.append(_("Đã chuyển đi ngày {date}, đến {school}.").format(
                    date=format_date(out.transfer_date), school=out.destination_school))
            else:
                reason = year.end_reason or _("rời trường")
                lines.append(_("Đã rời trường ngày {date} ({reason}).").format(
                    date=format_date(year.end_date), reason=reason))
        elif here[-1].current:
            last = here[-1]
            lines.append(_("Đang học lớp {klass}, năm học {year}.").format(
                klass=last.class_name, year=format_year(last.year_name)))
        else:
            last = here[-1]
            lines.append(_("Đã học ở trường đến lớp {klass}, năm học {year}.").format(
                klass=last.class_name, year=format_year(last.year_name)))
        return " ".join(lines)

    def _fill_tree(self, page: StudentPage) -> None:
        self.tree.clear()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        item: QTreeWidgetItem | None = None
        for year in page.years:
            where = _("Lớp {klass}").format(klass=year.class_name) if year.class_name else ""
            if year.here and year.homeroom_name:
                where += "\n" + _("GVCN: {name}").format(name=year.homeroom_name)
            elif not year.here:
                where = "\n".join(p for p in (where, year.school_name) if p)
            item = QTreeWidgetItem([format_year(year.year_name), where, result_words(year), ""])
            for col in range(3):
                item.setFont(col, bold)
            item.setToolTip(2, result_words(year))
            self.tree.addTopLevelItem(item)
            if year.transfer_out is not None:
                out = year.transfer_out
                QTreeWidgetItem(item, [
                    _("Chuyển trường"), out.destination_school,
                    _("Chuyển đi ngày {date}\nGói chuyển trường có {n} học bạ").format(
                        date=format_date(out.transfer_date), n=out.records),
                    "",
                ])
            elif year.end_date is not None:
                QTreeWidgetItem(item, [
                    _("Rời trường"), "", _("Ngày {date}: {reason}").format(
                        date=format_date(year.end_date), reason=year.end_reason or ""), "",
                ])
            if not year.records and year.here:
                QTreeWidgetItem(item, [_("Học bạ"), "", _("Chưa tạo bản học bạ nào cho năm học này"), ""])
            for version in year.records:
                self._version_item(item, version)
            item.setExpanded(True)
        if item is not None:  # the latest year is what people come for
            self.tree.scrollToItem(item)

    def _version_item(self, parent: QTreeWidgetItem, version: RecordVersion) -> QTreeWidgetItem:
        title = _("Học bạ bản {n}").format(n=version.version)
        where = version.school_name or ""
        status = version.status_label
        if version.supersedes_version is not None:
            status += "\n" + _("Đính chính bản {n}: {reason}").format(
                n=version.supersedes_version, reason=version.supersede_reason or "")
        item = QTreeWidgetItem(parent, [title, where, status, signature_words(version)])
        item.setData(0, VERSION_ROLE, version)
        item.setToolTip(2, status)
        item.setToolTip(3, signature_words(version) or _("Chưa ai ký"))
        if version.superseded:
            for col in range(4):
                item.setForeground(col, SUPERSEDED_TEXT)
        elif version.missing_roles:
            item.setForeground(3, MISSING_TEXT)
        return item

    # -- opening a version ------------------------------------------------------------------

    def selected_version(self) -> RecordVersion | None:
        item = self.tree.currentItem()
        value = item.data(0, VERSION_ROLE) if item is not None else None
        return value if isinstance(value, RecordVersion) else None

    def version_items(self) -> list[QTreeWidgetItem]:
        found: list[QTreeWidgetItem] = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            children = [top.child(j) for j in range(top.childCount())] if top is not None else []
            found += [
                c for c in children if c is not None and isinstance(c.data(0, VERSION_ROLE), RecordVersion)
            ]
        return found

    @Slot()
    def _on_current_changed(self) -> None:
        version = self.selected_version()
        self.open_button.setEnabled(version is not None and version.can_open)
        if version is not None and not version.can_open:
            self.status_message.emit(_("Bản này chưa có tệp: chưa ai ký. Xem bản nháp ở trang Lớp học."))

    def _open_item(self, item: QTreeWidgetItem) -> None:
        self.tree.setCurrentItem(item)
        self.open_selected()

    @Slot()
    def open_selected(self) -> DocumentView | None:
        version = self.selected_version()
        if version is None or not version.can_open:
            return None
        db, actor = self._db, self._actor

        def load() -> Preview:
            if version.received_id is not None:
                found = open_received_record(db, actor, version.received_id)
            else:
                assert version.document_id is not None
                found = open_record_version(db, actor, version.document_id)
            return Preview(found.title, RenderedDocument(found.pdf, found.xml, found.file_stem))

        self.viewer = DocumentView(load, self, background=self._background)
        self.viewer.show()
        return self.viewer
