"""A real school seals its transfer package with the seal token (SoftHSM); the dialog asks the PIN."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.models.db import open_database
from app.models.people import ROLE_CLERK
from app.services.certificates import SEAL, register_certificate
from app.services.demo import create_demo_school
from app.services.transfer_package import read_package
from app.signing.detached import check_detached
from app.signing.worker import TokenWorker
from app.ui.dialogs.pin_dialog import PinDialog
from app.ui.dialogs.transfer_out import TransferOutDialog
from tests.services.transfer_data import actor_with_role, student_ids
from tests.signing.conftest import MODULE, PIN, SCHOOL, Tokens

pytestmark = [pytest.mark.qt, pytest.mark.slow]


def test_the_dialog_finds_the_seal_token_asks_the_pin_and_seals(
    qapp: QApplication, qtbot: QtBot, hsm: Tokens, worker: TokenWorker, trust: list[bytes], tmp_path: Path
) -> None:
    path = tmp_path / "school" / "hocba.sqlite3"
    db = open_database(path)
    try:
        create_demo_school(db, classes=1, students_per_class=2, seed=3)
        conn = sqlite3.connect(path)
        with conn:
            conn.execute("UPDATE school SET is_demo = 0")  # a real school: no demo signer
        conn.close()
        register_certificate(db, SEAL, hsm.seal.cert.der)
        dialog = TransferOutDialog(
            db, actor_with_role(db, ROLE_CLERK), student_ids(db)[0], worker=worker, modules=[MODULE]
        )
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.preview is not None, timeout=60_000)
        assert "token con dấu" in dialog.seal_label.text() and dialog.make_button.isEnabled()
        assert dialog.preview is not None and any("chưa có học bạ" in n for n in dialog.preview.notes)
        dialog.destination.setText("Trường THCS Lê Lợi")
        out = tmp_path / "out.hbt"
        dialog.out_path.setText(str(out))

        asked: list[PinDialog] = []

        def answer(pin_dialog: PinDialog) -> None:
            asked.append(pin_dialog)
            pin_dialog.pin_edit.setText(PIN)
            pin_dialog.accept()

        dialog.broker.dialog_shown.connect(answer)
        with qtbot.waitSignal(dialog.transfer_done, timeout=120_000):
            qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
        assert len(asked) == 1 and dialog.result_value is not None
        assert dialog.result_value.seal_signer == SCHOOL and dialog.result_value.records == 0

        package = read_package(out)
        check = check_detached(package.manifest, package.signature, trust, use_bundled_roots=False)
        assert check.ok and check.signer_cert_sha256 == hsm.seal.sha256
    finally:
        db.dispose()
