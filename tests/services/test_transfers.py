"""Transfers between two demo schools: export, import, verify, and tampered packages refused."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.errors import UserFacingError
from app.models import AuditEntry, Enrolment, ReceivedDocument, Student, StudyHistory, TransferIn, TransferOut
from app.models.db import Database
from app.models.people import ROLE_CLERK, ROLE_PRINCIPAL
from app.services.access import SYSTEM, PermissionDenied
from app.services.document_store import read_document, sweep_unreferenced
from app.services.issuing import issued_records
from app.services.transfer_in import TransferRefused, accept_transfer
from app.services.transfer_out import export_transfer, preview_transfer_out
from app.services.transfer_package import read_package
from app.services.transfer_verify import verify_package
from tests.fixtures.demo_school import subject_teacher_actor
from tests.services.transfer_data import (
    B_NAME,
    Templates,
    actor_with_role,
    copy_school,
    make_templates,
    rewrite_package,
    root_of,
    student_ids,
)

pytestmark = pytest.mark.slow

DESTINATION = B_NAME
WHEN = date(2026, 12, 1)


@dataclass(frozen=True)
class Exported:
    templates: Templates
    package: Path
    a_root: bytes
    a_db: Database  # school A after the export (the student's enrolment ended)
    student_id: int
    record_bytes: dict[str, bytes]  # member name → exported record bytes
    others: dict[str, bytes]  # another student's issued record: student code → bytes


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exported]:
    root = tmp_path_factory.mktemp("transfer")
    templates = make_templates(root / "templates")
    a_db = copy_school(templates.a, root / "a-sent")
    first = student_ids(a_db)[0]
    package = root / "hocsinh.hbt"
    result = export_transfer(a_db, SYSTEM, first, package, destination=DESTINATION, transfer_date=WHEN)
    assert result.records == 1 and result.sheets > 0
    contents = read_package(package)
    records = {k: v for k, v in contents.files.items() if k.startswith("records/")}
    with a_db.read() as s:
        code = s.get(Student, first).student_code  # type: ignore[union-attr]
    others = {r.student_code: r.data for r in issued_records(a_db) if r.student_code != code}
    yield Exported(templates, package, root_of(a_db), a_db, first, records, others)
    a_db.dispose()


@pytest.fixture
def b_db(exported: Exported, tmp_path: Path) -> Iterator[Database]:
    db = copy_school(exported.templates.b, tmp_path / "b")
    yield db
    db.dispose()


def _count(db: Database, model: Any) -> int:
    with db.read() as s:
        return len(list(s.scalars(select(model.id))))


def _refused(db: Database, package: Path, roots: list[bytes]) -> tuple[str, ...]:
    """Import is refused; nothing was written; returns the reason codes."""
    students = _count(db, Student)
    with pytest.raises(TransferRefused) as caught:
        accept_transfer(db, SYSTEM, package, trust_roots=roots)
    assert caught.value.report.ok is False
    assert _count(db, Student) == students and _count(db, TransferIn) == 0
    assert _count(db, ReceivedDocument) == 0
    return caught.value.report.reason_codes


# --- the round trip -------------------------------------------------------------------------


def test_round_trip_bytes_identical_and_history_right(exported: Exported, b_db: Database) -> None:
    report = verify_package(b_db, exported.package, [exported.a_root])
    assert report.ok, [c.detail for c in report.failures]
    result = accept_transfer(b_db, SYSTEM, exported.package, trust_roots=[exported.a_root])
    assert result.verified and result.student_created and result.records == 1 and not result.skipped

    with exported.a_db.read() as s:
        sent = s.get(Student, exported.student_id)
        assert sent is not None
        a_school = report.school_name
        a_history = {(h.year_name, h.class_name, h.school_name) for h in sent.history}
        a_years = {
            (e.registration_number, e.end_date, e.end_reason)
            for e in s.scalars(select(Enrolment).where(Enrolment.student_id == sent.id))
        }
        ident = (sent.national_id, sent.student_code, sent.full_name, sent.date_of_birth)
    with b_db.read() as s:
        got = s.get(Student, result.student_id)
        assert got is not None
        assert (got.national_id, got.student_code, got.full_name, got.date_of_birth) == ident
        history = {(h.year_name, h.class_name, h.school_name) for h in got.history}
        received = [
            (r.kind, r.store_key, r.sha256, r.signatures_ok)
            for r in s.scalars(select(ReceivedDocument).where(ReceivedDocument.student_id == got.id))
        ]
        row = s.scalar(select(TransferIn))
        assert row is not None and row.verified and row.override_reason is None
        assert row.manifest == read_package(exported.package).manifest  # kept exactly as signed
        actions = list(s.scalars(select(AuditEntry.action)))
    # the years at A, plus whatever history A had from earlier schools
    [(_reg, ended, reason)] = a_years
    assert ended == WHEN and reason is not None and DESTINATION in reason
    assert history == a_history | {("2026-2027", "6A1", a_school)}
    [(_kind, key, sha, _ok)] = [r for r in received if r[0] == "record"]
    assert all(r[3] for r in received) and len(received) == 1 + result.sheets
    # bytes identical: the received file in B's store is exactly what A exported
    [(name, sent_bytes)] = exported.record_bytes.items()
    assert read_document(b_db, key, sha) == sent_bytes
    assert name == f"records/{sha}.pdf"
    assert "transfer.in" in actions


def test_received_documents_are_read_only_and_survive_the_sweep(exported: Exported, b_db: Database) -> None:
    accept_transfer(b_db, SYSTEM, exported.package, trust_roots=[exported.a_root])
    assert sweep_unreferenced(b_db).moved == ()
    conn = sqlite3.connect(b_db.path)
    try:
        for statement in (
            "UPDATE received_document SET sha256 = 'x'",
            "DELETE FROM received_document",
            "UPDATE transfer_in SET override_reason = 'x'",
            "DELETE FROM transfer_in",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="never change"):
                conn.execute(statement)
    finally:
        conn.close()


def test_a_package_is_received_once(exported: Exported, b_db: Database) -> None:
    accept_transfer(b_db, SYSTEM, exported.package, trust_roots=[exported.a_root])
    assert "already_received" in verify_package(b_db, exported.package, [exported.a_root]).reason_codes
    with pytest.raises(TransferRefused):
        accept_transfer(b_db, SYSTEM, exported.package, trust_roots=[exported.a_root])


def test_sending_school_recorded_the_transfer_and_refuses_a_second_one(
    exported: Exported, tmp_path: Path
) -> None:
    with exported.a_db.read() as s:
        [row] = list(s.scalars(select(TransferOut)))
        assert (row.destination_school, row.transfer_date, row.records) == (DESTINATION, WHEN, 1)
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "transfer.out")) is not None
    preview = preview_transfer_out(exported.a_db, SYSTEM, exported.student_id)
    assert preview.class_name is None and any(DESTINATION in n for n in preview.notes)
    with pytest.raises(UserFacingError, match="không còn theo học"):
        export_transfer(
            exported.a_db,
            SYSTEM,
            exported.student_id,
            tmp_path / "x.hbt",
            destination=DESTINATION,
            transfer_date=WHEN,
        )
    assert not (tmp_path / "x.hbt").exists()


def test_export_refusals_say_what_to_do(exported: Exported, tmp_path: Path) -> None:
    db = copy_school(exported.templates.a, tmp_path / "a")
    try:
        student = student_ids(db)[1]
        out = tmp_path / "p.hbt"
        with pytest.raises(PermissionDenied):
            export_transfer(db, subject_teacher_actor(db), student, out, destination="X", transfer_date=WHEN)
        with pytest.raises(UserFacingError, match="trường chuyển đến"):
            export_transfer(db, SYSTEM, student, out, destination="  ", transfer_date=WHEN)
        with pytest.raises(UserFacingError, match="Ngày chuyển"):
            export_transfer(db, SYSTEM, student, out, destination="X", transfer_date=date(2000, 1, 1))
        assert not out.exists()
        clerk = actor_with_role(db, ROLE_CLERK)
        assert export_transfer(db, clerk, student, out, destination="X", transfer_date=WHEN).records == 1
    finally:
        db.dispose()


# --- tampered packages ------------------------------------------------------------------------


def test_untrusted_signer_is_refused(exported: Exported, b_db: Database) -> None:
    codes = _refused(b_db, exported.package, [])
    assert {"manifest_untrusted", "untrusted_signer"} <= set(codes)
    assert "hash_mismatch" not in codes and "manifest_signature" not in codes


def test_changed_byte_in_one_pdf_is_refused(exported: Exported, b_db: Database, tmp_path: Path) -> None:
    [(name, data)] = exported.record_bytes.items()
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    plain = rewrite_package(exported.package, tmp_path / "plain.hbt", files={name: bytes(changed)})
    codes = _refused(b_db, plain, [exported.a_root])
    assert "hash_mismatch" in codes and "pdf_signature" in codes

    # An insider re-signs a manifest listing the changed file's hash: the PDF's own signatures still catch it.
    def relist(m: dict[str, Any]) -> None:
        import hashlib

        m["records"][0]["sha256"] = hashlib.sha256(changed).hexdigest()

    resigned = rewrite_package(
        exported.package,
        tmp_path / "resigned.hbt",
        files={name: bytes(changed)},
        edit=relist,
        resign_with=exported.a_db,
    )
    codes = _refused(b_db, resigned, [exported.a_root])
    assert "pdf_signature" in codes and "hash_mismatch" not in codes and "manifest_signature" not in codes


def test_swapped_pdf_from_another_student_is_refused(
    exported: Exported, b_db: Database, tmp_path: Path
) -> None:
    [name] = exported.record_bytes
    other_code, other = next(iter(exported.others.items()))
    swapped = rewrite_package(exported.package, tmp_path / "swapped.hbt", files={name: other})
    codes = _refused(b_db, swapped, [exported.a_root])
    assert "hash_mismatch" in codes and "wrong_student" in codes

    import hashlib

    def relist(m: dict[str, Any]) -> None:
        m["records"][0]["sha256"] = hashlib.sha256(other).hexdigest()
        m["records"][0]["size"] = len(other)

    resigned = rewrite_package(
        exported.package,
        tmp_path / "swapped2.hbt",
        files={name: other},
        edit=relist,
        resign_with=exported.a_db,
    )
    report = verify_package(b_db, resigned, [exported.a_root])
    assert report.reason_codes == ("wrong_student",)
    assert any(other_code in c.detail for c in report.failures)
    # Even the principal's override never attaches another student's record.
    principal = actor_with_role(b_db, ROLE_PRINCIPAL)
    result = accept_transfer(
        b_db,
        principal,
        resigned,
        trust_roots=[exported.a_root],
        override_reason="Trường cũ xác nhận qua điện thoại",
    )
    assert result.records == 0 and any("không phải của học sinh này" in s for s in result.skipped)


def test_manifest_listing_a_different_hash_is_refused(
    exported: Exported, b_db: Database, tmp_path: Path
) -> None:
    def wrong_hash(m: dict[str, Any]) -> None:
        m["sheets"][0]["sha256"] = "0" * 64

    package = rewrite_package(
        exported.package, tmp_path / "hash.hbt", edit=wrong_hash, resign_with=exported.a_db
    )
    codes = _refused(b_db, package, [exported.a_root])
    assert "hash_mismatch" in codes and "manifest_signature" not in codes


def test_manifest_whose_signature_does_not_verify_is_refused(
    exported: Exported, b_db: Database, tmp_path: Path
) -> None:
    def rename(m: dict[str, Any]) -> None:
        m["student"]["full_name"] = "Người Khác"

    package = rewrite_package(exported.package, tmp_path / "sig.hbt", edit=rename)  # old signature kept
    codes = _refused(b_db, package, [exported.a_root])
    assert "manifest_signature" in codes


def test_not_a_package_gives_a_message(b_db: Database, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.hbt"
    bogus.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(UserFacingError, match="không phải gói hồ sơ chuyển trường"):
        verify_package(b_db, bogus)


def test_real_school_refuses_a_demo_package(exported: Exported, b_db: Database) -> None:
    conn = sqlite3.connect(b_db.path)
    with conn:
        conn.execute("UPDATE school SET is_demo = 0")
    conn.close()
    assert "demo_package" in verify_package(b_db, exported.package, [exported.a_root]).reason_codes


# --- the principal's override -------------------------------------------------------------------


def test_override_needs_the_principal_and_a_reason_and_is_audited(exported: Exported, b_db: Database) -> None:
    clerk = actor_with_role(b_db, ROLE_CLERK)
    principal = actor_with_role(b_db, ROLE_PRINCIPAL)
    reason = "Sở GD&ĐT xác nhận chứng thư của trường cũ bằng công văn"
    with pytest.raises(PermissionDenied, match="Hiệu trưởng"):
        accept_transfer(b_db, clerk, exported.package, override_reason=reason)
    with pytest.raises(PermissionDenied):
        accept_transfer(b_db, SYSTEM, exported.package, override_reason=reason)
    with pytest.raises(UserFacingError, match="lý do"):
        accept_transfer(b_db, principal, exported.package, override_reason="ok")
    result = accept_transfer(b_db, principal, exported.package, override_reason=reason)
    assert not result.verified and result.override_reason == reason and result.records == 1
    with b_db.read() as s:
        row = s.scalar(select(TransferIn))
        assert row is not None and row.override_reason == reason and not row.verified
        assert "manifest_untrusted" in json.loads(row.report)["reasons"]
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "transfer.in"))
        assert entry is not None and entry.actor == principal.login
        assert entry.detail["override_reason"] == reason
        assert not any(r.signatures_ok for r in s.scalars(select(ReceivedDocument)))
        assert s.scalars(select(StudyHistory).where(StudyHistory.student_id == result.student_id)).first()


def test_matching_student_by_identification_number(exported: Exported, b_db: Database) -> None:
    with exported.a_db.read() as s:
        sent = s.get(Student, exported.student_id)
        assert sent is not None and sent.national_id is not None
        national_id = sent.national_id
    # B already knows this child (an earlier enrolment, another code): matched, not duplicated.
    conn = sqlite3.connect(b_db.path)
    with conn:
        conn.execute(
            "UPDATE student SET national_id = ? WHERE id = (SELECT min(id) FROM student)", (national_id,)
        )
        existing = conn.execute("SELECT id FROM student WHERE national_id = ?", (national_id,)).fetchone()[0]
    conn.close()
    before = _count(b_db, Student)
    result = accept_transfer(b_db, SYSTEM, exported.package, trust_roots=[exported.a_root])
    assert (result.student_id, result.student_created) == (existing, False)
    assert _count(b_db, Student) == before


def test_enrol_in_a_class_on_acceptance(exported: Exported, b_db: Database) -> None:
    from app.services.records import find_class

    class_id = find_class(b_db, "6A1")
    result = accept_transfer(
        b_db, SYSTEM, exported.package, trust_roots=[exported.a_root], class_id=class_id, start_date=WHEN
    )
    with b_db.read() as s:
        enrolment = s.scalar(select(Enrolment).where(Enrolment.student_id == result.student_id))
        assert enrolment is not None and (enrolment.class_id, enrolment.start_date) == (class_id, WHEN)


def test_only_the_registered_seal_signs_a_package(exported: Exported, tmp_path: Path) -> None:
    from app.services.certificates import demo_folder
    from app.signing.signers import DemoSignerSpec

    db = copy_school(exported.templates.a, tmp_path / "a")
    try:
        student = student_ids(db)[1]
        principal = actor_with_role(db, ROLE_PRINCIPAL)
        out = tmp_path / "p.hbt"
        not_the_seal = DemoSignerSpec(demo_folder(db), principal.login)
        with pytest.raises(UserFacingError, match="không phải con dấu"):
            export_transfer(
                db, principal, student, out, destination="X", transfer_date=WHEN, signer=not_the_seal
            )
        assert not out.exists()
        assert preview_transfer_out(db, SYSTEM, student).class_name == "6A1"  # the enrolment is still open
    finally:
        db.dispose()


def test_received_records_travel_on_unchanged(exported: Exported, b_db: Database, tmp_path: Path) -> None:
    """A → B → C: B passes on the record A issued, as received; C gets A's bytes, B's seal on the manifest."""
    from app.services.records import find_class

    first = accept_transfer(
        b_db, SYSTEM, exported.package, trust_roots=[exported.a_root], class_id=find_class(b_db, "6A1"),
        start_date=WHEN,
    )  # fmt: skip
    onward = tmp_path / "onward.hbt"
    sent = export_transfer(b_db, SYSTEM, first.student_id, onward, destination="Trường C", transfer_date=WHEN)
    assert sent.records == 1 and sent.sheets == first.sheets
    c_db = copy_school(exported.templates.b, tmp_path / "c")
    try:
        assert "manifest_untrusted" in verify_package(c_db, onward, [exported.a_root]).reason_codes
        report = verify_package(c_db, onward, [exported.a_root, root_of(b_db)])
        assert report.ok, [c.detail for c in report.failures]
        [record] = report.records
        assert record.school_name != report.school_name  # issued by A, sent on by B
        got = accept_transfer(c_db, SYSTEM, onward, trust_roots=[exported.a_root, root_of(b_db)])
        with c_db.read() as s:
            key, sha = s.execute(
                select(ReceivedDocument.store_key, ReceivedDocument.sha256).where(
                    ReceivedDocument.student_id == got.student_id, ReceivedDocument.kind == "record"
                )
            ).one()
        [sent_bytes] = exported.record_bytes.values()
        assert read_document(c_db, key, sha) == sent_bytes
    finally:
        c_db.dispose()
