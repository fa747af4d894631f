"""The correction dialogs on a real issued demo class, offscreen: the homeroom teacher asks (from the
homeroom page), the principal approves or rejects; screenshots in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models import UserAccount
from app.services import corrections
from app.services.access import Actor
from app.services.accounts import actor_for
from app.services.class_results import school_overview
from app.ui.dialogs.correction_approval import CorrectionApprovalDialog
from app.ui.dialogs.correction_request import CorrectionRequestDialog
from app.ui.pages.homeroom_page import HomeroomPage
from tests.services.signing_data import DemoClass, make_demo_class

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path_factory.mktemp("corrections-ui"), students=3)
    demo.issue_all()
    yield demo
    demo.db.dispose()


def _actor(demo: DemoClass, login: str) -> Actor:
    with demo.db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
    assert user_id is not None
    return actor_for(demo.db, user_id)


def test_request_from_the_homeroom_page(qtbot: QtBot, issued: DemoClass, artifacts_dir: Path) -> None:
    actor = _actor(issued, issued.homeroom)
    page = HomeroomPage(issued.db, actor, school_overview(issued.db, actor).classes)
    qtbot.addWidget(page)
    page.resize(1115, 740)
    page.show()
    assert page.select_class(issued.class_id)
    assert page.correction_button.isEnabled()  # the class's records are issued
    page.grab().save(str(artifacts_dir / "homeroom_correction_button.png"))
    page.correction_button.click()
    dialog = page.correction_dialog
    assert isinstance(dialog, CorrectionRequestDialog)
    qtbot.waitExposed(dialog)
    first = dialog.selected()
    assert first is not None and first.can_request
    assert not dialog.send_button.isEnabled()  # no reason yet
    assert "Phiên bản 1" in dialog.history.toPlainText() and "đã phát hành" in dialog.history.toPlainText()
    dialog.reason.setPlainText("ngắn")
    dialog.send_button.click()
    assert dialog.message.isVisible() and "ít nhất" in dialog.message.text()  # refused, said why
    with qtbot.waitSignal(dialog.requested, timeout=5_000) as sent:
        dialog.reason.setPlainText("Nhập nhầm điểm cuối kì II môn Toán: 6,5 thành 8,5")
        dialog.send_button.click()
    made = sent.args[0]
    assert made.student_id == first.student_id and made.state == "requested"
    again = next(r for r in dialog.model.rows if r.student_id == first.student_id)
    assert not again.can_request and "chờ phê duyệt" in again.status_text
    position = next(i for i, r in enumerate(dialog.model.rows) if r.student_id == first.student_id)
    dialog.table.selectRow(position)
    assert "Đề nghị đính chính" in dialog.history.toPlainText()
    dialog.grab().save(str(artifacts_dir / "correction_request.png"))
    dialog.close()


def test_approval_lists_approves_and_rejects(qtbot: QtBot, issued: DemoClass, artifacts_dir: Path) -> None:
    homeroom = _actor(issued, issued.homeroom)
    states = corrections.class_record_states(issued.db, homeroom, issued.class_id)
    free = [r for r in states if r.can_request]
    assert len(free) >= 2
    reasons = ("Sai điểm trung bình môn Tin học", "Sai số ngày nghỉ học kì I")
    for row, reason in zip(free[:2], reasons, strict=True):
        corrections.request_correction(issued.db, homeroom, issued.class_id, row.student_id, reason)
    dialog = CorrectionApprovalDialog(issued.db, _actor(issued, issued.principal))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    pending = dialog.model.rows
    assert len(pending) >= 2 and all(c.state == "requested" for c in pending)
    assert dialog.approve_button.isEnabled() and not dialog.reject_button.isEnabled()  # no note yet
    assert "Phiên bản 1" in dialog.details.toPlainText()
    dialog.grab().save(str(artifacts_dir / "correction_approval.png"))

    chosen = dialog.selected()
    assert chosen is not None
    with qtbot.waitSignal(dialog.decided, timeout=5_000) as decided:
        dialog.approve_button.click()
    assert decided.args[0].uuid == chosen.uuid and decided.args[0].state == "approved"
    assert "phiên bản 2" in dialog.message.text()
    assert chosen.uuid not in {c.uuid for c in dialog.model.rows}

    second = dialog.selected()
    assert second is not None
    dialog.note.setText("Số ngày nghỉ trong sổ đúng")
    with qtbot.waitSignal(dialog.decided, timeout=5_000) as decided:
        dialog.reject_button.click()
    rejected = decided.args[0]
    assert rejected.state == "rejected" and rejected.decision_note == "Số ngày nghỉ trong sổ đúng"
    remaining = {c.uuid for c in dialog.model.rows}
    assert second.uuid not in remaining
    dialog.grab().save(str(artifacts_dir / "correction_approval_after.png"))


def test_approval_dialog_refuses_a_teacher(qtbot: QtBot, issued: DemoClass) -> None:
    dialog = CorrectionApprovalDialog(issued.db, _actor(issued, issued.homeroom))
    qtbot.addWidget(dialog)
    assert dialog.model.rows == () and dialog.message.text().startswith("Chỉ hiệu trưởng")
    assert not dialog.approve_button.isEnabled()
