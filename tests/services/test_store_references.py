"""What the start-up sweep and `doctor --repair` consider referenced: every table naming store files,
including the sync worker's long-term extended copies (outbox_item.send_sha256); a crash's leftover
is set aside by both (real SQLite, real files)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from app.models import OutboxItem
from app.services import safe_files
from app.services.doctor import run_doctor
from app.services.document_store import store_document, sweep_unreferenced
from tests.services.signing_data import DemoClass, make_demo_class


@pytest.fixture
def issued(tmp_path: Path) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path / "refs", students=1)
    demo.issue_all()
    yield demo
    demo.db.dispose()


def test_long_term_copies_are_kept_and_leftovers_set_aside(issued: DemoClass) -> None:
    extended = store_document(issued.db, b"%PDF-1.7 the record with timestamps and revocation data")
    with issued.db.write() as s:
        s.execute(update(OutboxItem).where(OutboxItem.kind == "record").values(send_sha256=extended.sha256))
    leftover = store_document(issued.db, b"%PDF-1.7 signed, then the process died before its row")
    store = Path(issued.db.path).parent / "documents"

    report = run_doctor(Path(issued.db.path))
    notes = " ".join(report.check("documents").problems)
    assert leftover.sha256 in notes and extended.sha256 not in notes
    issued.db.dispose()
    repaired = run_doctor(Path(issued.db.path), repair=True)
    assert repaired.healthy, repaired
    left = {item.sha256 for item in safe_files.iter_store(store)}
    assert extended.sha256 in left and leftover.sha256 not in left

    again = store_document(issued.db, b"%PDF-1.7 another leftover")
    result = sweep_unreferenced(issued.db)
    assert result.moved == (again.store_key,)
    assert extended.sha256 in {item.sha256 for item in safe_files.iter_store(store)}
