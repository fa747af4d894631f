"""The "Chứng thư số" tab of the set-up page and the request button on the "Ký số" page, through
real SoftHSM2 tokens and the test PKI of tests/signing, on a real demo school. Nothing is mocked
but the admin's yes/no box (QMessageBox.question would block the test)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models import AuditEntry, Certificate
from app.models.db import Database, open_database
from app.services import certificate_requests as cr
from app.services.certificates import SEAL, register_certificate
from app.signing import pki
from app.signing.certinfo import CertificateInfo
from app.signing.worker import TokenWorker
from app.ui.application import WINDOW_SIZE, build_main_window
from app.ui.context import UiContext
from app.ui.pages.setup_certificates import RegisterCertificateDialog, expiry_line
from app.ui.pages.setup_page import SetupPage
from app.ui.pages.signing_page import SigningPage
from app.ui.reads import read_overview
from tests.signing.conftest import MODULE, Tokens, hsm, worker  # noqa: F401  (fixtures)
from tests.ui.accounts_helpers import actor, homeroom_teacher_login, private_copy

pytestmark = pytest.mark.qt
WAIT_MS = 60_000  # a guard against a hang, not a speed requirement


@pytest.fixture
def db(demo_db_path: Path, tmp_path: Path) -> Iterator[Database]:
    database = open_database(private_copy(demo_db_path, tmp_path))
    yield database
    database.dispose()


@pytest.fixture
def page(
    ui_app: QApplication, qtbot: QtBot, db: Database, worker: TokenWorker, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> SetupPage:
    monkeypatch.setattr(SetupPage, "confirm", lambda self, title, text: True)
    admin = actor(db, "admin")
    context = UiContext(db=db, actor=admin, overview=read_overview(db, admin), database_path=db.path)
    p = SetupPage(context)
    p.certificates_tab.worker = worker
    p.certificates_tab.modules = (MODULE,)
    qtbot.addWidget(p)
    p.resize(1280, 760)
    p.show()
    p.tabs.setCurrentWidget(p.certificates_tab)
    qtbot.waitExposed(p)
    return p


def shot(widget: QWidget, artifacts_dir: Path, name: str) -> None:
    QApplication.processEvents()
    assert widget.grab().save(str(artifacts_dir / name))


def wait_idle(qtbot: QtBot, page: SetupPage) -> None:
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)


def open_token_dialog(qtbot: QtBot, page: SetupPage) -> RegisterCertificateDialog:
    page.certificates_tab.read_button.click()
    dialog = page.certificates_tab.dialog
    assert isinstance(dialog, RegisterCertificateDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=WAIT_MS)
    return dialog


def pick(dialog: RegisterCertificateDialog, sha256: str) -> None:
    for row, value in enumerate(dialog.model.rows):
        if value.info.sha256 == sha256:
            dialog.table.selectRow(row)
            return
    raise AssertionError(f"{sha256} not listed")


def audit_actions(db: Database) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_admin_reads_the_tokens_and_registers_a_teacher_and_the_seal(
    page: SetupPage, qtbot: QtBot, db: Database, hsm: Tokens, artifacts_dir: Path  # noqa: F811
) -> None:
    tab = page.certificates_tab
    assert page.tabs.tabText(page.tabs.indexOf(tab)) == "Chứng thư số"
    assert tab.model.rowCount() == 0 and not tab.requests_box.isVisible()
    assert "Không có chứng thư số nào hết hạn" in tab.expiry_label.text()

    dialog = open_token_dialog(qtbot, page)
    listed = {r.info.sha256: r for r in dialog.model.rows}
    assert {hsm.teacher.sha256, hsm.seal.sha256, hsm.principal.sha256} <= set(listed)
    assert "đã hết hạn" in listed[hsm.expired.sha256].state_text()
    assert listed[hsm.teacher.sha256].state_text() == "Chưa đăng ký"
    # The refused ones are listed last: a token also carries its CA's certificate.
    problems = [r.status.problem is not None for r in dialog.model.rows]
    assert problems == sorted(problems)
    pick(dialog, hsm.expired.sha256)
    assert dialog.note.isVisible() and "hết hạn" in dialog.note.text()
    shot(dialog, artifacts_dir, "certificates_read_from_token.png")

    # The expired one: the service refuses, in Vietnamese, and nothing is registered.
    teacher = homeroom_teacher_login(db)
    dialog.select_holder(teacher)
    dialog.ok_button.click()
    wait_idle(qtbot, page)
    assert page.message.objectName() == "pageError" and "đã hết hạn ngày" in page.message.text()
    assert tab.model.rowCount() == 0

    dialog = open_token_dialog(qtbot, page)
    pick(dialog, hsm.teacher.sha256)
    dialog.select_holder(teacher)
    dialog.ok_button.click()
    wait_idle(qtbot, page)
    assert "Đã đăng ký chứng thư số cho" in page.message.text()
    dialog = open_token_dialog(qtbot, page)
    pick(dialog, hsm.seal.sha256)
    dialog.select_holder(SEAL)
    dialog.ok_button.click()
    wait_idle(qtbot, page)
    assert "con dấu của trường" in page.message.text()

    rows = tab.model.rows
    assert [r.is_seal for r in rows] == [True, False]
    assert tab.model.index(0, 0).data() == "Con dấu của trường"
    assert teacher in tab.model.index(1, 0).data() and tab.model.index(1, 2).data() == "Còn hạn"
    # Registered to someone already: refused with the service's words.
    dialog = open_token_dialog(qtbot, page)
    pick(dialog, hsm.teacher.sha256)
    assert "Đã đăng ký cho" in dialog.model.rows[dialog.table.currentIndex().row()].state_text()
    dialog.select_holder("hieutruong")
    dialog.ok_button.click()
    wait_idle(qtbot, page)
    assert "đã được đăng ký cho người khác" in page.message.text()
    assert audit_actions(db).count("certificate.register") == 2
    shot(page, artifacts_dir, "certificates_tab.png")

    # The teacher's token is lost: revoked, with a reason.
    assert not tab.revoke_button.isEnabled()
    tab.table.selectRow(1)
    assert tab.revoke_button.isEnabled()
    revoke = tab.revoke_selected()
    assert revoke is not None and not revoke.ok_button.isEnabled()
    revoke.reason_edit.setText("Mất token")
    shot(revoke, artifacts_dir, "certificates_revoke_dialog.png")
    revoke.ok_button.click()
    wait_idle(qtbot, page)
    assert "Đã thu hồi chứng thư số của" in page.message.text()
    [revoked] = [i for i, r in enumerate(tab.model.rows) if r.sha256 == hsm.teacher.sha256]
    assert tab.model.index(revoked, 2).data() == "Đã thu hồi"
    tab.table.selectRow(revoked)
    assert not tab.revoke_button.isEnabled()
    assert audit_actions(db)[-1] == "certificate.revoke"


def test_from_a_file_and_the_expiry_colours(
    page: SetupPage, qtbot: QtBot, db: Database, hsm: Tokens, tmp_path: Path, artifacts_dir: Path  # noqa: F811
) -> None:
    now = datetime.now(UTC)
    soon = pki.issue(
        pki.person_name("Hồ Thị Em", "Trường thử"), pki.new_key().public_key(),
        issuer=hsm.pki.intermediate, usage="signing", not_after=now + timedelta(days=12, hours=1),
    )  # fmt: skip
    register_certificate(db, "hieutruong", hsm.principal.cert.der)
    # Registered before the app checked validity (the command line does not): shown in red.
    register_certificate(db, "phohieutruong", hsm.expired.cert.der)
    with db.write() as s:  # a certificate the school stopped using (lost token)
        cert = s.scalar(select(Certificate).where(Certificate.sha256 == hsm.principal.sha256))
        assert cert is not None
        cert.revoked_at = now.replace(tzinfo=None)
    pem = tmp_path / "gv.pem"
    pem.write_bytes(soon.pem)
    tab = page.certificates_tab
    dialog = tab.register_from_file(pem)
    assert [r.source for r in dialog.model.rows] == ["gv.pem"]
    dialog.select_holder(homeroom_teacher_login(db))
    dialog.ok_button.click()
    wait_idle(qtbot, page)
    assert "Đã đăng ký chứng thư số cho" in page.message.text()

    states = {r.sha256: r.state() for r in tab.model.rows}
    assert states[hsm.principal.sha256] == cr.REVOKED and states[hsm.expired.sha256] == cr.EXPIRED
    [red] = [i for i, r in enumerate(tab.model.rows) if r.state() == cr.EXPIRED]
    assert tab.model.index(red, 3).data() == "đã hết hạn"
    assert "đã hết hạn" in tab.expiry_label.text(), "an expired certificate in use is named too"
    [amber] = [i for i, r in enumerate(tab.model.rows) if r.state() == cr.EXPIRING]
    assert tab.model.index(amber, 3).data() == "12"
    assert "còn 12 ngày" in tab.expiry_label.text()
    shot(page, artifacts_dir, "certificates_tab_expiry.png")

    bad = tmp_path / "notes.pem"
    bad.write_text("không phải chứng thư")
    dialog = tab.register_from_file(bad)
    assert dialog.model.rowCount() == 0 and "notes.pem" in dialog.intro.text()
    assert not dialog.ok_button.isEnabled()
    dialog.reject()


def test_expiry_line_words() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    row = cr.CertificateRow(
        "ab", "gv.a", "Nguyễn Văn A", False, "CN=A", "CA", "1F", now - timedelta(days=300),
        now + timedelta(days=9, hours=2), None,
    )  # fmt: skip
    assert "Nguyễn Văn A (còn 9 ngày)" in expiry_line([row], now)
    gone = cr.CertificateRow("cd", SEAL, "", True, "CN=S", "CA", "2", now - timedelta(days=900),
                             now - timedelta(days=3), None)  # fmt: skip
    assert "con dấu của trường (đã hết hạn" in expiry_line([gone], now)


def test_a_teacher_asks_on_the_signing_page_and_the_admin_confirms_then_rejects(
    page: SetupPage, qtbot: QtBot, db: Database, hsm: Tokens, worker: TokenWorker,  # noqa: F811
    artifacts_dir: Path,
) -> None:
    teacher = homeroom_teacher_login(db)
    signing = SigningPage(db, actor(db, teacher), worker=worker, modules=[MODULE])
    qtbot.addWidget(signing)
    signing.resize(1200, 760)
    signing.show()
    signing.select_role("gvcn")
    offer = signing.certificate_offer
    qtbot.waitUntil(lambda: len(offer.offers) >= 2, timeout=WAIT_MS)  # several tokens are plugged in here
    assert offer.isVisible() and offer.request_button.isVisible() and offer.cert_combo.isVisible()
    shas = [info.sha256 for _label, info in offer.offers]
    assert hsm.expired.sha256 not in shas, "an expired certificate is not offered"
    offer.cert_combo.setCurrentIndex(shas.index(hsm.teacher.sha256))
    offer.request_button.click()
    qtbot.waitUntil(lambda: "Đã gửi yêu cầu đăng ký" in offer.message_text(), timeout=WAIT_MS)
    assert hsm.teacher.sha256 not in [info.sha256 for _label, info in offer.offers]
    qtbot.waitUntil(lambda: not signing._planning, timeout=WAIT_MS)
    shot(signing, artifacts_dir, "signing_page_certificate_request.png")
    assert signing.width() == 1200, "the offer does not widen the page"
    # A second request of someone else's certificate, which the admin will reject.
    offer.cert_combo.setCurrentIndex([i.sha256 for _l, i in offer.offers].index(hsm.principal.sha256))
    offer.request_button.click()
    qtbot.waitUntil(lambda: len(cr.list_requests(db, actor(db, "admin"))) == 2, timeout=WAIT_MS)

    tab = page.certificates_tab
    page.reload()
    assert tab.requests_box.isVisible() and tab.request_model.rowCount() == 2
    assert not tab.confirm_button.isEnabled()
    # The demo teacher asked for certificates in other people's names: the admin is warned.
    assert all(not r.name_matches for r in tab.request_model.rows)
    assert tab.request_model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole) is not None
    shot(page, artifacts_dir, "certificates_tab_requests.png")
    [first] = [i for i, r in enumerate(tab.request_model.rows) if r.sha256 == hsm.teacher.sha256]
    tab.request_table.selectRow(first)
    tab.confirm_button.click()
    wait_idle(qtbot, page)
    assert "Đã đăng ký chứng thư số cho" in page.message.text()
    # (The demo school's software certificates were registered when the signing page opened.)
    assert {r.sha256: r.holder for r in tab.model.rows}[hsm.teacher.sha256] == teacher
    assert tab.request_model.rowCount() == 1

    tab.request_table.selectRow(0)
    reject = tab.reject_selected()
    assert reject is not None and not reject.ok_button.isEnabled(), "a reason is needed"
    reject.reason_edit.setText("Đây là token của hiệu trưởng.")
    shot(reject, artifacts_dir, "certificates_reject_dialog.png")
    reject.ok_button.click()
    wait_idle(qtbot, page)
    assert "Đã từ chối yêu cầu" in page.message.text() and not tab.requests_box.isVisible()
    log = audit_actions(db)
    assert log.count("certificate.request") == 2
    assert log.count("certificate.request.confirm") == 1 and log.count("certificate.request.reject") == 1

    # The teacher sees the admin's reason next to the offer when the token is read again.
    assert worker.poll_now().result() is not None
    offer._tokens_changed(signing.monitor.snapshot)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: "Đây là token của hiệu trưởng." in offer.message_text(), timeout=WAIT_MS)


def test_the_signing_page_names_my_certificate_running_out_when_not_plugged(
    ui_app: QApplication, qtbot: QtBot, db: Database, hsm: Tokens, worker: TokenWorker,  # noqa: F811
    artifacts_dir: Path,
) -> None:
    teacher = homeroom_teacher_login(db)
    soon = pki.issue(
        pki.person_name("Giáo viên thử", "Trường thử"), pki.new_key().public_key(),
        issuer=hsm.pki.intermediate, usage="signing",
        not_after=datetime.now(UTC) + timedelta(days=20, hours=1),
    )  # fmt: skip
    register_certificate(db, teacher, soon.der)  # a software file, on no token here
    signing = SigningPage(db, actor(db, teacher), worker=worker, modules=[MODULE])
    qtbot.addWidget(signing)
    signing.resize(1200, 760)
    signing.show()
    signing.select_role("gvcn")
    offer = signing.certificate_offer
    qtbot.waitUntil(lambda: offer.expiry_label.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(offer.offers) >= 1, timeout=WAIT_MS)
    text = offer.expiry_label.text()
    assert "còn 20 ngày" in text and format(soon.certificate.serial_number, "X") in text
    qtbot.waitUntil(lambda: not signing._planning, timeout=WAIT_MS)
    shot(signing, artifacts_dir, "signing_page_own_expiry.png")

    # Were it on a plugged token, the indicator above already warns: not said twice. (SoftHSM
    # has no token with a certificate this close to expiry; the reading is handed over as the
    # token thread would.)
    offer._generation += 1
    offer._on_read(offer._generation, (("Token thử", CertificateInfo.from_der(soon.der)),))
    assert not offer.expiry_label.isVisible()


def test_the_main_window_status_bar_warns_ahead(
    ui_app: QApplication, qtbot: QtBot, db: Database, hsm: Tokens, artifacts_dir: Path  # noqa: F811
) -> None:
    teacher = homeroom_teacher_login(db)

    def expiry_of(login: str) -> QLabel | None:
        w = build_main_window(db, actor(db, login))
        qtbot.addWidget(w)
        return w.findChild(QLabel, "certificateExpiry")

    assert expiry_of("admin") is None
    soon = pki.issue(
        pki.person_name("Giáo viên thử", "Trường thử"), pki.new_key().public_key(),
        issuer=hsm.pki.intermediate, usage="signing",
        not_after=datetime.now(UTC) + timedelta(days=9, hours=1),
    )  # fmt: skip
    register_certificate(db, teacher, soon.der)
    window = build_main_window(db, actor(db, "admin"))
    qtbot.addWidget(window)
    window.resize(*WINDOW_SIZE)
    window.show()
    label = window.findChild(QLabel, "certificateExpiry")
    assert label is not None and "1 chứng thư số sắp hết hạn" in label.text()
    assert "còn 9 ngày" in label.toolTip()
    shot(window.statusBar(), artifacts_dir, "main_window_certificate_expiry.png")
    mine = expiry_of(teacher)
    assert mine is not None and "Chứng thư số của bạn hết hạn" in mine.text()
    other = expiry_of("hieutruong")
    assert other is None, "someone else's certificate is not the principal's business here"
