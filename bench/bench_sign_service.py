"""The product's batch service (signing_run.run_signing) against a bare pyHanko loop, 45 records.

A demo school with one class of 45 students goes through the order up to the homeroom
teacher (demo signer); then the principal approves the class with a SoftHSM token through
`plan_signing` + `run_signing`, exactly what the "Ký số" page runs: read each GVCN-signed
file from the content-addressed store, lock check, certificate checks, the stamp rendered
once, atomic write, store the signed file (fsync, rename) and one database transaction per
document (file row, signature row, state, audit entry). In the same run, on the same token
thread, a bare loop of pyHanko's PKCS11Signer + PdfSigner signs the same 45 files with its
default visible stamp and plain writes. Rounds are interleaved; each product round works
on a fresh copy of the school folder.

Prints figures only: ``.venv/bin/python bench/bench_sign_service.py``.
"""

from __future__ import annotations

import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sign import CKA_ID, LABEL, MODULE, PIN, provision

from app.models import Document, DocumentFile
from app.models.db import open_database
from app.services import locking
from app.services.access import SYSTEM
from app.services.certificates import demo_folder, ensure_demo_signers, register_certificate
from app.services.demo import create_demo_school
from app.services.document_store import read_document
from app.services.records import find_class
from app.services.signing_order import plan_signing
from app.services.signing_run import run_signing
from app.signing import tokens
from app.signing.pin import Pin
from app.signing.signers import DemoSignerSpec, TokenSignerSpec
from app.signing.worker import TokenWorker

STUDENTS = 45
ROUNDS = 3
DB_NAME = "hocba.sqlite3"


def prepare_school(folder: Path, token_cert_der: bytes) -> tuple[int, str]:
    """The demo class signed by its subject teachers and homeroom teacher (demo signer)."""
    folder.mkdir(parents=True)
    db = open_database(folder / DB_NAME)
    try:
        summary = create_demo_school(db, classes=1, students_per_class=STUDENTS, seed=7)
        demo = ensure_demo_signers(db)
        class_id = find_class(db, summary.classes[0].name)
        from app.models import SchoolClass, TeachingAssignment, UserAccount

        with db.read() as s:
            assignments = s.execute(
                select(TeachingAssignment.subject_id, UserAccount.login)
                .join(UserAccount, UserAccount.id == TeachingAssignment.teacher_id)
                .where(TeachingAssignment.class_id == class_id)
            ).all()
            homeroom = s.scalar(
                select(UserAccount.login)
                .join(SchoolClass, SchoolClass.homeroom_teacher_id == UserAccount.id)
                .where(SchoolClass.id == class_id)
            )
        for subject_id, _login in assignments:
            locking.lock_markbook(db, SYSTEM, class_id, subject_id)
        order = [("gvbm", login) for login in sorted({login for _, login in assignments})]
        order.append(("gvcn", homeroom or ""))
        for role, login in order:
            plan = plan_signing(db, role, class_id, demo.credentials[login].sha256)
            run = run_signing(db, plan, DemoSignerSpec(demo_folder(db), login), None)
            assert run.complete, run.to_json()
        register_certificate(db, "hieutruong", token_cert_der)
        return class_id, summary.classes[0].name
    finally:
        db.dispose()


def gvcn_signed_files(folder: Path, out: Path) -> list[Path]:
    db = open_database(folder / DB_NAME)
    try:
        with db.read() as s:
            rows = s.execute(
                select(DocumentFile.store_key, DocumentFile.sha256)
                .join(Document, (Document.id == DocumentFile.document_id)
                      & (DocumentFile.sha256 == Document.current_sha256))
                .where(Document.kind == "record", Document.state == "gvcn_signed")
                .order_by(Document.id)
            ).all()  # fmt: skip
        out.mkdir()
        paths = []
        for i, (key, sha) in enumerate(rows):
            path = out / f"hs{i:02d}.pdf"
            path.write_bytes(read_document(db, key, sha))
            paths.append(path)
        return paths
    finally:
        db.dispose()


