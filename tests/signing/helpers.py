"""Small helpers shared by the signing tests."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from app.signing.batch import BatchResult, DocStatus, SignJob
from app.signing.pin import Pin
from app.signing.roles import Role
from app.signing.signers import SignerSpec
from app.signing.worker import TokenWorker
from tests.signing.conftest import PIN


def write_inputs(folder: Path, documents: list[bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(documents):
        path = folder / f"hs{i:02d}.pdf"
        path.write_bytes(data)
        paths.append(path)
    return paths


def sign_in_place(
    worker: TokenWorker, paths: list[Path], role: Role, spec: SignerSpec, **kw: object
) -> BatchResult:
    jobs = [SignJob(p, p, role) for p in paths]
    return worker.sign_batch(jobs, spec, Pin(PIN), **kw).result()  # type: ignore[arg-type]


def statuses(result: BatchResult) -> list[DocStatus]:
    return [d.status for d in result.documents]


def attachment(pdf: bytes, name: str) -> bytes:
    reader = PdfReader(io.BytesIO(pdf))
    return bytes(reader.attachments[name][0])
