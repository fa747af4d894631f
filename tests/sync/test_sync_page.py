"""The "Đồng bộ" page: connect, sync off the GUI thread, the status line and the item list
read from the database, settings for admins only; screenshots in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from app.models import UserAccount
from app.models.db import Database
from app.services.access import Actor, load_actor
from app.ui.application import setup_application
from app.ui.pages.sync_page import SyncPage
from tests.hub.helpers import Wire, manifest_for
from tests.hub.servers import RunningHub, free_port
from tests.sync.docs import DocSet, fresh_id, issue

pytestmark = pytest.mark.qt


def _actor(db: Database, login: str | None) -> Actor:
    with db.read() as s:
        query = select(UserAccount.id).order_by(UserAccount.id)
        if login:
            query = query.where(UserAccount.login == login)
        else:
            query = query.where(UserAccount.login.like("gv.%"))
        return load_actor(s, int(s.scalars(query).first() or 0))


def _wait(qtbot: object, page: SyncPage) -> None:
    qtbot.waitUntil(lambda: not page.busy, timeout=60_000)  # type: ignore[attr-defined]


def test_sync_page_connects_syncs_and_shows_each_item(
    qtbot: object,
    qapp: QApplication,
    school: Database,
    hub: RunningHub,
    docset: DocSet,
    artifacts_dir: Path,
    qtmodeltester: object,
) -> None:
    setup_application(qapp)
    page = SyncPage(school, _actor(school, "admin"), first_attempt_ms=3_600_000)
    qtbot.addWidget(page)  # type: ignore[attr-defined]
    page.resize(1300, 720)
    assert "chưa kết nối" in page.status_label.text() and not page.sync_button.isEnabled()

    page.hub_edit.setText(hub.url)
    page.connect_with(hub.url, hub.device(docset.school_code))
    _wait(qtbot, page)
    assert page.status.connected, page.last_message
    assert page.sync_button.isEnabled() and "Đã kết nối" in page.progress_label.text()

    for doc in docset.signed:
        issue(school, doc, school_code=docset.school_code, document_id=fresh_id())
    clash = fresh_id()
    issue(school, docset.unsigned[0], school_code=docset.school_code, document_id=clash)
    wire = Wire(hub.url, hub.device(docset.school_code))  # someone sent other bytes under that id
    wire.put_blob(docset.unsigned[1].pdf)
    wire.submit(manifest_for(docset.unsigned[1].pdf, docset.school_code, document_id=clash))
    wire.close()
    issue(school, docset.unsigned[2], school_code=docset.school_code, document_id=fresh_id())
    page.refresh()
    assert "Đang chờ gửi: 5 hồ sơ" in page.status_label.text()
    page.grab().save(str(artifacts_dir / "sync_page_waiting.png"))

    assert page.sync_now()
    assert not page.sync_now()  # one sync at a time
    _wait(qtbot, page)
    states = [r.state for r in page.model.rows]
    assert sorted(states) == ["accepted"] * 4 + ["needs_attention"]
    text = page.status_label.text()
    assert "Không còn hồ sơ nào chờ gửi" in text and "Cần xử lý: 1" in text and "thành công lần cuối" in text
    attention = next(r for r in page.model.rows if r.state == "needs_attention")
    assert "cùng mã" in attention.note
    assert all(r.receipt_text for r in page.model.rows if r.state == "accepted")
    qtmodeltester.check(page.model)  # type: ignore[attr-defined]
    page.grab().save(str(artifacts_dir / "sync_page_done.png"))

    # Offline: the status line says so in plain words, and nothing already accepted changes.
    page.hub_edit.setText(f"http://127.0.0.1:{free_port()}")
    page.interval_spin.setValue(30)
    page.save_button.click()
    issue(school, docset.unsigned[3], school_code=docset.school_code, document_id=fresh_id())
    page.sync_now()
    _wait(qtbot, page)
    assert "Lỗi gần nhất" in page.status_label.text() and "mạng" in page.status_label.text()
    assert page.timer.isActive() and page.timer.interval() == 30 * 60 * 1000
    assert [r.state for r in page.model.rows].count("accepted") == 4
    page.grab().save(str(artifacts_dir / "sync_page_offline.png"))


def test_teachers_see_the_list_but_not_the_settings(
    qtbot: object, qapp: QApplication, school: Database
) -> None:
    setup_application(qapp)
    page = SyncPage(school, _actor(school, None), first_attempt_ms=3_600_000)
    qtbot.addWidget(page)  # type: ignore[attr-defined]
    assert not page.connect_button.isEnabled() and not page.hub_edit.isEnabled()
    assert page.model.rowCount() == 0
