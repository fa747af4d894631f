"""Under the "Ký số" page's token indicator: register the certificate on my token, and expiry ahead.

When a plugged-in token holds a signing certificate registered to nobody, the user can ask
for it to be registered to their own account ("Đăng ký chứng thư này cho tài khoản của
tôi"); the admin confirms or rejects it in Thiết lập trường → Chứng thư số. A request
already waiting, or the admin's reason for the last rejection, is shown instead.

It also names the user's own registered certificates that run out within 30 days when
they are NOT on a plugged token: for a plugged one the indicator above already says so.

The certificates are read on the token thread (TokenWorker.submit); the answer comes back
through a queued signal. The GUI thread makes no PKCS#11 call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future

import shiboken6
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.rules.vnsort import fold
from app.services import certificate_requests as cr
from app.services.access import Actor
from app.signing import tokens
from app.signing.certinfo import CertificateInfo
from app.signing.errors import SigningError
from app.signing.worker import TokenSnapshot, TokenWorker
from app.ui.background import run_in_background
from app.ui.token_thread import TokenMonitor

log = logging.getLogger(__name__)

Found = tuple[tuple[str, CertificateInfo], ...]  # (token label, certificate)


def read_present(present: Sequence[tokens.TokenInfo]) -> Found:
    """Every certificate on the tokens present (ON THE TOKEN THREAD)."""
    found: list[tuple[str, CertificateInfo]] = []
    for token in present:
        try:
            found.extend((token.label, c) for c in tokens.list_certificates(token.module_path, token.ref))
        except SigningError as exc:  # pulled out meanwhile: the next poll tells
            log.info("certificates of token %r not readable: %s", token.label, exc.message)
    return tuple(found)


class CertificateOffer(QWidget):
    _read = Signal(int, object)  # generation, Found (queued from the token thread)

    def __init__(
        self, db: Database, actor: Actor, worker: TokenWorker, monitor: TokenMonitor,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._worker = worker
        self._monitor = monitor
        self._generation = 0
        self._found: Found = ()
        self.offers: tuple[tuple[str, CertificateInfo], ...] = ()

        self.setObjectName("certificateOffer")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.expiry_label = QLabel()
        self.expiry_label.setObjectName("ownExpiry")
        self.expiry_label.setWordWrap(True)
        self.expiry_label.setStyleSheet("color: #a14a00;")
        self.cert_combo = QComboBox()
        self.cert_combo.setAccessibleName(_("Chứng thư số trên token"))
        # Long subjects and serials are cut short in the box, never widen the page.
        self.cert_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.cert_combo.setMinimumContentsLength(40)
        self.request_button = QPushButton(_("Đăng ký chứng thư này cho tài khoản của tôi"))
        self.request_button.setMinimumHeight(int(self.request_button.fontMetrics().height() * 2.0))
        self.request_button.clicked.connect(self.send_request)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.cert_combo, 1)
        row.addWidget(self.request_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addWidget(self.expiry_label)
        self._read.connect(self._on_read, Qt.ConnectionType.QueuedConnection)
        monitor.changed.connect(self._tokens_changed)
        self._show()
        if monitor.snapshot is not None:
            self._tokens_changed(monitor.snapshot)

    @Slot(object)
    def _tokens_changed(self, snapshot: TokenSnapshot) -> None:
        self._generation += 1
        generation = self._generation
        if not snapshot.tokens:
            self._on_read(generation, ())
            return
        try:
            future = self._worker.submit(read_present, snapshot.tokens)
        except RuntimeError:  # the token thread is shut down (the app is quitting)
            return

        def done(f: Future[Found]) -> None:  # on the token thread
            error = f.exception()
            if error is not None:
                log.warning("reading the certificates on the tokens failed: %r", error)
            if shiboken6.isValid(self):
                self._read.emit(generation, () if error else f.result())

        future.add_done_callback(done)

    @Slot(int, object)
    def _on_read(self, generation: int, found: Found) -> None:
        if generation != self._generation:
            return
        self._found = found
        self._show()

    def _show(self, notice: str | None = None, *, error: bool = False) -> None:
        statuses = cr.look_up_token_certificates(self._db, self._actor, [c for _label, c in self._found])
        labels = [label for label, _c in self._found]
        offers = [(label, s.info) for label, s in zip(labels, statuses, strict=True) if s.offerable]
        # The certificate in the user's own name first (CAs write it with or without diacritics).
        me = fold(self._actor.full_name)
        offers.sort(key=lambda o: (me in fold(o[1].common_name), o[1].not_after), reverse=True)
        waiting = [(label, s.info) for label, s in zip(labels, statuses, strict=True) if s.requested_by_me]
        self.offers = tuple(offers)
        self.cert_combo.clear()
        for label, info in offers:
            self.cert_combo.addItem(
                _("{name} — token “{label}”, hết hạn {date}, số sê-ri {serial}").format(
                    name=info.common_name, serial=info.serial_number,
                    date=info.not_after.astimezone().strftime("%d/%m/%Y"), label=label,
                )
            )  # fmt: skip
        self.cert_combo.setVisible(len(offers) > 1)
        self.request_button.setVisible(bool(offers))
        self.request_button.setEnabled(bool(offers))

        lines = []
        if notice:
            lines.append(notice)
        if offers:
            label, info = offers[0]
            if len(offers) == 1:
                lines.append(_(
                    "Token “{label}” có chứng thư số của {name} chưa đăng ký cho ai. "
                    "Nếu đây là token của bạn, hãy gửi yêu cầu đăng ký; quản trị viên sẽ xác nhận."
                ).format(label=label, name=info.common_name))  # fmt: skip
            else:
                lines.append(_(
                    "Token đang cắm có chứng thư số chưa đăng ký cho ai. Chọn chứng thư của bạn rồi gửi "
                    "yêu cầu đăng ký; quản trị viên sẽ xác nhận."
                ))  # fmt: skip
            for _label, info in offers:
                note = cr.latest_rejection(self._db, self._actor, info.sha256)
                if note:
                    lines.append(_("Lần trước quản trị viên đã từ chối: {note}").format(note=note))
                    break
        if waiting and not notice:
            label, info = waiting[0]
            lines.append(_(
                "Đã gửi yêu cầu đăng ký chứng thư số của {name} (token “{label}”): đang chờ quản trị viên "
                "xác nhận."
            ).format(name=info.common_name, label=label))  # fmt: skip
        self.message.setText("\n".join(lines))
        self.message.setStyleSheet("color: #a1121f;" if error else "")
        self.message.setVisible(bool(lines))

        plugged = {c.sha256 for _label, c in self._found}
        own = [
            r for r in cr.expiring_certificates(self._db, self._actor)
            if not r.is_seal and r.holder == self._actor.login and r.sha256 not in plugged
        ]  # fmt: skip
        texts = []
        for row in own:
            date = row.not_after.astimezone().strftime("%d/%m/%Y")
            if row.state() == cr.EXPIRED:
                texts.append(_("Chứng thư số của bạn (số sê-ri {serial}) đã hết hạn ngày {date}.").format(
                    serial=row.serial_hex, date=date))  # fmt: skip
            else:
                texts.append(_(
                    "Chứng thư số của bạn (số sê-ri {serial}) hết hạn ngày {date}, còn {days} ngày: "
                    "hãy liên hệ nhà cung cấp để gia hạn sớm."
                ).format(serial=row.serial_hex, date=date, days=max(0, row.days_left())))  # fmt: skip
        self.expiry_label.setText("\n".join(texts))
        self.expiry_label.setVisible(bool(texts))
        self.setVisible(bool(lines or texts))

    def message_text(self) -> str:
        return self.message.text() if self.message.isVisible() else ""

    @Slot()
    def send_request(self) -> None:
        index = max(0, self.cert_combo.currentIndex())
        if index >= len(self.offers):
            return
        label, info = self.offers[index]
        db, actor = self._db, self._actor
        self.request_button.setEnabled(False)

        def done(result: object) -> None:
            self._show(_(
                "Đã gửi yêu cầu đăng ký chứng thư số của {name}. Quản trị viên sẽ xác nhận trong Thiết lập "
                "trường → Chứng thư số; sau đó bạn ký được bằng token này."
            ).format(name=info.common_name))  # fmt: skip

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, UserFacingError):
                log.error("certificate request failed", exc_info=exc)
                self._show(_("Không gửi được yêu cầu. Hãy thử lại."), error=True)
                return
            self._show(exc.message, error=True)

        run_in_background(
            self, lambda: cr.request_registration(db, actor, info.der, token_label=label), done, failed
        )
