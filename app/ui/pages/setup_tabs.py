"""Set-up tabs for the school's structure: classes with their homeroom teachers, and the
subjects of each grade."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.i18n import _
from app.services import school_structure
from app.services.school_setup import ClassInfo, SubjectInfo
from app.ui.dialogs.setup_dialogs import assessment_names, class_dialog, homeroom_dialog, subject_dialog
from app.ui.itemmodels import Column, DataclassTableModel
from app.ui.itemmodels.dataclass_table import ALIGN_CENTER, ALIGN_RIGHT
from app.ui.pages.setup_common import (
    SetupHost,
    button_row,
    fit_columns,
    make_table,
    select_where,
    selected_row,
)


def class_columns() -> tuple[Column, ...]:
    return (
        Column(_("Lớp"), lambda c: c.name),
        Column(_("Khối"), lambda c: str(c.grade), ALIGN_CENTER),
        Column(_("Sĩ số"), lambda c: str(c.students), ALIGN_RIGHT),
        Column(_("Giáo viên chủ nhiệm"), lambda c: c.homeroom_name or _("(chưa có)")),
    )


def subject_columns() -> tuple[Column, ...]:
    names = assessment_names()
    return (
        Column(_("Môn học"), lambda s: s.name),
        Column(_("Số tiết/năm"), lambda s: str(s.lessons_per_year), ALIGN_RIGHT),
        Column(_("Đã có điểm"), lambda s: _("Có") if s.has_results else "", ALIGN_CENTER,
               tooltip=lambda s: _("Môn đã có điểm hoặc nhận xét: không đổi được cách đánh giá, "
                                   "không xoá được.") if s.has_results else None),
        Column(_("Cách đánh giá"), lambda s: names.get(s.assessment, s.assessment)),
    )


class ClassesTab(QWidget):
    def __init__(self, host: SetupHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.model = DataclassTableModel(class_columns(), (), self)
        self.table = make_table(self.model, _("Danh sách lớp"))
        self.add_button = QPushButton(_("Thêm lớp…"))
        self.rename_button = QPushButton(_("Đổi tên…"))
        self.homeroom_button = QPushButton(_("Giáo viên chủ nhiệm…"))
        self.remove_button = QPushButton(_("Xoá lớp"))
        self.add_button.clicked.connect(self.add_class)
        self.rename_button.clicked.connect(self.rename_class)
        self.homeroom_button.clicked.connect(self.change_homeroom)
        self.remove_button.clicked.connect(self.remove_class)
        self.table.doubleClicked.connect(lambda _i: self.change_homeroom())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        layout = QVBoxLayout(self)
        layout.addLayout(button_row(self.add_button, self.rename_button, self.homeroom_button,
                                    self.remove_button))
        layout.addWidget(self.table, 1)
        self.note = QLabel(_("Chỉ xoá được lớp chưa có học sinh và chưa được phân công giảng dạy."))
        self.note.setStyleSheet("color: #555555;")
        layout.addWidget(self.note)

    def refresh(self) -> None:
        chosen = selected_row(self.table)
        self.model.set_rows(self.host.overview.classes)
        fit_columns(self.table)
        if isinstance(chosen, ClassInfo):
            select_where(self.table, lambda c: isinstance(c, ClassInfo) and c.id == chosen.id)
        self.add_button.setEnabled(self.host.overview.year_id is not None and bool(self.host.overview.grades))
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = isinstance(selected_row(self.table), ClassInfo)
        for button in (self.rename_button, self.homeroom_button, self.remove_button):
            button.setEnabled(has)

    def chosen(self) -> ClassInfo | None:
        row = selected_row(self.table)
        return row if isinstance(row, ClassInfo) else None

    @Slot()
    def add_class(self) -> None:
        host = self.host
        host.open_dialog(class_dialog(host.db, host.actor, host.overview, self),
                         lambda c: _("Đã thêm lớp {name}.").format(name=getattr(c, "name", "")))

    @Slot()
    def rename_class(self) -> None:
        klass = self.chosen()
        if klass is not None:
            host = self.host
            host.open_dialog(class_dialog(host.db, host.actor, host.overview, self, klass),
                             _("Đã đổi tên lớp."))

    @Slot()
    def change_homeroom(self) -> None:
        klass = self.chosen()
        if klass is not None:
            host = self.host
            host.open_dialog(homeroom_dialog(host.db, host.actor, host.overview, self, klass),
                             _("Đã lưu giáo viên chủ nhiệm lớp {name}.").format(name=klass.name))

    @Slot()
    def remove_class(self) -> None:
        klass = self.chosen()
        if klass is None:
            return
        if not self.host.confirm(_("Xoá lớp"), _("Xoá lớp {name}?").format(name=klass.name)):
            return
        db, actor = self.host.db, self.host.actor
        self.host.run_write(lambda: school_structure.remove_class(db, actor, klass.id),
                            _("Đã xoá lớp {name}.").format(name=klass.name))


class SubjectsTab(QWidget):
    def __init__(self, host: SetupHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.grade_combo = QComboBox()
        self.grade_combo.currentIndexChanged.connect(lambda _i: self._show_grade())
        self.model = DataclassTableModel(subject_columns(), (), self)
        self.table = make_table(self.model, _("Môn học của khối"))
        self.add_button = QPushButton(_("Thêm môn…"))
        self.edit_button = QPushButton(_("Sửa…"))
        self.remove_button = QPushButton(_("Xoá môn"))
        self.defaults_button = QPushButton(_("Thêm các môn theo chương trình"))
        self.defaults_button.setToolTip(_("Thêm những môn của Chương trình giáo dục phổ thông 2018 "
                                          "mà khối này còn thiếu."))
        self.add_button.clicked.connect(self.add_subject)
        self.edit_button.clicked.connect(self.edit_subject)
        self.remove_button.clicked.connect(self.remove_subject)
        self.defaults_button.clicked.connect(self.add_defaults)
        self.table.doubleClicked.connect(lambda _i: self.edit_subject())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Khối:")))
        top.addWidget(self.grade_combo)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(button_row(self.add_button, self.edit_button, self.remove_button,
                                    self.defaults_button))
        layout.addWidget(self.table, 1)

    def grade(self) -> int | None:
        data = self.grade_combo.currentData()
        return int(data) if data is not None else None

    def refresh(self) -> None:
        current = self.grade()
        self.grade_combo.blockSignals(True)
        self.grade_combo.clear()
        for g in self.host.overview.grades:
            self.grade_combo.addItem(_("Khối {n}").format(n=g.number), g.number)
        index = self.grade_combo.findData(current)
        self.grade_combo.setCurrentIndex(max(0, index))
        self.grade_combo.blockSignals(False)
        self._show_grade()

    def _show_grade(self) -> None:
        chosen = selected_row(self.table)
        grade = self.grade()
        self.model.set_rows(tuple(s for s in self.host.overview.subjects if s.grade == grade))
        fit_columns(self.table)
        if isinstance(chosen, SubjectInfo):
            select_where(self.table, lambda s: isinstance(s, SubjectInfo) and s.id == chosen.id)
        usable = grade is not None and self.host.overview.year_id is not None
        self.add_button.setEnabled(usable)
        self.defaults_button.setEnabled(usable)
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = selected_row(self.table)
        self.edit_button.setEnabled(isinstance(row, SubjectInfo))
        self.remove_button.setEnabled(isinstance(row, SubjectInfo) and not row.has_results)

    def chosen(self) -> SubjectInfo | None:
        row = selected_row(self.table)
        return row if isinstance(row, SubjectInfo) else None

    @Slot()
    def add_subject(self) -> None:
        grade = self.grade()
        if grade is not None:
            host = self.host
            host.open_dialog(subject_dialog(host.db, host.actor, host.overview, self, grade),
                             _("Đã thêm môn học."))

    @Slot()
    def edit_subject(self) -> None:
        subject = self.chosen()
        if subject is not None:
            host = self.host
            host.open_dialog(subject_dialog(host.db, host.actor, host.overview, self, subject.grade, subject),
                             _("Đã lưu môn {name}.").format(name=subject.name))

    @Slot()
    def remove_subject(self) -> None:
        subject = self.chosen()
        if subject is None:
            return
        if not self.host.confirm(_("Xoá môn"), _("Xoá môn {name} của khối {n}?").format(
                name=subject.name, n=subject.grade)):
            return
        db, actor = self.host.db, self.host.actor
        self.host.run_write(lambda: school_structure.remove_subject(db, actor, subject.id),
                            _("Đã xoá môn {name}.").format(name=subject.name))

    @Slot()
    def add_defaults(self) -> None:
        grade, year_id = self.grade(), self.host.overview.year_id
        if grade is None or year_id is None:
            return
        db, actor = self.host.db, self.host.actor

        def told(added: object) -> str:
            count = len(added) if isinstance(added, tuple) else 0
            return (_("Đã thêm {n} môn theo chương trình.").format(n=count) if count
                    else _("Khối này đã có đủ các môn theo chương trình."))

        self.host.run_write(lambda: school_structure.add_default_subjects(db, actor, year_id, grade), told)
