"""The signing order on a small demo class with the demo signer (real SQLite, real files, real pyHanko)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from app.models import Conduct, Document, DocumentFile, Enrolment, OutboxItem, School, Signature
from app.services import audit, safe_files, signing_run
from app.services.certificates import SEAL, demo_folder, ensure_demo_signers
from app.services.document_store import read_document, store_document, sweep_unreferenced
from app.services.signing_order import SigningRefused
from app.signing.batch import BatchOptions, SignJob, sign_batch
from app.signing.errors import DemoSignerRefusedError
from app.signing.roles import Role
from app.signing.signers import DemoSignerSpec
from app.signing.validation import validate_pdf
from tests.services.signing_data import DemoClass, make_demo_class


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path_factory.mktemp("issued"))
    demo.issue_all()
    yield demo
    demo.db.dispose()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path / "fresh", students=2)
    yield demo
    demo.db.dispose()


def test_full_order_issues_records_that_validate(issued: DemoClass) -> None:
    assert issued.states("record") == ["issued", "issued"]
    assert set(issued.states("sheet")) == {"gvbm_signed"}
    data = issued.current_file("issued")
    report = validate_pdf(data, [issued.pki.root_der()])
    assert report.all_ok, report.to_json()
    by_field = {s.field: s for s in report.signatures}
    assert list(by_field) == ["GVCN", "HieuTruong", "ConDau"]
    assert by_field["GVCN"].certifies and by_field["ConDau"].locks_document
    assert all(s.intact and s.trusted and s.changes_acceptable for s in report.signatures)
    attachments = PdfReader(__import__("io").BytesIO(data)).attachments
    assert any(name.endswith(".xml") for name in attachments), "the record's XML rides along"
    with issued.db.read() as s:
        leaders = set(s.scalars(select(Signature.leader).where(Signature.role == "hieutruong")))
        assert leaders == {"hieutruong"}
        assert audit.verify_chain(s).ok


def test_record_carries_the_signed_sheet_hashes(issued: DemoClass) -> None:
    xml = next(v for k, v in PdfReader(__import__("io").BytesIO(issued.current_file())).attachments.items()
               if k.endswith(".xml"))[0]  # fmt: skip
    with issued.db.read() as s:
        sheet_hashes = set(s.scalars(select(Document.current_sha256).where(Document.kind == "sheet")))
    assert sheet_hashes and all(h is not None and h.encode() in xml for h in sheet_hashes)


def test_issuing_queues_the_outbox(issued: DemoClass) -> None:
    with issued.db.read() as s:
        items = s.execute(select(OutboxItem.kind, OutboxItem.sha256, OutboxItem.store_key)).all()
        issued_hashes = set(s.scalars(select(Document.current_sha256).where(Document.state == "issued")))
    assert {sha for kind, sha, _ in items if kind == "record"} == issued_hashes
    assert sum(1 for kind, _, _ in items if kind == "sheet") == len(issued.states("sheet"))


def test_issued_rows_refuse_changes_in_the_database(issued: DemoClass) -> None:
    conn = sqlite3.connect(issued.db.path)
    try:
        for sql in (
            "UPDATE document SET state = 'approved' WHERE state = 'issued'",
            "UPDATE document SET current_sha256 = 'x' WHERE state = 'gvbm_signed'",
            "DELETE FROM document WHERE state = 'issued'",
            "UPDATE signature SET signer_name = 'ai đó'",
            "DELETE FROM signature",
            "DELETE FROM document_file",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="never"):
                conn.execute(sql)
        assert conn.execute("SELECT count(*) FROM document WHERE state = 'issued'").fetchone() == (2,)
    finally:
        conn.close()


def test_rerun_after_issuing_signs_nothing(issued: DemoClass) -> None:
    plan = issued.plan("condau", SEAL)
    assert [i.status for i in plan.items] == ["done", "done"]
    run = issued.sign("condau", SEAL)
    assert run.results == () and run.complete


def test_unlocked_mark_book_blocks_the_sheet(fresh: DemoClass) -> None:
    code, login = next(iter(fresh.teachers.items()))
    plan = fresh.plan("gvbm", login, subject_code=code)
    assert plan.items and {i.status for i in plan.items} == {"blocked"}
    assert "chưa khoá" in (plan.items[0].reason or "")
    with pytest.raises(SigningRefused, match="chưa khoá"):
        fresh.sign("gvbm", login, subject_code=code)
    assert fresh.states("sheet") == []


def test_out_of_order_is_refused(fresh: DemoClass) -> None:
    fresh.lock_all()
    gvcn = fresh.plan("gvcn", fresh.homeroom)
    assert {i.status for i in gvcn.items} == {"blocked"}
    assert "chưa đủ chữ ký giáo viên bộ môn" in (gvcn.items[0].reason or "")
    leader = fresh.plan("hieutruong", fresh.principal)
    assert {i.reason for i in leader.items} == {"chưa có chữ ký của giáo viên chủ nhiệm"}
    with pytest.raises(SigningRefused, match="giáo viên chủ nhiệm"):
        fresh.sign("hieutruong", fresh.principal)


def test_wrong_persons_certificate_is_refused(fresh: DemoClass) -> None:
    other = next(login for login in fresh.teachers.values() if login != fresh.homeroom)
    with pytest.raises(SigningRefused, match="không phải giáo viên chủ nhiệm"):
        fresh.plan("gvcn", other)
    code = next(c for c, t in fresh.teachers.items() if t != other)
    with pytest.raises(SigningRefused, match="không phải giáo viên dạy môn"):
        fresh.plan("gvbm", other, subject_code=code)
    with pytest.raises(SigningRefused, match="không phải con dấu"):
        fresh.plan("condau", fresh.principal)
    with pytest.raises(SigningRefused, match="không phải Hiệu trưởng"):
        fresh.plan("hieutruong", other)
    from app.services.signing_order import plan_signing

    with pytest.raises(SigningRefused, match="chưa được đăng ký"):
        plan_signing(fresh.db, "gvcn", fresh.class_id, "ab" * 32)


def test_expired_certificate_is_refused(fresh: DemoClass) -> None:
    later = datetime.now(UTC) + timedelta(days=20 * 365)
    with pytest.raises(SigningRefused, match="hết hạn"):
        fresh.plan("gvcn", fresh.homeroom, now=later)


def test_demo_signer_is_refused_for_a_real_school(fresh: DemoClass) -> None:
    fresh.lock_all()
    code, login = next(iter(fresh.teachers.items()))
    plan = fresh.plan("gvbm", login, subject_code=code)
    with fresh.db.write() as s:
        s.execute(update(School).values(is_demo=False))
    with pytest.raises(DemoSignerRefusedError):
        ensure_demo_signers(fresh.db)
    real = fresh.plan("gvbm", login, subject_code=code)
    assert plan.school_is_demo and not real.school_is_demo
    with pytest.raises(DemoSignerRefusedError):
        signing_run.run_signing(fresh.db, real, DemoSignerSpec(demo_folder(fresh.db), login), None)
    assert fresh.states("sheet") == []


def test_locked_document_is_refused_and_left_alone(tmp_path: Path) -> None:
    demo = make_demo_class(tmp_path / "locked", students=1)
    try:
        demo.issue_all()
        with demo.db.read() as s:
            key, sha = s.execute(
                select(DocumentFile.store_key, DocumentFile.sha256).where(DocumentFile.stage == "gvcn")
            ).one()
        # The seal signs right after the homeroom teacher (the core does not know the order),
        # so the principal's field is now locked by the seal.
        out = tmp_path / "sealed-early.pdf"
        sign_batch(
            [SignJob(read_document(demo.db, key, sha), out, Role.CON_DAU)],
            DemoSignerSpec(demo_folder(demo.db), SEAL), None, options=BatchOptions(allow_demo=True),
        )  # fmt: skip
        stored = store_document(demo.db, out.read_bytes())
        # A record whose row says "waiting for approval" but whose file is already sealed.
        with demo.db.write() as s:
            doc = s.scalar(select(Document).where(Document.state == "issued"))
            assert doc is not None
            forged = Document(
                uuid="00000000-0000-0000-0000-000000000001", kind="record", school_id=doc.school_id,
                school_year_id=doc.school_year_id, class_id=doc.class_id, enrolment_id=doc.enrolment_id,
                version=2, state="gvcn_signed", superseded=False, current_sha256=stored.sha256,
            )  # fmt: skip
            s.add(forged)
            s.flush()
            s.add(DocumentFile(document_id=forged.id, sha256=stored.sha256, store_key=stored.store_key,
                               size=stored.size, stage="gvcn"))  # fmt: skip
        run = demo.sign("hieutruong", demo.principal)
        [result] = run.results
        assert result.status == "refused" and "khoá" in (result.message or "")
        with demo.db.read() as s:
            assert s.scalar(select(Document.state).where(Document.version == 2)) == "gvcn_signed"
    finally:
        demo.db.dispose()


def test_batch_resumes_after_a_failure_mid_batch(fresh: DemoClass, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh.lock_all()
    login = max(set(fresh.teachers.values()), key=lambda t: list(fresh.teachers.values()).count(t))
    total = len(fresh.plan("gvbm", login).pending)
    assert total >= 3
    real_commit = signing_run.commit_signature
    calls = []

    def crash_on_third(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("mất điện giữa chừng (giả lập)")
        real_commit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(signing_run, "commit_signature", crash_on_third)
    with pytest.raises(RuntimeError):
        fresh.sign("gvbm", login)
    monkeypatch.setattr(signing_run, "commit_signature", real_commit)
    plan = fresh.plan("gvbm", login)
    assert len(plan.having("done")) == 2 and len(plan.pending) == total - 2
    again = fresh.sign("gvbm", login)
    assert again.count("signed") == total - 2 and again.complete
    assert fresh.plan("gvbm", login).pending == ()
    assert fresh.sign("gvbm", login).results == ()  # idempotent
    with fresh.db.read() as s:
        rows = s.execute(
            select(Document.uuid, Document.current_sha256).where(Document.state == "gvbm_signed")
        ).all()
        assert len(rows) == total
        assert s.scalar(select(Signature.id).where(Signature.role == "gvbm").limit(1)) is not None
    # Nothing half-written: every stored file matches its name.
    store = Path(fresh.db.path).parent / "documents"
    for item in safe_files.iter_store(store):
        assert not item.is_temp and safe_files.sha256_of(item.path) == item.sha256


def test_homeroom_batch_skips_students_waiting_for_summer(fresh: DemoClass) -> None:
    with fresh.db.write() as s:
        enrolment_id = s.scalars(select(Enrolment.id).where(Enrolment.class_id == fresh.class_id)).first()
        s.execute(update(Conduct).where(Conduct.enrolment_id == enrolment_id).values(level="CĐ"))
    fresh.lock_all()
    fresh.sign_sheets()
    plan = fresh.plan("gvcn", fresh.homeroom)
    [waiting] = plan.having("skipped")
    assert "rèn luyện trong hè" in (waiting.reason or "") and len(plan.pending) == 1
    assert fresh.sign("gvcn", fresh.homeroom).count("signed") == 1
    assert sorted(fresh.states("record")) == ["gvcn_signed"]
    # After the summer: conduct re-assessed, the student is signed on their own.
    with fresh.db.write() as s:
        s.add(Conduct(enrolment_id=enrolment_id, period="he", level="Đ"))
    later = fresh.plan("gvcn", fresh.homeroom)
    assert [i.label for i in later.pending] == [waiting.label]
    assert fresh.sign("gvcn", fresh.homeroom).count("signed") == 1
    assert fresh.states("record") == ["gvcn_signed", "gvcn_signed"]


def test_startup_sweep_moves_unreferenced_files_aside(issued: DemoClass) -> None:
    stray = store_document(issued.db, b"%PDF-1.7 not referenced by anything")
    store = Path(issued.db.path).parent / "documents"
    before = {i.relative for i in safe_files.iter_store(store)}
    result = sweep_unreferenced(issued.db)
    assert result.moved == (stray.store_key,)
    assert result.folder is not None and (result.folder / Path(stray.store_key).name).exists()
    after = {i.relative for i in safe_files.iter_store(store)}
    assert after == before - {stray.store_key}
    assert sweep_unreferenced(issued.db).moved == ()
