"""Smoke steps for documents and signing: render a class, sign it in order with the demo
signer, verify the issued record (app.cli.smoke lists them in STEPS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.documents.render import render_record
from app.services.certificates import demo_folder
from app.services.issuing import issue_demo, issued_records
from app.services.records import class_records
from app.signing.atomic import write_atomic
from app.signing.demo import load_demo_pki
from app.signing.validation import validate_pdf

if TYPE_CHECKING:
    from app.cli.smoke import SmokeContext


def _failure(message: str) -> Exception:
    from app.cli.smoke import SmokeFailure

    return SmokeFailure(message)


def render_class(ctx: SmokeContext) -> str:
    db, class_id = ctx.database(), ctx.chosen_class()
    records = class_records(db, class_id)
    rendered = [render_record(r) for r in records]
    if not rendered or not all(doc.pdf.startswith(b"%PDF-") and doc.xml for doc in rendered):
        raise _failure(f"lớp {ctx.class_name}: không kết xuất được học bạ")
    path = ctx.work_dir / f"{rendered[0].file_stem}.pdf"
    write_atomic(path, rendered[0].pdf)
    ctx.artifacts["class_pdf"] = path
    return f"lớp {ctx.class_name}: {len(rendered)} học bạ PDF/A kèm XML"


def sign_class(ctx: SmokeContext) -> str:
    db, class_id = ctx.database(), ctx.chosen_class()
    [result] = issue_demo(db, [class_id])
    if not all(run.complete for run in result.runs) or result.issued == 0:
        raise _failure(f"lớp {ctx.class_name}: chưa phát hành được ({'; '.join(result.problems[:2])})")
    issued = issued_records(db, class_id)
    path = ctx.work_dir / f"{issued[0].file_stem}.pdf"
    write_atomic(path, issued[0].data)
    ctx.artifacts["signed_pdf"] = path
    signatures = sum(run.count("signed") for run in result.runs)
    return f"lớp {ctx.class_name}: {signatures} chữ ký DEMO, {result.issued} học bạ đã phát hành"


def verify_signed(ctx: SmokeContext) -> str:
    path = ctx.artifacts.get("signed_pdf")
    if path is None:
        raise _failure("chưa có học bạ đã ký (bước ký chưa chạy)")
    root = load_demo_pki(demo_folder(ctx.database())).root_der()
    report = validate_pdf(path.read_bytes(), [root])
    seal = next((s for s in report.signatures if s.field == "ConDau"), None)
    if not report.all_ok or seal is None or not seal.locks_document:
        raise _failure(f"{path.name}: {report.summary}")
    return f"{path.name}: {report.summary}"
