"""The set-up page's small dialogs: new school year, class, homeroom teacher, subject,
teaching assignment. Each builds its service call from its fields (see FormDialog)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QListWidget, QListWidgetItem, QSpinBox, QWidget

from app.errors import UserFacingError
from app.i18n import _
from app.models.db import Database
from app.rules import curriculum
from app.services import school_calendar, school_staffing, school_structure
from app.services.access import Actor
from app.services.school_setup import ClassInfo, SetupOverview, StaffInfo, SubjectInfo
from app.ui.dialogs.form_dialog import FormDialog


def assessment_names() -> dict[str, str]:
    return {
        "score": _("Điểm số (0–10)"),
        "comment": _("Nhận xét (Đạt / Chưa đạt)"),
        "level": _("Mức độ hoàn thành (tiểu học)"),
    }


def text_field(value: str = "") -> QLineEdit:
    field = QLineEdit(value)
    field.setMinimumWidth(field.fontMetrics().horizontalAdvance("m") * 22)
    return field


def teacher_combo(staff: Sequence[StaffInfo], current: int | None, *, none_text: str | None) -> QComboBox:
    combo = QComboBox()
    if none_text is not None:
        combo.addItem(none_text, None)
    for person in staff:
        if person.active:
            combo.addItem(f"{person.full_name} ({person.login})", person.user_id)
    index = combo.findData(current)
    combo.setCurrentIndex(max(0, index))
    return combo


def new_year_dialog(db: Database, actor: Actor, overview: SetupOverview, parent: QWidget) -> FormDialog:
    latest = max((int(y.name[:4]) for y in overview.years), default=2025)
    dialog = FormDialog(
        _("Năm học mới"), _("Tạo năm học"), _("Huỷ"), parent=parent,
        intro=_("Năm học mới có hai học kì. Môn học của từng khối được chép từ năm học gần nhất; "
                "lớp học và phân công cần tạo lại cho năm mới."),
    )
    year = QSpinBox()
    year.setRange(2000, 2100)
    year.setValue(latest + 1)
    dialog.add_field("start_year", _("Năm bắt đầu:"), year)
    dialog.set_work(lambda: lambda: school_calendar.create_school_year(db, actor, year.value()))
    return dialog


def class_dialog(
    db: Database, actor: Actor, overview: SetupOverview, parent: QWidget, klass: ClassInfo | None = None
) -> FormDialog:
    """Create a class (klass None) or rename one."""
    creating = klass is None
    dialog = FormDialog(
        _("Thêm lớp") if creating else _("Đổi tên lớp"), _("Lưu"), _("Huỷ"), parent=parent,
        intro=_("Tên lớp bắt đầu bằng số khối, ví dụ 6A1, 7A2 hoặc 1A."),
    )
    grade = QComboBox()
    for g in overview.grades:
        grade.addItem(_("Khối {n}").format(n=g.number), g.number)
    name = text_field(klass.name if klass else "")
    if creating:
        dialog.add_field("grade", _("Khối:"), grade)
    dialog.add_field("name", _("Tên lớp:"), name)
    year_id = overview.year_id

    def make() -> Callable[[], object]:
        if creating:
            if year_id is None:
                raise UserFacingError(_("Hãy tạo năm học trước."))
            number = int(grade.currentData())
            return lambda: school_structure.create_class(db, actor, year_id, number, name.text())
        assert klass is not None
        return lambda: school_structure.rename_class(db, actor, klass.id, name.text())

    dialog.set_work(make)
    name.setFocus()
    return dialog


def homeroom_dialog(
    db: Database, actor: Actor, overview: SetupOverview, parent: QWidget, klass: ClassInfo
) -> FormDialog:
    dialog = FormDialog(
        _("Giáo viên chủ nhiệm lớp {name}").format(name=klass.name), _("Lưu"), _("Huỷ"), parent=parent,
        intro=_("Giáo viên chủ nhiệm nhập rèn luyện, chuyên cần, nhận xét và ký học bạ của lớp."),
    )
    combo = teacher_combo(overview.staff, klass.homeroom_id, none_text=_("(Chưa có giáo viên chủ nhiệm)"))
    dialog.add_field("teacher", _("Giáo viên:"), combo)
    dialog.set_work(lambda: lambda: school_staffing.set_homeroom(db, actor, klass.id, combo.currentData()))
    return dialog


def subject_dialog(
    db: Database,
    actor: Actor,
    overview: SetupOverview,
    parent: QWidget,
    grade_number: int,
    subject: SubjectInfo | None = None,
) -> FormDialog:
    creating = subject is None
    dialog = FormDialog(
        _("Thêm môn học cho khối {n}").format(n=grade_number) if creating
        else _("Sửa môn {name}").format(name=subject.name if subject else ""),
        _("Lưu"), _("Huỷ"), parent=parent,
    )
    name = text_field(subject.name if subject else "")
    lessons = QSpinBox()
    lessons.setRange(0, 1000)
    lessons.setValue(subject.lessons_per_year if subject else 35)
    lessons.setSuffix(_(" tiết/năm"))
    assessment = QComboBox()
    primary = curriculum.level_of_grade(grade_number) == "tieuhoc"
    for code, label in assessment_names().items():
        if (code == "level") == primary:
            assessment.addItem(label, code)
    if subject is not None:
        assessment.setCurrentIndex(max(0, assessment.findData(subject.assessment)))
        assessment.setEnabled(not subject.has_results)
        if subject.has_results:
            assessment.setToolTip(_("Môn đã có điểm hoặc nhận xét nên không đổi được cách đánh giá."))
    dialog.add_field("name", _("Tên môn:"), name)
    dialog.add_field("lessons_per_year", _("Số tiết:"), lessons)
    dialog.add_field("assessment", _("Cách đánh giá:"), assessment)
    year_id = overview.year_id

    def make() -> Callable[[], object]:
        kind = str(assessment.currentData())
        if subject is None:
            if year_id is None:
                raise UserFacingError(_("Hãy tạo năm học trước."))
            return lambda: school_structure.add_subject(
                db, actor, year_id, grade_number, name=name.text(), lessons_per_year=lessons.value(),
                assessment=kind,
            )
        return lambda: school_structure.update_subject(
            db, actor, subject.id, name=name.text(), lessons_per_year=lessons.value(),
            assessment=kind if assessment.isEnabled() else None,
        )

    dialog.set_work(make)
    return dialog


def assign_dialog(
    db: Database, actor: Actor, overview: SetupOverview, parent: QWidget, teacher: StaffInfo
) -> FormDialog:
    """Give a teacher one subject in several classes of its grade."""
    dialog = FormDialog(
        _("Phân công giảng dạy cho {name}").format(name=teacher.full_name), _("Phân công"), _("Huỷ"),
        parent=parent,
        intro=_("Chọn môn, rồi đánh dấu các lớp. Lớp đang do người khác dạy môn này sẽ chuyển sang "
                "giáo viên được chọn."),
    )
    subject = QComboBox()
    seen: set[tuple[int, str]] = set()
    for s in overview.subjects:
        if (s.grade, s.name) not in seen:
            seen.add((s.grade, s.name))
            subject.addItem(_("Khối {n}: {name}").format(n=s.grade, name=s.name), s.id)
    classes = QListWidget()
    classes.setMinimumHeight(classes.fontMetrics().height() * 8)
    taught = {(a.class_id, a.subject_id): a.teacher_name for a in overview.assignments}
    by_id = {s.id: s for s in overview.subjects}

    def fill() -> None:
        classes.clear()
        chosen = by_id.get(subject.currentData())
        if chosen is None:
            return
        for klass in overview.classes:
            if klass.grade != chosen.grade:
                continue
            now = taught.get((klass.id, chosen.id))
            text = klass.name if now is None else _("{name} (đang dạy: {teacher})").format(
                name=klass.name, teacher=now)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, klass.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            classes.addItem(item)

    subject.currentIndexChanged.connect(lambda _i: fill())
    fill()
    dialog.add_field("subject", _("Môn:"), subject)
    dialog.add_field("classes", _("Lớp:"), classes)

    def make() -> Callable[[], object]:
        subject_id = int(subject.currentData())
        pairs = [
            (int(classes.item(i).data(Qt.ItemDataRole.UserRole)), subject_id)
            for i in range(classes.count())
            if classes.item(i).checkState() == Qt.CheckState.Checked
        ]
        return lambda: school_staffing.assign_teaching(db, actor, teacher.user_id, pairs)

    dialog.set_work(make)
    return dialog