def service_round(school: Path, work: Path, class_id: int, token_sha: str) -> tuple[float, float, list[int]]:
    """Wall time of plan + run through the service, the batch's own time, size growth per doc."""
    shutil.copytree(school, work)
    db = open_database(work / DB_NAME)
    try:
        spec = TokenSignerSpec(MODULE, CKA_ID, token_label=LABEL)
        with TokenWorker() as worker:
            t0 = time.perf_counter()
            plan = plan_signing(db, "hieutruong", class_id, token_sha)
            run = run_signing(db, plan, spec, Pin(PIN), worker=worker)
            wall = time.perf_counter() - t0
        assert run.complete and run.count("signed") == len(plan.pending), run.to_json()
        with db.read() as s:
            sizes: dict[int, dict[str, int]] = {}
            for doc_id, stage, size in s.execute(
                select(DocumentFile.document_id, DocumentFile.stage, DocumentFile.size)
            ):
                sizes.setdefault(doc_id, {})[stage] = size
        growth = [v["hieutruong"] - v["gvcn"] for v in sizes.values() if "hieutruong" in v and "gvcn" in v]
        return wall, run.total_ms / 1000, growth
    finally:
        db.dispose()


def bare(inputs: list[Path], out_dir: Path) -> tuple[float, list[int]]:
    """pyHanko alone: one session, PKCS11Signer, default visible stamp, plain writes."""
    out_dir.mkdir()
    t0 = time.perf_counter()
    growth = []
    token = tokens.find_token(MODULE, tokens.TokenRef(label=LABEL))
    with token.open(user_pin=PIN) as session:
        signer = PKCS11Signer(session, key_id=CKA_ID, cert_id=CKA_ID, other_certs_to_pull=None)
        meta = PdfSignatureMetadata(field_name="HieuTruong", md_algorithm="sha256")
        for path in inputs:
            data = path.read_bytes()
            out = io.BytesIO()
            PdfSigner(meta, signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), output=out)
            (out_dir / path.name).write_bytes(out.getvalue())
            growth.append(len(out.getvalue()) - len(data))
    return time.perf_counter() - t0, growth


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-sign-service-") as tmp_name:
        tmp = Path(tmp_name)
        provision(tmp / "hsm")
        with TokenWorker() as worker:
            [cert] = [
                c for c in worker.list_certificates(MODULE, tokens.TokenRef(label=LABEL)).result()
                if c.cka_id == CKA_ID
            ]  # fmt: skip
        t0 = time.perf_counter()
        class_id, class_name = prepare_school(tmp / "school", cert.der)
        setup_s = time.perf_counter() - t0
        inputs = gvcn_signed_files(tmp / "school", tmp / "inputs")
        signed = len(inputs)  # students waiting for summer training are not signed by the homeroom yet
        input_kb = statistics.mean(p.stat().st_size for p in inputs) / 1024

        walls, batches, bares = [], [], []
        service_growth: list[int] = []
        bare_growth: list[int] = []
        # Warm-up of both paths (imports, pyHanko caches) on a small copy.
        with TokenWorker() as worker:
            worker.submit(bare, inputs[:3], tmp / "warm-bare").result()
        service_round(tmp / "school", tmp / "warm-service", class_id, cert.sha256)
        for r in range(ROUNDS):
            wall, batch, service_growth = service_round(
                tmp / "school", tmp / f"service-{r}", class_id, cert.sha256
            )
            walls.append(wall)
            batches.append(batch)
            with TokenWorker() as worker:
                seconds, bare_growth = worker.submit(bare, inputs, tmp / f"bare-{r}").result()
            bares.append(seconds)

    def per_doc(times: list[float]) -> float:
        return statistics.median(times) * 1000 / signed

    def rounds(times: list[float]) -> str:
        return ", ".join(f"{t:.2f}s" for t in times)

    def row(label: str, text: str) -> None:
        print(f"  {label:<34}: {text}")

    service, batch_only, base = per_doc(walls), per_doc(batches), per_doc(bares)
    print(
        f"class {class_name}: {STUDENTS} students, {signed} records approved by the principal "
        f"(the others wait for summer training), SoftHSM RSA-2048, "
        f"median of {ROUNDS} rounds (school set up in {setup_s:.0f} s)"
    )
    row("product service (plan + run_signing)", f"{service:6.1f} ms/doc   (rounds: {rounds(walls)})")
    row("  of which the token batch", f"{batch_only:6.1f} ms/doc   (rounds: {rounds(batches)})")
    row("bare pyHanko loop", f"{base:6.1f} ms/doc   (rounds: {rounds(bares)})")
    row(
        "ratio service/bare",
        f"{service / base:6.3f}   overhead {100 * (service / base - 1):+.1f} %"
        "  (target < +15 %, < 60 ms/doc)",
    )
    row(
        "size growth per signature",
        f"product {statistics.mean(service_growth) / 1024:.1f} kB, "
        f"bare {statistics.mean(bare_growth) / 1024:.1f} kB (input {input_kb:.1f} kB, already GVCN-signed)",
    )


if __name__ == "__main__":
    main()
