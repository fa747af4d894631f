"""The "Ký số" page: what the signed-in person can sign now, what waits and why, one button.

Top to bottom: the signing role (subject teacher, homeroom teacher, principal or vice
principal, the school seal) and the class or the whole school; the token indicator; the
counts; the plan's documents, each with its status and, for those that wait, the reason
in plain Vietnamese (app.services.signing_order); the "Ký …" button, and for leaders the
corrections waiting for approval.

Threads (architecture.md §3): the token indicator is fed by the token thread's poller
(app.ui.token_thread.TokenMonitor), and the certificates on a plugged token are read on
the token thread too; plans are made on the thread pool; a batch runs through
SigningRunner (PIN asked from the token thread, progress queued back here). The GUI
thread makes no PKCS#11 call. In the demo school without a token, the demo signer (the
software certificates of app.signing.demo, "DEMO" on every stamp) signs, as
`python -m app sign --demo` does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QRegularExpression, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import config
from app.errors import UserFacingError
from app.i18n import _
from app.models import documents as d
from app.models.db import Database
from app.models.people import ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL
from app.paths import default_data_dir
from app.services.access import Actor
from app.services.signing_desk import (
    ROLE_TITLES,
    DemoChoice,
    Scope,
    demo_choice,
    desk_plans,
    registered_certificates,
    signing_roles,
    signing_scopes,
)
from app.services.signing_order import BLOCKED, DONE, PENDING, SKIPPED, SigningPlan
from app.signing import modules as pkcs11_modules
from app.signing.worker import TokenSnapshot, TokenWorker
from app.ui import theme
from app.ui.background import run_in_background
from app.ui.dialogs.pin_dialog import PinBroker
from app.ui.dialogs.signing_progress import SigningProgressDialog
from app.ui.itemmodels import DataclassTableModel
from app.ui.itemmodels.dataclass_table import Column
from app.ui.pages.certificate_offer import CertificateOffer
from app.ui.pages.signing_runner import BatchOutcome, BatchRequest, SigningRunner, error_text
from app.ui.pages.signing_summary import ClassOverview
from app.ui.pages.signing_tokens import TokenMatch, match_certificates
from app.ui.token_thread import TokenMonitor, shared_token_worker

log = logging.getLogger(__name__)

ROLE_HINTS = {
    d.ROLE_GVBM: "Ký bảng điểm môn học của lớp sau khi đã khoá sổ điểm môn đó.",
    d.ROLE_GVCN: "Ký học bạ từng học sinh của lớp chủ nhiệm, sau khi giáo viên bộ môn đã ký bảng điểm.",
    d.ROLE_LEADER: "Phê duyệt học bạ giáo viên chủ nhiệm đã ký: theo lớp hoặc cả trường.",
    d.ROLE_SEAL: "Đóng dấu phát hành học bạ đã được phê duyệt: theo lớp hoặc cả trường.",
}
STATUS_WORDS = {PENDING: "Ký được ngay", DONE: "Đã ký", SKIPPED: "Để sau", BLOCKED: "Chưa ký được"}
STATUS_BG = {PENDING: QColor("#dbe5f1"), DONE: QColor("#d9f2dc"), SKIPPED: QColor("#fff0c2")}
TOKEN_OK, TOKEN_OTHER, TOKEN_NONE, TOKEN_DEMO = "#1b6e2a", "#a14a00", "#555555", "#c2410c"
EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class PlanRow:
    class_name: str
    label: str
    status: str
    reason: str


@dataclass(frozen=True)
class PlanView:
    """What a planning pass found: the plans, and the demo signer when no token is used."""

    plans: tuple[SigningPlan, ...]
    demo: DemoChoice | None
    certificate_sha256: str | None


def _columns() -> tuple[Column, ...]:
    return (
        Column(_("Lớp"), lambda r: r.class_name),
        Column(_("Học sinh / tài liệu"), lambda r: r.label),
        Column(
            _("Tình trạng"), lambda r: _(STATUS_WORDS[r.status]), background=lambda r: STATUS_BG.get(r.status)
        ),
        Column(_("Lý do"), lambda r: r.reason, tooltip=lambda r: r.reason or None),
    )


def expiry_note(not_after: datetime, now: datetime | None = None) -> str | None:
    """A warning when the certificate expires within EXPIRY_WARNING_DAYS (shown ahead of time)."""
    left = not_after - (now or datetime.now(UTC))
    if left > timedelta(days=EXPIRY_WARNING_DAYS):
        return None
    return _("Chứng thư số sắp hết hạn (còn {days} ngày): hãy liên hệ nhà cung cấp để gia hạn sớm.").format(
        days=max(0, left.days)
    )


def default_modules(data_dir: Path | None) -> tuple[str, ...]:
    settings = config.load(data_dir or default_data_dir())
    return tuple(str(c.path) for c in pkcs11_modules.candidates(settings.pkcs11_modules))


class SigningPage(QWidget):
    status_message = Signal(str)
    _matched = Signal(int, object)  # generation, tuple[TokenMatch, ...] (from the token thread)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        *,
        worker: TokenWorker | None = None,
        modules: Sequence[str] | None = None,
        data_dir: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._worker = worker or shared_token_worker()
        self._roles = signing_roles(actor)
        self._scopes: tuple[Scope, ...] = ()
        self._matches: tuple[TokenMatch, ...] = ()
        self._match_generation = 0
        self._plan_generation = 0
        self._view: PlanView | None = None
        self._planning = False
        self._plan_again = False  # asked while a plan was being made: one more pass after it
        self.progress_dialog: SigningProgressDialog | None = None

        self.broker = PinBroker(self)
        self.runner = SigningRunner(db, actor, self._worker, self.broker)
        self.runner.finished.connect(self._batch_finished)
        self.runner.failed.connect(self._batch_failed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.broker.close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 10)
        layout.setSpacing(10)
        title = QLabel(_("Ký số học bạ"))
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(theme.HEADER_POINT_SIZE)
        title.setFont(font)
        layout.addWidget(title)

        picker = QHBoxLayout()
        picker.setSpacing(10)
        picker.addWidget(QLabel(_("Ký với vai trò:")))
        self.role_combo = QComboBox()
        for role in self._roles:
            self.role_combo.addItem(_(ROLE_TITLES[role]), role)
        self.role_combo.setAccessibleName(_("Vai trò ký"))
        picker.addWidget(self.role_combo, 2)
        picker.addSpacing(12)
        picker.addWidget(QLabel(_("Lớp:")))
        self.scope_combo = QComboBox()
        self.scope_combo.setAccessibleName(_("Lớp cần ký"))
        self.scope_combo.setMinimumWidth(200)
        picker.addWidget(self.scope_combo, 1)
        layout.addLayout(picker)
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet(f"color: {theme.MUTED_TEXT.name()};")
        layout.addWidget(self.hint_label)

        self.token_label = QLabel()
        self.token_label.setWordWrap(True)
        self.token_label.setObjectName("tokenIndicator")
        self.token_label.setTextFormat(Qt.TextFormat.RichText)
        self.token_label.setStyleSheet(
            "QLabel#tokenIndicator { background: #f6f8fb; border: 1px solid #c9d3df; border-radius: 6px;"
            " padding: 10px; }"
        )
        layout.addWidget(self.token_label)

        self.counts_label = QLabel()
        self.counts_label.setObjectName("countsLine")
        self.counts_label.setWordWrap(True)
        layout.addWidget(self.counts_label)
        self.error_label = QLabel()
        self.error_label.setObjectName("pageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        # The whole school: a line per class first (ClassOverview), the chosen class's students below.
        self.overview = ClassOverview()
        self.overview.class_chosen.connect(self._show_class)
        self.overview.hide()
        self.students_label = QLabel()
        self.students_label.setObjectName("studentsOfClass")
        self.students_label.hide()
        self.model = DataclassTableModel(_columns(), (), self)  # every row of the plan
        self.students = QSortFilterProxyModel(self)  # what the list shows: one class, or all
        self.students.setSourceModel(self.model)
        self.students.setFilterKeyColumn(0)
        self.table = QTableView()
        self.table.setModel(self.students)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.students_label)
        lower_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.overview)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout.addWidget(splitter, 1)

        buttons = QHBoxLayout()
        self.corrections_button = QPushButton(_("Đính chính chờ duyệt"))
        self.corrections_button.setMinimumHeight(44)
        self.corrections_button.clicked.connect(self._open_corrections)
        self.corrections_button.setVisible(bool(actor.roles & {ROLE_PRINCIPAL, ROLE_VICE_PRINCIPAL}))
        buttons.addWidget(self.corrections_button)
        buttons.addStretch(1)
        self.sign_button = QPushButton(_("Ký"))
        self.sign_button.setMinimumHeight(52)
        self.sign_button.setMinimumWidth(280)
        font = self.sign_button.font()
        font.setBold(True)
        font.setPointSizeF(theme.BASE_POINT_SIZE * 1.25)
        self.sign_button.setFont(font)
        self.sign_button.setEnabled(False)
        self.sign_button.clicked.connect(self._sign)
        buttons.addWidget(self.sign_button)
        layout.addLayout(buttons)

        self._matched.connect(self._on_matches)
        self.role_combo.currentIndexChanged.connect(self._role_changed)
        self.scope_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        if not self._roles:
            self.role_combo.setEnabled(False)
            self.scope_combo.setEnabled(False)
            self.hint_label.setText(_(
                "Tài khoản của bạn không có việc ký số (không dạy, không chủ nhiệm, không thuộc lãnh đạo "
                "hay văn thư). Nếu bạn cần ký, hãy nhờ quản trị viên kiểm tra phân công."
            ))  # fmt: skip
            self.token_label.hide()
            return
        self.monitor = TokenMonitor(
            self._worker, default_modules(data_dir) if modules is None else modules, self
        )
        self.monitor.changed.connect(self._tokens_changed)
        # A certificate on the token registered to nobody: the user may ask for it (admin confirms).
        self.certificate_offer = CertificateOffer(db, actor, self._worker, self.monitor, self)
        layout.insertWidget(layout.indexOf(self.token_label) + 1, self.certificate_offer)
        self._role_changed(self.role_combo.currentIndex())

    # --- choices -------------------------------------------------------------------------

    @property
    def role(self) -> str | None:
        data = self.role_combo.currentData()
        return str(data) if data else None

    @property
    def scope(self) -> Scope | None:
        index = self.scope_combo.currentIndex()
        return self._scopes[index] if 0 <= index < len(self._scopes) else None

    def select_role(self, role: str) -> None:
        self.role_combo.setCurrentIndex(self.role_combo.findData(role))

    @Slot(int)
    def _role_changed(self, _index: int) -> None:
        role = self.role
        if role is None:
            return
        self.hint_label.setText(_(ROLE_HINTS[role]))
        self._scopes = signing_scopes(self._db, self._actor, role)
        self.scope_combo.blockSignals(True)
        self.scope_combo.clear()
        for scope in self._scopes:
            self.scope_combo.addItem(_(scope.label) if len(scope.class_ids) > 1 else scope.label)
        self.scope_combo.blockSignals(False)
        self._matches = ()
        self._match_tokens()
        self.refresh()

    # --- the token indicator ---------------------------------------------------------------

    @Slot(object)
    def _tokens_changed(self, _snapshot: TokenSnapshot) -> None:
        self._match_tokens()

    def _match_tokens(self) -> None:
        """Read the certificates of the present tokens on the token thread; the answer comes queued."""
        snapshot = self.monitor.snapshot
        role = self.role
        self._match_generation += 1
        generation = self._match_generation
        if snapshot is None or not snapshot.tokens or role is None:
            self._on_matches(generation, ())
            return
        wanted = frozenset(c.sha256 for c in registered_certificates(self._db, self._actor, role))
        try:
            future = self._worker.submit(match_certificates, snapshot.tokens, wanted)
        except RuntimeError:  # the token thread is shut down (the app is quitting)
            return

        def done(f: Future[tuple[TokenMatch, ...]]) -> None:  # on the token thread
            error = f.exception()
            if error is not None:
                log.warning("reading the certificates on the tokens failed: %r", error)
            if shiboken6.isValid(self):
                self._matched.emit(generation, () if error else f.result())

        future.add_done_callback(done)

    @Slot(int, object)
    def _on_matches(self, generation: int, matches: tuple[TokenMatch, ...]) -> None:
        if generation != self._match_generation:
            return
        before = self._signing_sha()
        self._matches = matches
        self._show_token()
        if self._signing_sha() != before or self._view is None:
            self.refresh()

    def _signing_sha(self) -> str | None:
        return self._matches[0].certificate.sha256 if self._matches else None

    def _show_token(self) -> None:
        snapshot = self.monitor.snapshot
        present = snapshot.tokens if snapshot else ()
        demo = self._view.demo if self._view else None
        if self._matches:
            match = self._matches[0]
            text = _("Đã cắm token \u201c{label}\u201d: chứng thư số của {name}, còn hạn đến {date}.").format(
                label=match.token.label, name=match.certificate.common_name,
                date=match.certificate.not_after.strftime("%d/%m/%Y"),
            )  # fmt: skip
            colour, dot = TOKEN_OK, "●"
            note = expiry_note(match.certificate.not_after)
            if note:
                text += " " + note
                colour = TOKEN_OTHER
        elif present:
            labels = ", ".join(f"\u201c{t.label}\u201d" for t in present)
            text = _(
                "Đã cắm token {labels}, nhưng trên đó không có chứng thư số đã đăng ký cho việc ký này."
            ).format(labels=labels)
            if demo is not None:
                text += " " + _("Trường mẫu: sẽ ký bằng chữ ký thử (DEMO).")
            colour, dot = TOKEN_OTHER, "●"
        elif demo is not None:
            text = _("Chưa cắm token. Trường mẫu: ký bằng chữ ký thử (DEMO), không cần token.")
            colour, dot = TOKEN_DEMO, "○"
        elif not self.monitor.modules:
            text = _(
                "Máy này chưa có phần mềm của token chữ ký số. Hãy cài phần mềm của nhà cung cấp, "
                "hoặc chọn thư viện PKCS#11 trong Cài đặt."
            )
            colour, dot = TOKEN_OTHER, "○"
        else:
            text = _("Chưa cắm token. Hãy cắm token chữ ký số của bạn vào máy.")
            colour, dot = TOKEN_NONE, "○"
        self.token_label.setText(f'<span style="color:{colour}; font-size:18pt">{dot}</span>&nbsp; '
                                 f'<span style="color:{colour}">{_html(text)}</span>')

    def token_text(self) -> str:
        return self.token_label.text()

    # --- the plan ------------------------------------------------------------------------------

    def refresh(self) -> None:
        role, scope = self.role, self.scope
        if self._planning:
            self._plan_again = True  # one planning pass at a time, the newest choices win
            return
        if role is None or scope is None:
            self.model.set_rows(())
            self._show_overview(())
            self.counts_label.setText(_("Không có lớp nào để ký với vai trò này."))
            self._update_button()
            return
        self._plan_generation += 1
        generation = self._plan_generation
        token_sha = self._signing_sha()
        db, actor = self._db, self._actor
        self._planning = True
        self._update_button()

        def work() -> PlanView:
            demo = demo_choice(db, actor, role)
            sha = token_sha or (demo.sha256 if demo else None)
            if sha is None:  # no token: show the plan with the newest registered certificate
                registered = registered_certificates(db, actor, role)
                sha = registered[0].sha256 if registered else None
            if sha is None:
                return PlanView((), demo, None)
            return PlanView(desk_plans(db, actor, role, scope.class_ids, sha), demo, sha)

        run_in_background(
            self, work, lambda view: self._show_plan(generation, view),
            lambda exc: self._plan_failed(generation, exc),
        )  # fmt: skip

    def _show_plan(self, generation: int, view: PlanView) -> None:
        if generation != self._plan_generation:
            return
        self._planning = False
        if self._plan_again:
            self._plan_again = False
            self.refresh()
            return
        self._view = view
        self.error_label.hide()
        rows = [
            PlanRow(plan.class_name, item.label, item.status, _sentence(item.reason))
            for plan in view.plans
            for item in plan.items
        ]
        self.model.set_rows(rows)
        self._show_overview(rows if len(view.plans) > 1 else ())
        self.table.resizeRowsToContents()
        if view.certificate_sha256 is None:
            self.counts_label.setText("")
            self._error(_(
                "Bạn chưa có chứng thư số nào được đăng ký trong ứng dụng. Hãy nhờ quản trị viên đăng ký "
                "chứng thư số trên token của bạn, rồi mở lại trang này."
            ))  # fmt: skip
        else:
            counts = {s: sum(1 for r in rows if r.status == s) for s in STATUS_WORDS}
            self.counts_label.setText(
                _("Ký được ngay: {pending}   ·   Đã ký: {done}   ·   Để sau: {skipped}   ·   "
                  "Chưa ký được: {blocked}").format(
                    pending=counts[PENDING], done=counts[DONE], skipped=counts[SKIPPED],
                    blocked=counts[BLOCKED],
                )
            )  # fmt: skip
        self._show_token()
        self._update_button()

    def _plan_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._plan_generation:
            return
        self._planning = False
        if self._plan_again:
            self._plan_again = False
            self.refresh()
            return
        self._view = None
        self.model.set_rows(())
        self._show_overview(())
        self.counts_label.setText("")
        self._error(error_text(exc))
        self._update_button()

    def _show_overview(self, rows: Sequence[PlanRow]) -> None:
        """The class table for a plan over several classes; a single class lists its students directly."""
        self.overview.setVisible(bool(rows))
        self.students_label.setVisible(bool(rows))
        if rows:
            self.overview.show_rows(rows)
        else:
            self._show_class("")

    @Slot(str)
    def _show_class(self, class_name: str) -> None:
        pattern = "" if not class_name else "^" + QRegularExpression.escape(class_name) + "$"
        self.students.setFilterRegularExpression(pattern)
        self.students_label.setText(_("Học sinh lớp {name}:").format(name=class_name) if class_name else "")
        self.table.setColumnHidden(0, bool(class_name))  # the class is named just above the list
        self.table.resizeRowsToContents()

    def shown_rows(self) -> list[PlanRow]:
        """The rows the student list shows now (all of them, or the chosen class's)."""
        return [self.model.rows[self.students.mapToSource(self.students.index(i, 0)).row()]
                for i in range(self.students.rowCount())]  # fmt: skip

    def pending_count(self) -> int:
        return sum(len(p.pending) for p in self._view.plans) if self._view else 0

    def _signer(self) -> tuple[TokenMatch | None, DemoChoice | None]:
        if self._matches:
            return self._matches[0], None
        return None, self._view.demo if self._view else None

    def _update_button(self) -> None:
        pending = self.pending_count()
        token, demo = self._signer()
        ready = not self._planning and not self.runner.busy and pending > 0 and (token or demo) is not None
        if pending and token is None and demo is None:
            self.sign_button.setText(_("Cắm token để ký {n} tài liệu").format(n=pending))
        elif pending:
            self.sign_button.setText(_("Ký {n} tài liệu").format(n=pending))
        elif self._view is not None and any(p.having(BLOCKED) for p in self._view.plans):
            self.sign_button.setText(_("Chưa có tài liệu ký được"))
        else:
            self.sign_button.setText(_("Không có tài liệu cần ký"))
        self.sign_button.setEnabled(ready)

    def _error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    # --- signing ---------------------------------------------------------------------------------

    @Slot()
    def _sign(self) -> None:
        role, scope = self.role, self.scope
        token, demo = self._signer()
        if role is None or scope is None or self._view is None or (token is None and demo is None):
            return
        signer = self._view.plans[0].signer.full_name if self._view.plans else self._actor.full_name
        request = BatchRequest(role, scope.class_ids, signer, token=token, demo=None if token else demo)
        dialog = SigningProgressDialog(self.runner, self)
        self.progress_dialog = dialog
        dialog.finished.connect(lambda _code: dialog.deleteLater())
        self.runner.start(request)
        self._update_button()
        dialog.open()

    @Slot(object)
    def _batch_finished(self, outcome: BatchOutcome) -> None:
        signed = outcome.count("signed")
        if signed:
            self.status_message.emit(_("Đã ký {n} tài liệu.").format(n=signed))
        self.refresh()

    @Slot(object)
    def _batch_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, UserFacingError):
            log.error("signing batch failed", exc_info=exc)
        self.refresh()

    @Slot()
    def _open_corrections(self) -> None:
        try:
            from app.ui.dialogs.correction_approval import CorrectionApprovalDialog
        except ImportError:
            self._error(_("Chức năng duyệt đính chính chưa có trong phiên bản này."))
            return
        dialog = CorrectionApprovalDialog(self._db, self._actor, self)
        dialog.finished.connect(lambda _code: self.refresh())
        dialog.open()


def _sentence(text: str | None) -> str:
    return text[:1].upper() + text[1:] if text else ""


def _html(text: str) -> str:
    import html

    return html.escape(text)
