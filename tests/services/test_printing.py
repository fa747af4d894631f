"""Confirmed printouts on a real issued demo record: the QR code read back from the rendered
page (poppler's pdftoppm, then the zxing-cpp decoder), the print log, the untouched original."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pytest
import zxingcpp
from keyrings.alt.file import PlaintextKeyring
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.errors import NotFound, UserFacingError
from app.main import main
from app.models import AuditEntry, Document, DocumentFile, OutboxItem
from app.models import documents as d
from app.services import audit
from app.services.access import PermissionDenied
from app.services.document_store import read_document
from app.services.printing import (
    AUDIT_ACTION,
    actor_by_login,
    find_document,
    prepare_printout,
    print_to_file,
    verify_url,
)
from app.sync.client import RetryPolicy, Timeouts
from app.sync.connect import connect_device
from app.sync.state import get_state
from app.sync.worker import SyncOptions, run_sync
from tests.hub.servers import start_hub
from tests.services.signing_data import DemoClass, make_demo_class

HUB = "https://hub.sgd-thainguyen.example.vn/"


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path_factory.mktemp("printing"))
    demo.issue_all()
    yield demo
    demo.db.dispose()


def _set_hub(demo: DemoClass, url: str | None) -> None:
    with demo.db.write() as s:
        get_state(s).hub_url = url


def _record(demo: DemoClass) -> tuple[int, str, bytes]:
    with demo.db.read() as s:
        doc = s.scalars(select(Document).where(Document.kind == d.KIND_RECORD).order_by(Document.id)).first()
        assert doc is not None and doc.state == d.ISSUED and doc.current_sha256
        key = s.scalar(select(DocumentFile.store_key).where(DocumentFile.sha256 == doc.current_sha256))
        assert key is not None
        return doc.id, doc.current_sha256, read_document(demo.db, key, doc.current_sha256)


def _page_png(pdf: Path, page: int, out: Path) -> Path:
    stem = out.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(stem),
        ],
        check=True,
    )
    return stem.with_suffix(".png")


def _qr_texts(png: Path) -> list[str]:
    with Image.open(png) as image:
        return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def test_qr_on_the_printout_decodes_to_the_hub_verify_address(
    issued: DemoClass, tmp_path: Path, artifacts_dir: Path
) -> None:
    _set_hub(issued, HUB)
    doc_id, sha, original = _record(issued)
    clerk = actor_by_login(issued.db, "vanthu")
    out = tmp_path / "banin.pdf"
    printout = print_to_file(issued.db, clerk, doc_id, out)

    pages = len(PdfReader(io.BytesIO(original)).pages)
    copy = PdfReader(out)
    assert len(copy.pages) == pages + 1  # the record's pages, then the verification page
    png = _page_png(out, pages + 1, artifacts_dir / "confirmed_print_verification.png")
    expected = f"https://hub.sgd-thainguyen.example.vn/v1/verify/{hashlib.sha256(original).hexdigest()}"
    assert _qr_texts(png) == [expected]
    assert printout.verify_url == expected == verify_url(HUB, sha.upper())

    text = copy.pages[-1].extract_text()
    assert "Bản in có xác nhận — kiểm tra bản gốc bằng mã QR" in text
    assert " ".join(sha[i : i + 8] for i in range(32, 64, 8)) in text  # the full hash, in groups
    assert printout.record_id in text and "Giáo viên chủ nhiệm" in text and "Nhà trường (đóng dấu)" in text
    first = copy.pages[0].extract_text()
    assert "Bản in có xác nhận" in first and printout.record_id in first
    _page_png(out, pages, artifacts_dir / "confirmed_print_record_page.png")


def test_print_copy_carries_no_signature_fields_and_the_original_is_unchanged(
    issued: DemoClass, tmp_path: Path
) -> None:
    _set_hub(issued, HUB)
    doc_id, sha, original = _record(issued)
    with issued.db.read() as s:
        files_before = s.scalar(select(DocumentFile.id).order_by(DocumentFile.id.desc()).limit(1))
    printout = prepare_printout(issued.db, actor_by_login(issued.db, "hieutruong"), doc_id)
    copy = PdfReader(io.BytesIO(printout.pdf))
    assert "/AcroForm" not in copy.root_object
    assert all("/Annots" not in page for page in copy.pages)
    assert b"/ByteRange" not in printout.pdf  # no signature values dragged along
    assert printout.print_sha256 != sha

    doc_id_after, sha_after, original_after = _record(issued)
    assert (doc_id_after, sha_after) == (doc_id, sha)
    assert hashlib.sha256(original_after).hexdigest() == sha == hashlib.sha256(original).hexdigest()
    with issued.db.read() as s:
        assert s.scalar(select(DocumentFile.id).order_by(DocumentFile.id.desc()).limit(1)) == files_before


def test_print_log_names_who_printed_what(issued: DemoClass, tmp_path: Path) -> None:
    doc_id, sha, _ = _record(issued)
    clerk = actor_by_login(issued.db, "vanthu")
    with issued.db.read() as s:
        before = s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    prepare_printout(issued.db, clerk, doc_id)  # a preview alone logs nothing
    with issued.db.read() as s:
        assert s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) == before
    printout = print_to_file(issued.db, clerk, doc_id, tmp_path / "log.pdf")
    with issued.db.read() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert audit.verify_chain(s).ok
        who = (entry.actor, entry.action, entry.entity, entry.entity_id)
        detail = dict(entry.detail)
    assert who == ("vanthu", AUDIT_ACTION, "document", str(doc_id))
    assert detail["sha256"] == sha
    assert detail["record_id"] == printout.record_id
    assert detail["channel"] == "pdf" and detail["target"] == "log.pdf"
    assert detail["command_line"] is True  # print_to_file is the command line's path
    assert detail["print_sha256"] == hashlib.sha256((tmp_path / "log.pdf").read_bytes()).hexdigest()


def test_without_a_hub_there_is_no_qr_and_the_page_says_so(
    issued: DemoClass, tmp_path: Path, artifacts_dir: Path
) -> None:
    _set_hub(issued, None)
    try:
        doc_id, sha, _ = _record(issued)
        out = tmp_path / "nohub.pdf"
        printout = print_to_file(issued.db, actor_by_login(issued.db, "vanthu"), doc_id, out)
        assert printout.verify_url is None
        pages = len(PdfReader(out).pages)
        png = _page_png(out, pages, artifacts_dir / "confirmed_print_no_hub.png")
        assert _qr_texts(png) == []
        text = PdfReader(out).pages[-1].extract_text()
        assert "Không có mã QR" in text and sha[:8] in text
    finally:
        _set_hub(issued, HUB)


def test_refusals(issued: DemoClass) -> None:
    doc_id, _, _ = _record(issued)
    with issued.db.read() as s:
        sheet_id = s.scalar(select(Document.id).where(Document.kind == d.KIND_SHEET).limit(1))
        uuid = s.scalar(select(Document.uuid).where(Document.id == doc_id))
    assert sheet_id is not None and uuid is not None
    with pytest.raises(NotFound):
        prepare_printout(issued.db, actor_by_login(issued.db, "vanthu"), sheet_id)
    assert find_document(issued.db, uuid.upper()) == doc_id
    assert find_document(issued.db, str(doc_id)) == doc_id
    with pytest.raises(NotFound):
        find_document(issued.db, "999999")
    with pytest.raises(NotFound):
        actor_by_login(issued.db, "khongco")
    with issued.db.read() as s:
        from app.models import SchoolClass, UserAccount

        homeroom = s.scalar(select(SchoolClass.homeroom_teacher_id).where(SchoolClass.id == issued.class_id))
        outsider = s.scalar(
            select(UserAccount.login).where(UserAccount.login.like("gv.%"), UserAccount.id != homeroom)
            .where(UserAccount.login.not_in(list(issued.teachers.values()))).limit(1)
        )  # fmt: skip
    if outsider is not None:  # the one-class demo may give every teacher a subject here
        with pytest.raises(PermissionDenied):
            prepare_printout(issued.db, actor_by_login(issued.db, outsider), doc_id)
    assert issubclass(PermissionDenied, UserFacingError)


def test_print_command(issued: DemoClass, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc_id, sha, _ = _record(issued)
    out = tmp_path / "cli.pdf"
    db_path = str(issued.db.path)
    assert (
        main(["print", "--db", db_path, "--document", str(doc_id), "--out", str(out), "--as", "vanthu"]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["sha256"] == sha and result["document"] == doc_id
    assert result["verify_url"] == f"https://hub.sgd-thainguyen.example.vn/v1/verify/{sha}"
    assert result["print_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()

    assert main(["print", "--db", db_path, "--document", str(doc_id), "--out", str(tmp_path / "x.txt")]) == 2
    assert "đuôi .pdf" in capsys.readouterr().err
    assert main(["print", "--db", db_path, "--document", "nope", "--out", str(tmp_path / "y.pdf")]) == 1
    assert "mã hồ sơ" in capsys.readouterr().err
    assert not (tmp_path / "y.pdf").exists()


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A real keyring backend in a temp folder (keyrings.alt), for the device credential.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    yield
    keyring.set_keyring(previous)


def test_the_scanned_address_answers_on_a_real_hub(
    issued: DemoClass, tmp_path: Path, artifacts_dir: Path, file_keyring: None
) -> None:
    """Paper to hub: sync the issued records, print, read the QR code, ask the hub at that address."""
    hub_data = tmp_path / "hub"
    (hub_data / "trust").mkdir(parents=True)
    [root] = list(Path(issued.db.path).parent.rglob("demo-root.pem"))
    (hub_data / "trust" / "demo-root.pem").write_bytes(root.read_bytes())
    hub = start_hub(hub_data)
    try:
        with issued.db.read() as s:
            school = s.scalars(select(OutboxItem.school_code)).first()
        assert school is not None
        fast = RetryPolicy(attempts=5, base_delay_s=0.02, max_delay_s=0.2, max_retry_after_s=5)
        quick = Timeouts(connect_s=3, read_s=3, write_s=3, pool_s=3)
        connect_device(issued.db, hub.url, hub.device(school), policy=fast, timeouts=quick)
        assert run_sync(issued.db, SyncOptions(policy=fast, timeouts=quick)).waiting == 0

        doc_id, sha, _ = _record(issued)
        out = tmp_path / "to-hub.pdf"
        print_to_file(issued.db, actor_by_login(issued.db, "vanthu"), doc_id, out)
        [url] = _qr_texts(_page_png(out, len(PdfReader(out).pages), tmp_path / "qr.png"))
        assert url == f"{hub.url.rstrip('/')}/v1/verify/{sha}"
        answer = httpx.get(url, timeout=10).json()
        assert answer["held"] is True and answer["status"] == "current" and answer["sha256"] == sha
        page = httpx.get(url, headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        (artifacts_dir / "confirmed_print_hub_answer.html").write_text(page.text, encoding="utf-8")
    finally:
        hub.stop()
        _set_hub(issued, HUB)
