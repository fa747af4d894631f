"""The student page: study history, results, record versions with their signatures, transfers."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import NotFound
from app.models import Document, Enrolment, ReceivedDocument, StudyHistory, TransferIn, TransferOut
from app.models.db import Database
from app.services.access import SYSTEM, PermissionDenied
from app.services.class_results import class_results
from app.services.document_store import store_document
from app.services.lookup import STATUS_LEFT, LookupQuery, search_students
from app.services.student_history import open_received_record, open_record_version, student_page
from tests.services.lookup_data import role_actor, teacher_of
from tests.services.signing_data import DemoClass, make_demo_class


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> DemoClass:
    """One demo class of three students, every record issued with the demo signers."""
    demo = make_demo_class(tmp_path_factory.mktemp("history"), students=3)
    demo.issue_all()
    return demo


def _students(db: Database, class_id: int) -> list[tuple[int, int]]:
    """(student id, enrolment id) of the class, in id order."""
    with db.read() as s:
        return [(st, e) for e, st in s.execute(
            select(Enrolment.id, Enrolment.student_id)
            .where(Enrolment.class_id == class_id).order_by(Enrolment.id)
        )]  # fmt: skip


def test_an_issued_year_with_its_signatures_and_results(issued: DemoClass) -> None:
    student_id, _ = _students(issued.db, issued.class_id)[0]
    page = student_page(issued.db, SYSTEM, student_id)
    assert len(page.years) == 1
    year = page.years[0]
    assert year.here and year.class_name == issued.class_name and year.end_date is None
    assert year.homeroom_name
    (version,) = year.records
    assert version.version == 1 and version.state == "issued" and not version.superseded
    assert version.status_label.startswith("Đã phát hành ngày ")
    assert [m.role for m in version.signatures] == ["gvcn", "hieutruong", "condau"]
    assert [m.role_label for m in version.signatures] == [
        "Giáo viên chủ nhiệm", "Hiệu trưởng", "Con dấu nhà trường",
    ]
    assert all(m.signer_name and m.demo for m in version.signatures)
    assert version.missing_roles == () and version.can_open
    # The same results as the class page.
    rows = class_results(issued.db, SYSTEM, issued.class_id).rows
    row = next(r for r in rows if r.student_id == student_id)
    assert year.result is not None
    assert (year.result.learning, year.result.conduct, year.result.promotion_label) == (
        row.learning, row.conduct, row.promotion_label,
    )


def test_a_version_opens_with_its_exact_bytes(issued: DemoClass) -> None:
    student_id, _ = _students(issued.db, issued.class_id)[0]
    version = student_page(issued.db, SYSTEM, student_id).years[0].records[0]
    assert version.document_id is not None
    opened = open_record_version(issued.db, SYSTEM, version.document_id)
    assert hashlib.sha256(opened.pdf).hexdigest() == version.sha256
    assert opened.xml.startswith(b"<hocba ") and b"<mahoso>" in opened.xml
    assert opened.title.endswith("bản 1") and issued.class_name in opened.title
    with pytest.raises(NotFound):
        open_record_version(issued.db, SYSTEM, 987654)


def test_a_correction_in_progress_and_its_missing_signatures(issued: DemoClass) -> None:
    student_id, enrolment_id = _students(issued.db, issued.class_id)[1]
    with issued.db.write() as s:
        old = s.scalars(select(Document).where(Document.enrolment_id == enrolment_id)).one()
        s.add(Document(
            uuid=str(uuid.uuid4()), kind="record", school_id=old.school_id, school_year_id=old.school_year_id,
            class_id=old.class_id, enrolment_id=enrolment_id, version=2, supersedes=old.uuid,
            supersede_reason="Sai ngày sinh", state="draft",
        ))  # fmt: skip
    old_v, new_v = student_page(issued.db, SYSTEM, student_id).years[0].records
    assert (old_v.version, new_v.version) == (1, 2)
    assert not old_v.superseded and old_v.superseded_by_version == 2
    assert "bản 2 đang được làm" in old_v.status_label
    assert new_v.supersedes_version == 1 and new_v.supersede_reason == "Sai ngày sinh"
    assert new_v.status_label == "Bản nháp, chờ giáo viên chủ nhiệm ký"
    assert new_v.missing_roles == ("Giáo viên chủ nhiệm", "Hiệu trưởng", "Con dấu nhà trường")
    assert not new_v.can_open and new_v.signatures == ()
    assert new_v.document_id is not None
    with pytest.raises(NotFound, match="chưa được tạo tệp"):
        open_record_version(issued.db, SYSTEM, new_v.document_id)


def test_transfer_out_earlier_schools_and_received_records(issued: DemoClass, tmp_path: Path) -> None:
    db = issued.db
    student_id, enrolment_id = _students(db, issued.class_id)[2]
    left_on = date(2027, 1, 15)
    received_pdf = issued.current_file()
    stored = store_document(db, received_pdf)
    with db.write() as s:
        enrolment = s.get(Enrolment, enrolment_id)
        assert enrolment is not None
        enrolment.end_date, enrolment.end_reason = left_on, "Chuyển trường"
        s.add(TransferOut(student_id=student_id, enrolment_id=enrolment_id, transfer_date=left_on,
                          destination_school="Trường THCS Đống Đa", package_sha256="a" * 64,
                          manifest_sha256="b" * 64, records=1, created_by="vanthu"))
        s.add(StudyHistory(student_id=student_id, year_name="2020-2021", class_name="6B",
                           school_name="Trường THCS Kim Liên", registration_number="12"))
        t_in = TransferIn(
            student_id=student_id, source_school_code="01001", source_school_name="Trường THCS Láng Hạ",
            package_sha256="c" * 64, manifest_sha256="d" * 64, manifest=b"{}", manifest_signature=b"x",
            verified=True, report="{}", override_reason=None, student_created=False, accepted_by="vanthu",
            accepted_at=datetime(2024, 8, 20, 8, 0),
        )
        s.add(t_in)
        s.flush()
        received = ReceivedDocument(
            transfer_in_id=t_in.id, student_id=student_id, kind="record", document_uuid=str(uuid.uuid4()),
            version=1, year_name="2023-2024", class_name="8C", school_name="Trường THCS Láng Hạ",
            sha256=stored.sha256, store_key=stored.store_key, size=stored.size, signatures_ok=True,
        )
        s.add(received)
    page = student_page(db, SYSTEM, student_id)
    assert [(y.year_name, y.here, y.school_name) for y in page.years][:2] == [
        ("2020-2021", False, "Trường THCS Kim Liên"),
        ("2023-2024", False, "Trường THCS Láng Hạ"),
    ]
    earlier, from_package, here = page.years
    assert earlier.registration_number == "12" and earlier.records == ()
    (got,) = from_package.records
    assert got.state == "received" and got.can_open and got.school_name == "Trường THCS Láng Hạ"
    assert "Nhận từ Trường THCS Láng Hạ" in got.status_label and "hợp lệ" in got.status_label
    assert page.transfers_in[0].source_school_name == "Trường THCS Láng Hạ"
    assert got.received_id is not None
    opened = open_received_record(db, SYSTEM, got.received_id)
    assert opened.pdf == received_pdf and "Trường THCS Láng Hạ" in opened.title
    # The year here ended with the transfer: no year result, the destination shown.
    assert page.left == here
    assert here.end_date == left_on and here.end_reason == "Chuyển trường"
    assert here.transfer_out is not None and here.transfer_out.destination_school == "Trường THCS Đống Đa"
    assert here.result is None and here.result_note and "Rời lớp giữa năm học" in here.result_note
    assert here.records and here.records[0].state == "issued"
    # The look-up shows the same student as departed.
    hit = next(h for h in search_students(db, SYSTEM, LookupQuery(page.full_name)).hits
               if h.student_id == student_id)
    assert hit.status == STATUS_LEFT


def test_who_may_see_the_page_and_the_number(issued: DemoClass) -> None:
    db = issued.db
    student_id, _ = _students(db, issued.class_id)[0]
    with db.read() as s:
        from app.models import Student

        full = s.get(Student, student_id).national_id  # type: ignore[union-attr]
    assert full
    clerk = student_page(db, role_actor("vanthu"), student_id)
    assert clerk.national_id == full and clerk.national_id_full
    teacher = student_page(db, teacher_of(issued.class_id), student_id)
    assert teacher.national_id == "••••••••" + full[-4:] and not teacher.national_id_full
    with pytest.raises(PermissionDenied):
        student_page(db, teacher_of(issued.class_id + 1000), student_id)
    version = teacher.years[0].records[0]
    assert version.document_id is not None
    with pytest.raises(PermissionDenied):
        open_record_version(db, teacher_of(issued.class_id + 1000), version.document_id)
    with pytest.raises(NotFound):
        student_page(db, SYSTEM, 10_000_000)
