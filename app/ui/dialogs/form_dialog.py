"""A small form dialog that saves through a service and shows the service's message in place.

The dialog stays open while the write runs off the GUI thread; a `UserFacingError` appears
above the buttons (the typed values stay, nothing is lost) and the field it names gets the
focus; on success the dialog closes with `result_value` holding what the service returned.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError
from app.ui.background import run_in_background
from app.ui.dialogs.change_password_dialog import error_label

# Builds the write from the current field values (on the GUI thread; may raise
# UserFacingError for a check that needs no database) and returns it to run in background.
WorkFactory = Callable[[], Callable[[], object]]


class FormDialog(QDialog):
    def __init__(
        self,
        title: str,
        ok_text: str,
        cancel_text: str,
        *,
        intro: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(560)
        self.busy = False
        self.result_value: object = None
        self._make_work: WorkFactory | None = None
        self.fields: dict[str, QWidget] = {}

        self.form = QFormLayout()
        self.form.setVerticalSpacing(10)
        self.error = error_label()
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(cancel_text, QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 16)
        layout.setSpacing(12)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def add_field(self, key: str, label: str, widget: QWidget) -> None:
        """A labelled field; `key` matches the `field` of the service's errors."""
        self.fields[key] = widget
        self.form.addRow(label, widget)

    def grow_to_fit(self) -> None:
        """Make room for a message that appeared (never shrink what the person enlarged)."""
        hint = self.sizeHint()
        if hint.height() > self.height() or hint.width() > self.width():
            self.resize(max(hint.width(), self.width()), max(hint.height(), self.height()))

    def set_work(self, make_work: WorkFactory) -> None:
        self._make_work = make_work

    def show_error(self, text: str, field: str | None = None) -> None:
        self.error.setText(text)
        self.error.show()
        self.grow_to_fit()
        widget = self.fields.get(field or "")
        if widget is not None:
            widget.setFocus()

    @Slot()
    def submit(self) -> None:
        if self.busy or self._make_work is None:
            return
        try:
            work = self._make_work()
        except UserFacingError as exc:
            self.show_error(exc.message, exc.field)
            return
        self.busy = True
        self.ok_button.setEnabled(False)
        self.setCursor(Qt.CursorShape.WaitCursor)
        run_in_background(self, work, self._done, self._failed)

    def _finish(self) -> None:
        self.busy = False
        self.ok_button.setEnabled(True)
        self.unsetCursor()

    def _done(self, result: object) -> None:
        self._finish()
        self.result_value = result
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        if not isinstance(exc, UserFacingError):
            raise exc
        self.show_error(exc.message, exc.field)
