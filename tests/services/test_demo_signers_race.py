"""Two threads asking for the demo signers at the same moment (the signing page's worker and a
batch): one CA, every certificate issued by it and registered once, no half-made folder left."""

from __future__ import annotations

import threading

from cryptography import x509
from sqlalchemy import func, select

from app.models import Certificate
from app.models.db import Database
from app.services.certificates import demo_folder, ensure_demo_signers
from app.services.demo import create_demo_school
from app.signing.demo import DemoPki


def _race(db: Database, threads: int = 2) -> tuple[list[DemoPki], list[BaseException]]:
    start = threading.Barrier(threads)
    results: list[DemoPki] = []
    errors: list[BaseException] = []

    def work() -> None:
        start.wait()
        try:
            results.append(ensure_demo_signers(db))
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results, errors


def test_two_threads_make_one_demo_ca_and_register_each_certificate_once(db: Database) -> None:
    create_demo_school(db, classes=1, students_per_class=1, seed=3)
    results, errors = _race(db)
    assert errors == []
    first, second = results
    assert first.root_sha256 == second.root_sha256
    assert first.credentials == second.credentials
    root = x509.load_pem_x509_certificate(first.root_cert_path.read_bytes())
    for cred in first.credentials.values():
        cert = x509.load_pem_x509_certificate(cred.cert_path.read_bytes())
        cert.verify_directly_issued_by(root)  # raises when another thread's CA signed it
    with db.read() as s:
        registered = s.scalar(select(func.count()).select_from(Certificate))
        known = set(s.scalars(select(Certificate.sha256)))
    assert registered == len(first.credentials)
    assert {c.sha256 for c in first.credentials.values()} <= known
    folder = demo_folder(db)
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}-")] == []
    # Asked again (both threads, folder already there): nothing new is made.
    again, errors = _race(db)
    assert errors == [] and all(p.root_sha256 == first.root_sha256 for p in again)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Certificate)) == registered
