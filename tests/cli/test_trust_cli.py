"""`python -m app trust add|export`: the admin's roots in the app's own trust store
(real SQLite, real certificates)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import pem
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from app.main import main
from app.models import AuditEntry, TrustedRoot
from app.models.db import Database, open_database
from app.services.certificates import ensure_demo_signers
from app.services.demo import create_demo_school
from app.services.trust_store import school_roots
from app.signing.demo import DemoPki


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoPki]]:
    folder = tmp_path_factory.mktemp("trust")
    db = open_database(folder / "hocba.sqlite3")
    create_demo_school(db, classes=1, students_per_class=1, seed=1)
    pki = ensure_demo_signers(db)
    yield db, pki
    db.dispose()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out.strip() else {}), captured.err


def test_add_shows_subject_and_fingerprint_and_is_idempotent(
    school: tuple[Database, DemoPki], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, pki = school
    der = tmp_path / "root.cer"
    der.write_bytes(pki.root_der())  # a Windows .cer (DER) as the CA hands it out
    code, out, err = _run(capsys, "trust", "add", "--db", str(db.path), str(der))
    assert code == 0, err
    fingerprint = x509.load_der_x509_certificate(pki.root_der()).fingerprint(
        __import__("cryptography.hazmat.primitives.hashes", fromlist=["SHA256"]).SHA256()
    )
    assert out["added"] is True and out["sha256"] == fingerprint.hex()
    assert str(out["fingerprint"]).replace(":", "").lower() == fingerprint.hex()
    assert "DEMO" in str(out["subject"]) and "Đã thêm" in str(out["message"])
    assert school_roots(db) == (pki.root_der(),)
    # The same root as PEM: already there, nothing added twice.
    code, out, _ = _run(capsys, "trust", "add", "--db", str(db.path), str(pki.root_cert_path))
    assert code == 0 and out["added"] is False and "Đã có sẵn" in str(out["message"])
    with db.read() as s:
        assert len(s.scalars(select(TrustedRoot)).all()) == 1
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.action == "trust.add_root")).all() == [
            "trust.add_root"
        ]


def test_add_refuses_what_is_not_a_ca(
    school: tuple[Database, DemoPki], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, pki = school
    teacher = next(c for c in pki.credentials.values())
    code, out, err = _run(capsys, "trust", "add", "--db", str(db.path), str(teacher.cert_path))
    assert code == 1 and out == {} and "không phải chứng thư của tổ chức cấp chứng thư (CA)" in err
    junk = tmp_path / "junk.cer"
    junk.write_bytes(b"not a certificate at all")
    code, _, err = _run(capsys, "trust", "add", "--db", str(db.path), str(junk))
    assert code == 1 and "không phải chứng thư số" in err
    bundle = tmp_path / "two.pem"
    bundle.write_bytes(pki.root_cert_path.read_bytes() + teacher.cert_path.read_bytes())
    code, _, err = _run(capsys, "trust", "add", "--db", str(db.path), str(bundle))
    assert code == 1 and "từng chứng thư gốc một" in err
    missing = str(tmp_path / "none.sqlite3")
    code, _, err = _run(capsys, "trust", "add", "--db", missing, str(pki.root_cert_path))
    assert code == 1 and "Không có tệp cơ sở dữ liệu" in err
    with db.read() as s:
        assert all(r.sha256 != teacher.sha256 for r in s.scalars(select(TrustedRoot)))


def test_export_writes_every_trusted_root_as_pem(
    school: tuple[Database, DemoPki], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, pki = school
    _run(capsys, "trust", "add", "--db", str(db.path), str(pki.root_cert_path))
    out_file = tmp_path / "roots.pem"
    code, out, err = _run(capsys, "trust", "export", "--db", str(db.path), "--out", str(out_file))
    assert code == 0, err
    ders = [der for _kind, _h, der in pem.unarmor(out_file.read_bytes(), multiple=True)]
    assert pki.root_der() in ders and out["count"] == len(ders)
    assert x509.load_pem_x509_certificates(out_file.read_bytes())[0].public_bytes(serialization.Encoding.DER)
    # Without --db: only the roots shipped with the app.
    shipped = tmp_path / "shipped.pem"
    code, out, _ = _run(capsys, "trust", "export", "--out", str(shipped))
    data = shipped.read_bytes()
    shipped_ders = [d for _k, _h, d in pem.unarmor(data, multiple=True)] if data else []
    assert code == 0 and out["count"] == len(shipped_ders) and pki.root_der() not in shipped_ders
