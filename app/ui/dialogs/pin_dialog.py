"""The PIN dialog, asked from the token thread through a queued signal round trip.

`PinBroker.ask` is called on the token thread (inside `signing_tokens.obtain_pin`): it
emits a signal that reaches the GUI thread queued, and blocks until the dialog answers
(the PIN text, or None when the user cancels or the page goes away). The GUI thread never
waits for the token thread, so the window stays alive while the PIN is typed. The text is
taken out of the field as soon as the dialog closes; the token thread turns it into a
`Pin` (app.signing.pin) that lives only for the batch. Nothing here logs the PIN.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.ui import theme
from app.ui.pages.signing_tokens import PinRequest


def _label(text: str, *, bold: bool = False, scale: float = 1.0) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    font = label.font()
    font.setBold(bold)
    font.setPointSizeF(theme.BASE_POINT_SIZE * scale)
    label.setFont(font)
    return label


class PinDialog(QDialog):
    """Masked PIN entry; shows why the previous PIN was refused and the token's warnings."""

    def __init__(self, request: PinRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Nhập mã PIN của token"))
        self.setModal(True)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        heading = _("Ký {n} tài liệu bằng token \u201c{label}\u201d").format(
            n=request.documents, label=request.token_label
        )
        self.heading_label = _label(heading, bold=True, scale=1.2)
        layout.addWidget(self.heading_label)
        layout.addWidget(_label(_("Người ký: {name}").format(name=request.signer_name)))
        self.error_label = _label(request.error or "")
        self.error_label.setObjectName("pageError")
        self.error_label.setVisible(bool(request.error))
        layout.addWidget(self.error_label)
        self.warning_label = _label(request.warning or "", bold=True)
        self.warning_label.setStyleSheet(f"color: {theme.WARNING_TEXT.name()};")
        self.warning_label.setVisible(bool(request.warning))
        layout.addWidget(self.warning_label)
        layout.addWidget(_label(_("Mã PIN:")))
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setAccessibleName(_("Mã PIN"))
        font = self.pin_edit.font()
        font.setPointSizeF(theme.BASE_POINT_SIZE * 1.4)
        self.pin_edit.setFont(font)
        self.pin_edit.setMinimumHeight(44)
        layout.addWidget(self.pin_edit)
        layout.addWidget(_label(_(
            "Mã PIN chỉ được giữ trong bộ nhớ trong lúc ký đợt này, không được lưu lại."
        )))  # fmt: skip
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(_("Ký"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(_("Huỷ"), QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.pin_edit.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text)))
        layout.addWidget(self.buttons)
        self.pin_edit.setFocus()

    def take_pin(self) -> str | None:
        """The typed PIN if accepted, and the field emptied either way."""
        text = self.pin_edit.text() if self.result() == QDialog.DialogCode.Accepted else None
        self.pin_edit.clear()
        return text or None


@dataclass
class _Reply:
    done: threading.Event = field(default_factory=threading.Event)
    pin: str | None = None


class PinBroker(QObject):
    """Lives on the GUI thread; `ask` is called from the token thread and blocks for the answer."""

    _requested = Signal(object, object)  # PinRequest, _Reply
    dialog_shown = Signal(object)  # the PinDialog (tests and screenshots find it here)

    def __init__(self, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self._parent = dialog_parent
        self._closed = threading.Event()
        self.dialog: PinDialog | None = None
        self._requested.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def ask(self, request: PinRequest) -> str | None:
        if QThread.currentThread() is self.thread():
            raise RuntimeError("PinBroker.ask must not run on the GUI thread (it would wait for itself)")
        if self._closed.is_set():
            return None
        reply = _Reply()
        self._requested.emit(request, reply)
        while not reply.done.wait(0.2):
            if self._closed.is_set():  # the page went away: a cancel, never a hang
                return None
        pin, reply.pin = reply.pin, None
        return pin

    def close(self) -> None:
        self._closed.set()
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.reject()

    @Slot(object, object)
    def _show(self, request: PinRequest, reply: _Reply) -> None:
        if self._closed.is_set() or not shiboken6.isValid(self._parent):
            reply.done.set()
            return
        dialog = PinDialog(request, self._parent)
        self.dialog = dialog

        def finished(_code: int) -> None:
            reply.pin = dialog.take_pin()
            reply.done.set()
            self.dialog = None
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()
        self.dialog_shown.emit(dialog)
