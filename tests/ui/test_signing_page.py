"""The "Ký số" page, its PIN dialog and progress dialog, through real SoftHSM2 tokens and the test
PKI of tests/signing, on a real demo school (the demo signer where no token is used).

Nothing is mocked: the PIN dialog is asked from the token thread, the batch runs through the
signing service, documents land in the database and the content-addressed store.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models import UserAccount
from app.models.db import Database
from app.services.access import Actor, load_actor
from app.services.certificates import SEAL, register_certificate
from app.signing import tokens
from app.signing.worker import TokenWorker
from app.sync.status import save_settings
from app.ui.dialogs.pin_dialog import PinBroker, PinDialog
from app.ui.dialogs.signing_progress import SigningProgressDialog
from app.ui.pages.signing_page import PlanRow, SigningPage, expiry_note
from app.ui.pages.signing_summary import class_summaries
from app.ui.pages.signing_tokens import PinOutcome, PinRequest, obtain_pin
from tests.hub.servers import free_port
from tests.services.signing_data import DemoClass, make_demo_class
from tests.signing.conftest import MODULE, PIN, Tokens, fresh_token, hsm, token_folder, worker  # noqa: F401

WAIT_MS = 60_000  # a guard against a hang, not a speed requirement


@pytest.fixture
def school(tmp_path: Path) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path / "school", students=3)
    yield demo
    demo.db.dispose()


def actor_of(demo: DemoClass, login: str) -> Actor:
    with demo.db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
        assert user_id is not None
        return load_actor(s, user_id)


def open_page(
    qtbot: QtBot, demo: DemoClass, login: str, worker: TokenWorker, role: str | None = None  # noqa: F811
) -> SigningPage:
    page = SigningPage(demo.db, actor_of(demo, login), worker=worker, modules=[MODULE])
    qtbot.addWidget(page)
    page.resize(1200, 720)
    page.show()
    if role is not None:
        page.select_role(role)
    wait_planned(qtbot, page)
    return page


def wait_planned(qtbot: QtBot, page: SigningPage) -> None:
    try:
        qtbot.waitUntil(lambda: not page._planning, timeout=WAIT_MS)
    except Exception:
        import faulthandler
        import sys

        faulthandler.dump_traceback(file=sys.stderr)
        raise
    assert page._view is not None, page.error_label.text()


def shot(widget: QWidget, artifacts_dir: Path, name: str) -> None:
    QApplication.processEvents()
    assert widget.grab().save(str(artifacts_dir / name))


def pin_dialog(qtbot: QtBot, broker: PinBroker) -> PinDialog:
    qtbot.waitUntil(lambda: broker.dialog is not None and broker.dialog.isVisible(), timeout=WAIT_MS)
    assert broker.dialog is not None
    return broker.dialog


def answer(dialog: PinDialog, pin: str | None) -> None:
    if pin is None:
        dialog.cancel_button.click()
        return
    dialog.pin_edit.setText(pin)
    dialog.ok_button.click()


def run_to_end(qtbot: QtBot, page: SigningPage) -> SigningProgressDialog:
    wait_planned(qtbot, page)  # a token's certificate found meanwhile makes a new plan
    assert page.sign_button.isEnabled()
    page.sign_button.click()
    dialog = page.progress_dialog
    assert dialog is not None
    return dialog


def wait_done(qtbot: QtBot, page: SigningPage, dialog: SigningProgressDialog) -> None:
    qtbot.waitUntil(lambda: not page.runner.busy and dialog.close_button.isEnabled(), timeout=WAIT_MS)


# --- the PIN dialog round trip -----------------------------------------------------------------


def test_pin_is_asked_from_the_token_thread_and_cancel_returns_cleanly(
    qtbot: QtBot, ui_app: QApplication, worker: TokenWorker, artifacts_dir: Path  # noqa: F811
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    broker = PinBroker(host)
    request = PinRequest("GV Nguyen Van An", "Nguyễn Văn An", 38)
    asked: Future[str | None] = worker.submit(broker.ask, request)  # blocks the token thread
    dialog = pin_dialog(qtbot, broker)
    assert not asked.done(), "the token thread waits for the answer"
    assert dialog.pin_edit.echoMode() is QLineEdit.EchoMode.Password
    assert not dialog.ok_button.isEnabled(), "an empty PIN cannot be sent"
    dialog.pin_edit.setText(PIN)
    shot(dialog, artifacts_dir, "signing_pin_dialog.png")
    dialog.ok_button.click()
    assert asked.result(timeout=WAIT_MS / 1000) == PIN
    assert dialog.pin_edit.text() == "", "the field is emptied as soon as the dialog closes"

    cancelled = worker.submit(broker.ask, request)
    answer(pin_dialog(qtbot, broker), None)
    assert cancelled.result(timeout=WAIT_MS / 1000) is None
    # The token thread is free again.
    assert worker.submit(lambda: "free").result(timeout=WAIT_MS / 1000) == "free"

    with pytest.raises(RuntimeError, match="GUI thread"):
        broker.ask(request)


def test_wrong_pin_is_reported_in_the_dialog_then_the_right_one_is_kept(
    qtbot: QtBot, ui_app: QApplication, hsm: Tokens, worker: TokenWorker, artifacts_dir: Path  # noqa: F811
) -> None:
    key = fresh_token(hsm, worker, "GV sai PIN")  # its own token: the failed login stays here
    host = QWidget()
    qtbot.addWidget(host)
    broker = PinBroker(host)
    outcome: Future[PinOutcome] = worker.submit(
        obtain_pin, key.spec(), broker.ask, PinRequest(key.label, "Phạm Thị Dung", 3)
    )
    first = pin_dialog(qtbot, broker)
    assert not first.error_label.isVisible()
    answer(first, "000000")
    qtbot.waitUntil(lambda: broker.dialog is not None and broker.dialog is not first, timeout=WAIT_MS)
    second = pin_dialog(qtbot, broker)
    assert second.error_label.isVisible()
    assert second.error_label.text().startswith("Mã PIN không đúng.")
    # SoftHSM raises CKF_USER_PIN_COUNT_LOW after a failure: the token's own warning is shown.
    assert "lần nhập sai" in second.error_label.text()
    assert "lần nhập sai" in second.warning_label.text()
    shot(second, artifacts_dir, "signing_pin_wrong.png")
    answer(second, PIN)
    result = outcome.result(timeout=WAIT_MS / 1000)
    assert result.pin is not None and not result.cancelled and not result.pin_pad
    assert result.pin.reveal() == PIN
    result.pin.wipe()


# --- the page, role by role -----------------------------------------------------------------------


def test_subject_teacher_signs_locked_sheets_with_the_demo_signer(
    qtbot: QtBot, ui_app: QApplication, school: DemoClass, worker: TokenWorker, artifacts_dir: Path  # noqa: F811
) -> None:
    login = sorted(set(school.teachers.values()))[0]
    mine = [code for code, who in school.teachers.items() if who == login]
    page = open_page(qtbot, school, login, worker, "gvbm")
    rows = page.model.rows
    assert rows and all(r.status == "blocked" for r in rows), "mark books are not locked yet"
    assert rows[0].reason.startswith("Sổ điểm môn") and "chưa khoá" in rows[0].reason
    assert not page.sign_button.isEnabled() and page.sign_button.text() == "Chưa có tài liệu ký được"
    qtbot.waitUntil(lambda: "DEMO" in page.token_text(), timeout=WAIT_MS)
    shot(page, artifacts_dir, "signing_page_gvbm_blocked.png")

    school.lock_all()
    page.refresh()
    wait_planned(qtbot, page)
    pending = page.pending_count()
    assert pending == len([r for r in page.model.rows if r.status == "pending"]) > 0
    assert page.sign_button.isEnabled() and page.sign_button.text() == f"Ký {pending} tài liệu"
    # A timestamp server is set but unreachable (nothing listens on that loopback port): the
    # sheets are signed all the same and the dialog says the timestamps will come later.
    save_settings(school.db, timestamp_url=f"http://127.0.0.1:{free_port()}/tsa")
    try:
        dialog = run_to_end(qtbot, page)
        wait_done(qtbot, page, dialog)
    finally:
        save_settings(school.db, timestamp_url="")
    statuses = [row[2] for row in dialog.row_texts()]
    assert statuses == ["Đã ký"] * pending
    assert dialog.heading.text() == f"Đã ký xong {pending} tài liệu."
    assert not dialog.notice.isHidden() and "Không lấy được dấu thời gian" in dialog.notice.text()
    shot(dialog, artifacts_dir, "signing_progress_done.png")
    assert school.states("sheet").count("gvbm_signed") == pending
    assert pending == 3 * len(mine)  # per subject: semester 1, semester 2 and the year
    dialog.close_button.click()
    wait_planned(qtbot, page)
    assert page.pending_count() == 0 and not page.sign_button.isEnabled()


def test_homeroom_waits_for_the_sheets_then_signs_with_a_token(
    qtbot: QtBot, ui_app: QApplication, school: DemoClass, hsm: Tokens, worker: TokenWorker,  # noqa: F811
    artifacts_dir: Path,
) -> None:
    register_certificate(school.db, school.homeroom, hsm.teacher.cert.der)
    school.lock_all()
    page = open_page(qtbot, school, school.homeroom, worker, "gvcn")
    assert page.role == "gvcn"
    blocked = [r for r in page.model.rows if r.status == "blocked"]
    assert blocked and "hưa đủ chữ ký giáo viên bộ môn" in blocked[0].reason
    qtbot.waitUntil(lambda: "chứng thư số của Nguyễn Văn An" in page.token_text(), timeout=WAIT_MS)
    assert f"\u201c{hsm.teacher.label}\u201d" in page.token_text()
    shot(page, artifacts_dir, "signing_page_gvcn_waiting.png")

    school.sign_sheets()
    page.refresh()
    wait_planned(qtbot, page)
    pending = page.pending_count()
    assert pending > 0
    dialog = run_to_end(qtbot, page)
    pin = pin_dialog(qtbot, page.broker)
    assert pin.heading_label.text() == f"Ký {pending} tài liệu bằng token \u201c{hsm.teacher.label}\u201d"
    assert dialog.heading.text() == f"Chuẩn bị ký {pending} tài liệu: chờ nhập mã PIN…"
    assert "Đang ký…" not in [row[2] for row in dialog.row_texts()], "nothing is signed before the PIN"
    shot(dialog, artifacts_dir, "signing_progress_waiting_for_pin.png")
    answer(pin, PIN)
    wait_done(qtbot, page, dialog)
    assert [row[2] for row in dialog.row_texts() if row[2] != "Để sau"] == ["Đã ký"] * pending
    shot(dialog, artifacts_dir, "signing_progress_gvcn_token.png")
    assert school.states("record").count("gvcn_signed") == pending


def test_cancel_stops_after_the_current_document_and_sign_again_finishes(
    qtbot: QtBot, ui_app: QApplication, school: DemoClass, worker: TokenWorker, artifacts_dir: Path  # noqa: F811
) -> None:
    school.lock_all()
    school.sign_sheets()
    page = open_page(qtbot, school, school.homeroom, worker, "gvcn")
    pending = page.pending_count()
    assert pending >= 2

    # "Dừng" pressed while the first document is being signed: the request lands on the
    # signing thread right after that document (a direct connection runs there).
    page.runner.item_done.connect(lambda _r: page.runner.cancel(), Qt.ConnectionType.DirectConnection)
    dialog = run_to_end(qtbot, page)
    wait_done(qtbot, page, dialog)
    statuses = [row[2] for row in dialog.row_texts() if row[2] != "Để sau"]
    assert statuses == ["Đã ký"] + ["Chưa ký"] * (pending - 1)
    assert dialog.heading.text() == "Đã dừng theo yêu cầu: ký xong 1 tài liệu."
    assert dialog.resume_button.isVisible() and dialog.resume_button.text() == "Ký tiếp"
    shot(dialog, artifacts_dir, "signing_progress_cancelled.png")
    assert school.states("record").count("gvcn_signed") == 1, "nothing half-signed, nothing more"

    page.runner.item_done.disconnect()
    page.runner.item_done.connect(dialog.item_done)
    dialog.resume_button.click()
    wait_done(qtbot, page, dialog)
    assert school.states("record").count("gvcn_signed") == pending
    statuses = [row[2] for row in dialog.row_texts() if row[2] != "Để sau"]
    assert sorted(statuses) == ["Đã ký"] * pending


def test_token_pulled_out_mid_batch_then_sign_again_resumes(
    qtbot: QtBot, ui_app: QApplication, school: DemoClass, hsm: Tokens, worker: TokenWorker,  # noqa: F811
    tmp_path: Path, artifacts_dir: Path,
) -> None:
    key = fresh_token(hsm, worker, "GV rut giua chung")
    register_certificate(school.db, school.homeroom, key.cert.der)
    school.lock_all()
    school.sign_sheets()
    page = open_page(qtbot, school, school.homeroom, worker, "gvcn")
    qtbot.waitUntil(lambda: "chứng thư số của Phạm Thị Dung" in page.token_text(), timeout=WAIT_MS)
    pending = page.pending_count()
    folder = token_folder(hsm, worker, key.label)
    parked = tmp_path / "parked"

    def pull(_result: object) -> None:  # on the token thread, right after the first document
        if not parked.exists():
            shutil.move(folder, parked)
            tokens.load_module(MODULE).reinitialize()

    page.runner.item_done.connect(pull, Qt.ConnectionType.DirectConnection)
    dialog = run_to_end(qtbot, page)
    answer(pin_dialog(qtbot, page.broker), PIN)
    wait_done(qtbot, page, dialog)
    assert dialog.error_label.isVisible() and "rút ra" in dialog.error_label.text()
    assert dialog.progress.value() == 2, "the signed one and the one that failed; not the rest"
    assert dialog.resume_button.isVisible()
    shot(dialog, artifacts_dir, "signing_progress_token_pulled.png")
    assert school.states("record").count("gvcn_signed") == 1

    page.runner.item_done.disconnect(pull)
    shutil.move(parked, folder)  # plugged back in
    assert worker.submit(tokens.reinitialize, MODULE).result()
    dialog.resume_button.click()
    answer(pin_dialog(qtbot, page.broker), PIN)
    wait_done(qtbot, page, dialog)
    assert not dialog.error_label.isVisible()
    assert school.states("record").count("gvcn_signed") == pending


def test_token_indicator_follows_plugging_and_pulling(
    qtbot: QtBot, ui_app: QApplication, school: DemoClass, hsm: Tokens, worker: TokenWorker,  # noqa: F811
    artifacts_dir: Path,
) -> None:
    page = open_page(qtbot, school, school.homeroom, worker, "gvcn")
    label = "Token cam sau"
    assert label not in page.token_text()
    key = fresh_token(hsm, worker, label)  # plugged in
    qtbot.waitUntil(lambda: label in page.token_text(), timeout=WAIT_MS)
    assert "không có chứng thư số đã đăng ký" in page.token_text(), "not this teacher's certificate"
    shot(page, artifacts_dir, "signing_page_foreign_token.png")
    shutil.rmtree(token_folder(hsm, worker, key.label))  # pulled out
    qtbot.waitUntil(lambda: label not in page.token_text(), timeout=WAIT_MS)


def test_leader_and_seal_finish_the_order_with_tokens(
    qtbot: QtBot, ui_app: QApplication, school: DemoClass, hsm: Tokens, worker: TokenWorker,  # noqa: F811
    artifacts_dir: Path,
) -> None:
    register_certificate(school.db, "hieutruong", hsm.principal.cert.der)
    register_certificate(school.db, SEAL, hsm.seal.cert.der)
    seal_page = open_page(qtbot, school, "admin", worker, "condau")
    assert all(r.status == "blocked" for r in seal_page.model.rows)
    assert seal_page.model.rows[0].reason == "Chưa có chữ ký của giáo viên chủ nhiệm"
    assert not seal_page.corrections_button.isVisible()

    school.lock_all()
    school.sign_sheets()
    assert school.sign("gvcn", school.homeroom).complete
    leader = open_page(qtbot, school, "hieutruong", worker, "hieutruong")
    assert leader.corrections_button.isVisible()
    qtbot.waitUntil(lambda: "chứng thư số của Trần Thị Bình" in leader.token_text(), timeout=WAIT_MS)
    wait_planned(qtbot, leader)
    pending = leader.pending_count()
    assert pending > 0 and leader.sign_button.isEnabled()
    shot(leader, artifacts_dir, "signing_page_leader.png")
    dialog = run_to_end(qtbot, leader)
    answer(pin_dialog(qtbot, leader.broker), PIN)
    wait_done(qtbot, leader, dialog)
    assert school.states("record").count("approved") == pending
    dialog.done(QDialog.DialogCode.Accepted)

    seal_page.refresh()
    wait_planned(qtbot, seal_page)
    qtbot.waitUntil(lambda: f"\u201c{hsm.seal.label}\u201d: chứng thư số" in seal_page.token_text(),
                    timeout=WAIT_MS)  # fmt: skip
    assert seal_page.pending_count() == pending
    dialog = run_to_end(qtbot, seal_page)
    answer(pin_dialog(qtbot, seal_page.broker), PIN)  # the seal key wants the PIN at every signature
    wait_done(qtbot, seal_page, dialog)
    assert school.states("record").count("issued") == pending
    shot(dialog, artifacts_dir, "signing_progress_seal.png")


def test_accounts_without_a_signing_role_are_told_so(
    qtbot: QtBot, ui_app: QApplication, school: DemoClass, worker: TokenWorker, artifacts_dir: Path  # noqa: F811
) -> None:
    actor = actor_of(school, "hieutruong")
    nobody = Actor(actor.user_id, actor.login, actor.full_name, frozenset())
    page = SigningPage(school.db, nobody, worker=worker, modules=[MODULE])
    qtbot.addWidget(page)
    assert not page.sign_button.isEnabled() and not page.role_combo.isEnabled()
    assert "không có việc ký số" in page.hint_label.text()


def test_leaders_see_the_whole_school_first(
    qtbot: QtBot, ui_app: QApplication, demo_db: Database, worker: TokenWorker, artifacts_dir: Path  # noqa: F811
) -> None:
    with demo_db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == "phohieutruong"))
        assert user_id is not None
        actor = load_actor(s, user_id)
    page = SigningPage(demo_db, actor, worker=worker, modules=[MODULE])
    qtbot.addWidget(page)
    page.resize(1200, 720)
    page.show()
    wait_planned(qtbot, page)
    assert page.role == "hieutruong"
    assert page.scope_combo.itemText(0) == "Toàn trường" and page.scope is not None
    assert len(page.scope.class_ids) == page.scope_combo.count() - 1 >= 2
    classes = {r.class_name for r in page.model.rows}
    assert len(classes) == len(page.scope.class_ids), "one plan per class, all in one list"
    assert all(r.status == "blocked" for r in page.model.rows)
    assert page.corrections_button.isVisible()
    qtbot.waitUntil(lambda: "DEMO" in page.token_text(), timeout=WAIT_MS)
    shot(page, artifacts_dir, "signing_page_whole_school.png")


def test_pin_pad_readers_are_told_to_type_on_the_reader(
    qtbot: QtBot, ui_app: QApplication, school: DemoClass, worker: TokenWorker, artifacts_dir: Path  # noqa: F811
) -> None:
    # No PIN-pad reader exists here (SoftHSM has no protected authentication path): the
    # runner's signal that obtain_pin's PIN-pad branch leads to is sent by hand.
    page = open_page(qtbot, school, school.homeroom, worker, "gvcn")
    dialog = SigningProgressDialog(page.runner, page)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.notice.isVisible()
    page.runner.pin_pad.emit()
    qtbot.waitUntil(dialog.notice.isVisible)
    assert "bàn phím của đầu đọc" in dialog.notice.text()
    shot(dialog, artifacts_dir, "signing_progress_pin_pad.png")


def test_certificates_close_to_expiry_are_announced_ahead() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    assert expiry_note(now + timedelta(days=200), now) is None
    note = expiry_note(now + timedelta(days=12, hours=3), now)
    assert note is not None and "còn 12 ngày" in note and "gia hạn" in note


def test_the_whole_school_is_summed_up_per_class_then_listed_for_the_chosen_one(
    qtbot: QtBot, ui_app: QApplication, demo_db: Database, worker: TokenWorker, artifacts_dir: Path  # noqa: F811
) -> None:
    with demo_db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == "hieutruong"))
        assert user_id is not None
        actor = load_actor(s, user_id)
    page = SigningPage(demo_db, actor, worker=worker, modules=[MODULE])
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    wait_planned(qtbot, page)
    assert page.role == "hieutruong" and page.scope is not None and len(page.scope.class_ids) >= 2
    summaries = page.overview.summaries
    assert page.overview.isVisible()
    assert [c.class_name for c in summaries] == list(dict.fromkeys(r.class_name for r in page.model.rows))
    for summary in summaries:
        mine = [r for r in page.model.rows if r.class_name == summary.class_name]
        assert summary.ready + summary.waiting + summary.done == len(mine)
        assert summary.waiting == sum(1 for r in mine if r.status in ("blocked", "skipped"))
        assert summary.main_reason and summary.main_reason_count <= summary.waiting
    # The list below shows the chosen class only: the first one at start, then the one clicked.
    first, second = summaries[0].class_name, summaries[1].class_name
    assert {r.class_name for r in page.shown_rows()} == {first}
    assert first in page.students_label.text()
    page.overview.selectRow(1)
    qtbot.waitUntil(lambda: {r.class_name for r in page.shown_rows()} == {second}, timeout=WAIT_MS)
    assert len(page.shown_rows()) == len([r for r in page.model.rows if r.class_name == second])
    shot(page, artifacts_dir, "signing_page_whole_school_by_class.png")
    # The same class chosen on its own: no class table, its students straight away.
    page.scope_combo.setCurrentIndex(2)
    wait_planned(qtbot, page)
    assert not page.overview.isVisible() and not page.students_label.isVisible()
    assert page.shown_rows() == list(page.model.rows)
    assert {r.class_name for r in page.shown_rows()} == {second}


def test_class_summaries_count_and_name_the_commonest_reason() -> None:
    rows = [
        PlanRow("6A", "An", "pending", ""),
        PlanRow("6A", "Bình", "blocked", "Chưa có chữ ký của giáo viên chủ nhiệm"),
        PlanRow("6A", "Chi", "skipped", "Chờ rèn luyện trong hè"),
        PlanRow("6A", "Dũng", "blocked", "Chưa có chữ ký của giáo viên chủ nhiệm"),
        PlanRow("6B", "Giang", "done", ""),
    ]
    a, b = class_summaries(rows)
    assert (a.class_name, a.ready, a.waiting, a.done) == ("6A", 1, 3, 0)
    assert (a.main_reason, a.main_reason_count) == ("Chưa có chữ ký của giáo viên chủ nhiệm", 2)
    assert (b.class_name, b.ready, b.waiting, b.main_reason, b.done) == ("6B", 0, 0, "", 1)
