"""The class page's Excel buttons: "Nhập từ Excel…" and "Xuất danh sách lớp…".

Import opens the preview dialog for the class shown (the admin may switch to "the file's
Lớp column" there); it is offered to the admin and to homeroom teachers, for whom the
service allows their own class only. Export writes the class list with masked
identification numbers (what a printed or e-mailed list needs); the full numbers are
exported only from the command line by IT staff (`export class-list --full-ids`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QMessageBox, QPushButton, QWidget

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services.access import Actor
from app.services.class_results import ClassSummary
from app.services.excel_export import ExportResult, export_class_list
from app.services.excel_import import ImportReport
from app.ui.background import run_in_background
from app.ui.dialogs.import_dialog import ImportDialog, weak_callback


class ClassExcelActions(QWidget):
    status_message = Signal(str)
    students_imported = Signal()

    def __init__(
        self,
        db: Database,
        actor: Actor,
        classes: Sequence[ClassSummary],
        current_class: Callable[[], ClassSummary | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._classes = tuple(classes)
        self._current_class = current_class
        self.dialog: ImportDialog | None = None
        self.last_export: ExportResult | None = None
        # Replaced by tests; the real one asks with the system's save dialog.
        self.choose_save_path: Callable[[str], Path | None] = self._ask_save_path

        self.import_button = QPushButton(_("Nhập từ Excel…"))
        self.import_button.setToolTip(
            _("Nhập danh sách học sinh từ tệp Excel (.xlsx), xem trước các lỗi rồi mới ghi.")
        )
        self.import_button.clicked.connect(self.open_import)
        self.import_button.setVisible(actor.is_admin or bool(actor.homeroom_class_ids))
        self.export_button = QPushButton(_("Xuất danh sách lớp…"))
        self.export_button.setToolTip(
            _("Lưu danh sách học sinh của lớp ra tệp Excel (số định danh được che bớt).")
        )
        self.export_button.clicked.connect(self.export_current)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.import_button)
        layout.addWidget(self.export_button)

    def _importable_class_names(self) -> list[str]:
        if self._actor.is_admin:
            return [c.name for c in self._classes]
        return [c.name for c in self._classes if c.id in self._actor.homeroom_class_ids]

    @Slot()
    def open_import(self) -> ImportDialog:
        current = self._current_class()
        dialog = ImportDialog(
            self._db,
            self._actor,
            self._importable_class_names(),
            initial_class=current.name if current else None,
            parent=self.window(),
        )
        dialog.imported.connect(self._on_imported)
        self.dialog = dialog
        dialog.open()
        return dialog

    @Slot(object)
    def _on_imported(self, report: object) -> None:
        assert isinstance(report, ImportReport)
        self.status_message.emit(_("Đã nhập {n} học sinh từ Excel.").format(n=report.imported))
        self.students_imported.emit()

    @Slot()
    def export_current(self) -> None:
        current = self._current_class()
        if current is None:
            return
        path = self.choose_save_path(_("Danh sách lớp {name}.xlsx").format(name=current.name))
        if path is None:
            return
        if path.suffix.lower() != ".xlsx":
            path = path.with_name(path.name + ".xlsx")
        db, actor, class_id, class_name = self._db, self._actor, current.id, current.name
        exported = weak_callback(self._exported)
        self.export_button.setEnabled(False)
        self.status_message.emit(_("Đang xuất danh sách lớp {name}…").format(name=current.name))
        run_in_background(
            self,
            lambda: export_class_list(db, actor, class_id, path),
            lambda result: exported(class_name, result),
            weak_callback(self._export_failed),
        )

    def _exported(self, class_name: str, result: object) -> None:
        assert isinstance(result, ExportResult)
        self.export_button.setEnabled(True)
        self.last_export = result
        self.status_message.emit(
            _("Đã xuất danh sách lớp {name} ({n} học sinh) ra tệp {file}.").format(
                name=class_name, n=result.rows, file=result.path
            )
        )

    def _export_failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        if not isinstance(error, UserFacingError):
            raise error
        QMessageBox.warning(self, _("Chưa xuất được danh sách lớp"), error.message)

    def _ask_save_path(self, suggested: str) -> Path | None:
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Lưu danh sách lớp"), str(Path.home() / suggested), _("Tệp Excel (*.xlsx)")
        )
        return Path(name) if name else None
