"""The transfer dialogs on real demo schools: out (make and seal a package), in (check, accept, override)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models import ReceivedDocument, TransferIn
from app.models.db import Database
from app.models.people import ROLE_CLERK, ROLE_PRINCIPAL
from app.services.access import SYSTEM
from app.services.transfer_out import export_transfer
from app.ui.dialogs.transfer_in import TransferInDialog
from app.ui.dialogs.transfer_out import TransferOutDialog
from tests.services.transfer_data import (
    B_NAME,
    Templates,
    actor_with_role,
    copy_school,
    make_templates,
    student_ids,
)

pytestmark = [pytest.mark.qt, pytest.mark.slow]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Templates, Path, Path]:
    """The two schools, a package from A (made by the service) and A's demo root as a PEM file."""
    root = tmp_path_factory.mktemp("transfer-ui")
    templates = make_templates(root / "templates")
    a = copy_school(templates.a, root / "a")
    try:
        package = root / "hs.hbt"
        export_transfer(
            a, SYSTEM, student_ids(a)[0], package, destination=B_NAME, transfer_date=date(2026, 12, 1)
        )
    finally:
        a.dispose()
    return templates, package, root / "a" / "demo-pki" / "demo-root.pem"


@pytest.fixture
def b_db(setup: tuple[Templates, Path, Path], tmp_path: Path) -> Iterator[Database]:
    db = copy_school(setup[0].b, tmp_path / "b")
    yield db
    db.dispose()


def _shot(widget: TransferInDialog | TransferOutDialog, artifacts: Path, name: str) -> None:
    widget.grab().save(str(artifacts / name))


def test_transfer_in_untrusted_then_trusted_then_accepted(
    ui_app: QApplication,
    qtbot: QtBot,
    setup: tuple[Templates, Path, Path],
    b_db: Database,
    artifacts_dir: Path,
) -> None:
    _templates, package, root = setup
    dialog = TransferInDialog(b_db, actor_with_role(b_db, ROLE_CLERK))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load(package)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=120_000)
    assert dialog.report is not None and not dialog.report.ok
    assert not dialog.accept_button.isEnabled()
    assert dialog.override_box.isVisible() and not dialog.override_button.isEnabled()
    assert "KHÔNG hợp lệ" in dialog.banner.text()
    assert "chưa được xác thực" in dialog.details.toPlainText()
    _shot(dialog, artifacts_dir, "transfer_in_refused.png")

    dialog.add_trust_root(root)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=120_000)
    assert dialog.report is not None and dialog.report.ok
    assert dialog.accept_button.isEnabled() and not dialog.override_box.isVisible()
    _shot(dialog, artifacts_dir, "transfer_in_verified.png")

    dialog.class_box.setCurrentIndex(1)
    with qtbot.waitSignal(dialog.transfer_accepted, timeout=120_000):
        qtbot.mouseClick(dialog.accept_button, Qt.MouseButton.LeftButton)
    assert dialog.result_value is not None and dialog.result_value.records == 1
    assert "Đã nhận" in dialog.banner.text()
    _shot(dialog, artifacts_dir, "transfer_in_accepted.png")
    with b_db.read() as s:
        assert len(list(s.scalars(select(ReceivedDocument.id)))) == 1 + dialog.result_value.sheets


def test_transfer_in_principal_override(
    ui_app: QApplication,
    qtbot: QtBot,
    setup: tuple[Templates, Path, Path],
    b_db: Database,
    artifacts_dir: Path,
) -> None:
    dialog = TransferInDialog(b_db, actor_with_role(b_db, ROLE_PRINCIPAL))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load(setup[1])
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=120_000)
    assert dialog.override_button.isEnabled() and not dialog.accept_button.isEnabled()
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)  # no reason yet
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=120_000)
    assert "lý do" in dialog.error.text()
    dialog.reason.setPlainText("Sở GD&ĐT đã xác nhận chứng thư của trường cũ bằng công văn 12/SGD")
    _shot(dialog, artifacts_dir, "transfer_in_override.png")
    with qtbot.waitSignal(dialog.transfer_accepted, timeout=120_000):
        qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    with b_db.read() as s:
        row = s.scalar(select(TransferIn))
        assert row is not None and not row.verified and row.override_reason is not None


def test_transfer_out_makes_the_package(
    ui_app: QApplication,
    qtbot: QtBot,
    setup: tuple[Templates, Path, Path],
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    a = copy_school(setup[0].a, tmp_path / "a")
    try:
        dialog = TransferOutDialog(a, actor_with_role(a, ROLE_CLERK), student_ids(a)[1])
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.preview is not None, timeout=120_000)
        assert dialog.make_button.isEnabled() and "DEMO" in dialog.seal_label.text()
        assert "2026–2027" in dialog.contents.toPlainText()
        dialog.destination.setText(B_NAME)
        out = tmp_path / "out" / "goi"
        dialog.out_path.setText(str(out))
        _shot(dialog, artifacts_dir, "transfer_out.png")
        with qtbot.waitSignal(dialog.transfer_done, timeout=120_000):
            qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
        assert dialog.result_value is not None and dialog.result_value.records == 1
        assert (tmp_path / "out" / "goi.hbt").exists()
        _shot(dialog, artifacts_dir, "transfer_out_done.png")
    finally:
        a.dispose()


def test_transfer_out_without_a_destination_says_so(
    ui_app: QApplication, qtbot: QtBot, setup: tuple[Templates, Path, Path], tmp_path: Path
) -> None:
    a = copy_school(setup[0].a, tmp_path / "a")
    try:
        dialog = TransferOutDialog(a, actor_with_role(a, ROLE_CLERK), student_ids(a)[2])
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.preview is not None, timeout=120_000)
        dialog.out_path.setText(str(tmp_path / "x.hbt"))
        qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.error.isHidden(), timeout=120_000)
        assert "trường chuyển đến" in dialog.error.text()
        assert not (tmp_path / "x.hbt").exists() and dialog.result_value is None
    finally:
        a.dispose()
