"""Hand a teacher's classes and subjects over to a replacement (retirement, leave, transfer).

Lists what the teacher leads and teaches this year, all ticked; the admin picks the
replacement, may untick items that go to someone else, and writes the reason. What the
teacher already signed is not touched and stays theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QListWidget, QListWidgetItem, QWidget

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.services import school_staffing
from app.services.access import Actor
from app.services.school_setup import StaffInfo
from app.services.school_staffing import HandoverItem, HandoverPlan
from app.ui.dialogs.form_dialog import FormDialog
from app.ui.dialogs.setup_dialogs import teacher_combo, text_field


def item_text(item: HandoverItem) -> str:
    if item.kind == "homeroom":
        text = _("Chủ nhiệm lớp {name}").format(name=item.class_name)
    else:
        text = _("{subject} — lớp {name}").format(subject=item.subject_name, name=item.class_name)
    return text + (_(" (đã khoá sổ)") if item.locked else "")


class HandoverDialog(FormDialog):
    def __init__(
        self,
        db: Database,
        actor: Actor,
        plan: HandoverPlan,
        staff: tuple[StaffInfo, ...],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            _("Bàn giao công việc của {name}").format(name=plan.teacher_name),
            _("Bàn giao"),
            _("Huỷ"),
            parent=parent,
            intro=_("Các lớp và môn được đánh dấu sẽ chuyển cho người nhận từ bây giờ (năm học {year}). "
                    "Những gì {name} đã ký vẫn mang chữ ký của {name}.").format(
                        year=plan.year_name.replace("-", "–"), name=plan.teacher_name),
        )
        self.plan = plan
        others = tuple(p for p in staff if p.user_id != plan.teacher_id)
        self.target: QComboBox = teacher_combo(others, None, none_text=_("— Chọn người nhận —"))
        self.items = QListWidget()
        self.items.setMinimumHeight(self.items.fontMetrics().height() * 9)
        for item in plan.items:
            row = QListWidgetItem(item_text(item))
            row.setData(Qt.ItemDataRole.UserRole, (item.kind, item.id))
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked)
            self.items.addItem(row)
        self.reason = text_field()
        self.reason.setPlaceholderText(_("Ví dụ: nghỉ hưu, nghỉ thai sản, chuyển trường"))
        self.add_field("teacher", _("Người nhận:"), self.target)
        if plan.items:
            self.add_field("items", _("Bàn giao:"), self.items)
        else:
            self.add_field("items", _("Bàn giao:"),
                           QLabel(_("{name} không chủ nhiệm hay dạy lớp nào trong năm học này.")
                                  .format(name=plan.teacher_name)))
            self.items.hide()
            self.ok_button.setEnabled(False)
        self.add_field("reason", _("Lí do:"), self.reason)
        self.set_work(self._make_work_for(db, actor))

    def chosen_items(self) -> list[tuple[str, int]]:
        return [
            tuple(self.items.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.items.count())
            if self.items.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _make_work_for(self, db: Database, actor: Actor) -> Callable[[], Callable[[], object]]:
        def make() -> Callable[[], object]:
            target = self.target.currentData()
            if target is None:
                raise UserFacingError(_("Hãy chọn người nhận bàn giao."), field="teacher")
            chosen = self.chosen_items()
            if not chosen:
                raise UserFacingError(_("Hãy đánh dấu ít nhất một lớp hoặc môn để bàn giao."), field="items")
            reason = self.reason.text()
            source = self.plan.teacher_id
            return lambda: school_staffing.handover(
                db, actor, source, int(target), reason=reason, item_ids=chosen
            )

        return make
