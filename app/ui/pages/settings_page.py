"""Settings of this PC (language, idle lock, data folder, token modules) and About.

Settings live in settings.json in the data folder (app.config), not in the school's
database: they belong to the machine. Everyone may switch the language; the idle lock and
the token module list protect the shared PC, so only an admin changes them (the others see
them read-only). Each change is saved at once and announced with `settings_changed`.
"""

from __future__ import annotations

import logging
import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import __version__, config
from app.i18n import _
from app.paths import default_data_dir
from app.signing import modules as pkcs11_modules
from app.ui import theme
from app.ui.context import UiContext
from app.ui.encryption_box import EncryptionBox

log = logging.getLogger(__name__)

LANGUAGES = (("vi", "Tiếng Việt"), ("en", "English"))
MAX_IDLE_MINUTES = 240


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #555555;")
    return label


def _form(box: QGroupBox) -> QFormLayout:
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
    form.setVerticalSpacing(10)
    return form


def _selectable(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(
        label.textInteractionFlags() | Qt.TextInteractionFlag.TextSelectableByMouse
    )
    return label


class SettingsPage(QWidget):
    settings_changed = Signal(object)  # app.config.Settings

    def __init__(self, context: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.data_dir = context.data_dir or default_data_dir()
        self.settings = config.load(self.data_dir)
        self.can_edit_machine = context.actor.is_admin

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 12, 16, 16)
        column.setSpacing(14)
        title = QLabel(_("Cài đặt"))
        title_font = title.font()
        title_font.setPointSizeF(theme.HEADER_POINT_SIZE)
        title_font.setBold(True)
        title.setFont(title_font)
        column.addWidget(title)
        # Two columns: the whole page fits a 1366×768 screen without scrolling.
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(14)
        grid.addWidget(self._language_box(), 0, 0)
        grid.addWidget(self._idle_box(), 1, 0)
        grid.addWidget(self._data_box(), 2, 0)
        grid.addWidget(self._pkcs11_box(), 0, 1, 2, 1)
        grid.addWidget(self._about_box(), 2, 1)
        self.encryption_box = EncryptionBox(context)  # encryption at rest (app.ui.encryption_box)
        grid.addWidget(self.encryption_box, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(4, 1)
        column.addLayout(grid, 1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    # -- sections ----------------------------------------------------------------------------

    def _language_box(self) -> QGroupBox:
        box = QGroupBox(_("Ngôn ngữ"))
        self.language_combo = QComboBox()
        for code, name in LANGUAGES:
            self.language_combo.addItem(name, code)
        index = self.language_combo.findData(self.settings.language)
        self.language_combo.setCurrentIndex(max(0, index))
        self.language_combo.currentIndexChanged.connect(self._language_changed)
        self.language_note = _note(
            _("Ngôn ngữ mới được dùng từ lần mở ứng dụng sau. Học bạ và biểu mẫu luôn bằng tiếng Việt.")
        )
        form = _form(box)
        form.addRow(_("Ngôn ngữ giao diện:"), self.language_combo)
        form.addRow(self.language_note)
        return box

    def _idle_box(self) -> QGroupBox:
        box = QGroupBox(_("Khoá màn hình khi không dùng"))
        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(1, MAX_IDLE_MINUTES)
        self.idle_spin.setSuffix(_(" phút"))
        self.idle_spin.setValue(self.settings.idle_lock_minutes or 10)
        self.idle_off = QCheckBox(_("Không tự khoá (chỉ nên dùng ở máy riêng)"))
        self.idle_off.setChecked(self.settings.idle_lock_minutes == 0)
        self.idle_spin.setEnabled(self.can_edit_machine and not self.idle_off.isChecked())
        self.idle_off.setEnabled(self.can_edit_machine)
        self.idle_spin.valueChanged.connect(self._idle_changed)
        self.idle_off.toggled.connect(self._idle_changed)
        form = _form(box)
        form.addRow(_("Tự khoá sau:"), self.idle_spin)
        form.addRow(self.idle_off)
        form.addRow(_note(_(
            "Máy dùng chung ở trường: khi khoá, dữ liệu học sinh được ẩn đi; người đang dùng "
            "nhập lại mật khẩu để tiếp tục, hoặc người khác đăng nhập."
        )))
        if not self.can_edit_machine:
            form.addRow(_note(_("Chỉ cán bộ quản trị đổi được mục này.")))
        return box

    def _data_box(self) -> QGroupBox:
        box = QGroupBox(_("Dữ liệu"))
        database = self.context.database_path
        self.data_dir_label = _selectable(str(self.data_dir))
        self.database_label = _selectable(str(database) if database else _("(không rõ)"))
        for label in (self.data_dir_label, self.database_label):
            # Long paths wrap instead of widening the page (which would need a side scroll bar).
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance("m") * 16)
        open_button = QPushButton(_("Mở thư mục dữ liệu"))
        open_button.clicked.connect(self._open_data_dir)
        form = _form(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_("Thư mục dữ liệu:"), self.data_dir_label)
        form.addRow(_("Tệp dữ liệu đang mở:"), self.database_label)
        open_row = QHBoxLayout()
        open_row.addWidget(open_button)
        open_row.addStretch(1)
        form.addRow("", open_row)
        form.addRow(_note(_(
            "Dữ liệu nằm trên máy này, không cần mạng. Đừng chép tệp dữ liệu khi ứng dụng đang mở; "
            "hãy dùng chức năng sao lưu."
        )))
        return box

    def _pkcs11_box(self) -> QGroupBox:
        box = QGroupBox(_("Chữ ký số: thư viện PKCS#11 của token"))
        self.module_list = QListWidget()
        self.module_list.addItems(list(self.settings.pkcs11_modules))
        self.module_list.setMinimumHeight(self.module_list.fontMetrics().height() * 4)
        self.module_list.setMaximumHeight(self.module_list.fontMetrics().height() * 8)
        self.module_list.setAccessibleName(_("Thư viện PKCS#11"))
        self.add_module_button = QPushButton(_("Thêm tệp…"))
        self.find_modules_button = QPushButton(_("Tìm trên máy"))
        self.remove_module_button = QPushButton(_("Bỏ khỏi danh sách"))
        self.add_module_button.clicked.connect(self._add_module)
        self.find_modules_button.clicked.connect(self._find_modules)
        self.remove_module_button.clicked.connect(self._remove_module)
        buttons = QHBoxLayout()
        for button in (self.add_module_button, self.find_modules_button, self.remove_module_button):
            button.setEnabled(self.can_edit_machine)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addWidget(_note(_(
            "Tệp thư viện (.dll) đi kèm token chữ ký số của nhà cung cấp (VNPT-CA, Viettel-CA, "
            "…). Dùng khi ký học bạ; để trống thì ứng dụng tự tìm."
        )))
        layout.addWidget(self.module_list)
        layout.addLayout(buttons)
        self.module_message = _note("")
        self.module_message.hide()
        layout.addWidget(self.module_message)
        return box

    def _about_box(self) -> QGroupBox:
        box = QGroupBox(_("Giới thiệu"))
        self.version_label = QLabel(_("Học bạ số — phiên bản {version}").format(version=__version__))
        font = self.version_label.font()
        font.setBold(True)
        font.setPointSizeF(theme.BASE_POINT_SIZE * 1.15)
        self.version_label.setFont(font)
        layout = QVBoxLayout(box)
        layout.addWidget(self.version_label)
        layout.addWidget(_selectable(_(
            "Sổ học bạ điện tử cho nhà trường, chạy được cả khi không có mạng. Kết quả học tập và "
            "rèn luyện được tính theo Thông tư 22/2021 và Thông tư 27/2020 của Bộ Giáo dục và Đào tạo."
        )))
        layout.addWidget(_selectable(
            _("Python {python} · Qt {qt} · {system}").format(
                python=platform.python_version(), qt=PySide6.__version__,
                system=f"{platform.system()} {platform.release()}",
            )
        ))
        layout.addWidget(_note(_(
            "Phông chữ Noto Sans và Noto Serif theo giấy phép SIL Open Font License 1.1."
        )))
        return box

    # -- saving ------------------------------------------------------------------------------

    def _save(self, settings: config.Settings) -> None:
        self.settings = settings
        config.save(self.data_dir, settings)
        log.info("settings saved: language=%s idle=%s modules=%d", settings.language,
                 settings.idle_lock_minutes, len(settings.pkcs11_modules))
        self.settings_changed.emit(settings)

    @Slot(int)
    def _language_changed(self, _index: int) -> None:
        code = str(self.language_combo.currentData())
        if code != self.settings.language:
            self._save(self.settings.with_changes(language=code))

    @Slot()
    def _idle_changed(self) -> None:
        off = self.idle_off.isChecked()
        self.idle_spin.setEnabled(self.can_edit_machine and not off)
        minutes = 0 if off else self.idle_spin.value()
        if minutes != self.settings.idle_lock_minutes:
            self._save(self.settings.with_changes(idle_lock_minutes=minutes))

    def _modules(self) -> tuple[str, ...]:
        return tuple(self.module_list.item(i).text() for i in range(self.module_list.count()))

    def add_module_paths(self, paths: list[str]) -> int:
        """Add paths not yet listed; returns how many were added."""
        current = list(self._modules())
        added = [p for p in dict.fromkeys(paths) if p and p not in current]
        if added:
            self.module_list.addItems(added)
            self._save(self.settings.with_changes(pkcs11_modules=tuple(current + added)))
        return len(added)

    @Slot()
    def _add_module(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Chọn thư viện PKCS#11 của token"), "",
            _("Thư viện (*.dll *.so *.dylib);;Mọi tệp (*)"),
        )
        if path:
            self.add_module_paths([path])

    @Slot()
    def _find_modules(self) -> None:
        found = [str(p) for _vendor, p in pkcs11_modules.probe()]
        added = self.add_module_paths(found)
        self.module_message.setText(
            _("Đã thêm {n} thư viện tìm thấy trên máy.").format(n=added)
            if added
            else _("Không tìm thấy thư viện mới nào. Hãy cài phần mềm của token rồi thử lại, "
                   "hoặc chọn tệp bằng nút “Thêm tệp…”.")
        )
        self.module_message.show()

    @Slot()
    def _remove_module(self) -> None:
        row = self.module_list.currentRow()
        if row < 0:
            return
        self.module_list.takeItem(row)
        self._save(self.settings.with_changes(pkcs11_modules=self._modules()))

    @Slot()
    def _open_data_dir(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.data_dir))))
