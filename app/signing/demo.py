"""The demo signer: software keys from a demo CA, for the demo school only.

Made when the demo school is created and kept in its data folder, so the whole signing
order can be tried without a token. Keys are stored unencrypted: they sign nothing real,
every stamp says DEMO, and `sign_batch` refuses them unless the caller allows demo
signing (part of the demo school only).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization

from app.signing import pki
from app.signing.atomic import write_atomic
from app.signing.certinfo import sha256_hex

ROOT_CERT = "demo-root.pem"
ROOT_KEY = "demo-root-key.pem"
INDEX = "identities.json"
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class DemoIdentity:
    key: str  # an account login, or "school-seal"
    common_name: str
    organisation: str


@dataclass(frozen=True)
class DemoCredential:
    key: str
    common_name: str
    cert_path: Path
    key_path: Path
    sha256: str


@dataclass(frozen=True)
class DemoPki:
    folder: Path
    root_cert_path: Path
    root_sha256: str
    credentials: dict[str, DemoCredential]

    def root_der(self) -> bytes:
        return _load_cert(self.root_cert_path).public_bytes(serialization.Encoding.DER)


def create_demo_pki(folder: Path, school_name: str, identities: list[DemoIdentity]) -> DemoPki:
    """The demo CA (made once) plus a certificate for each identity not issued yet."""
    folder.mkdir(parents=True, exist_ok=True)
    root = _load_or_make_root(folder, school_name)
    index = _read_index(folder)
    for identity in identities:
        if not _KEY_RE.match(identity.key):
            raise ValueError(f"demo identity key {identity.key!r} is not a plain file name")
        if identity.key in index:
            continue
        key = pki.new_key("ec")  # P-256: made in a millisecond, a 40-teacher school in no time
        issued = pki.issue(
            # The DEMO mark survives any cut of a long name.
            pki.person_name(_demo_name(identity.common_name), identity.organisation),
            key.public_key(),
            issuer=root,
            usage="signing",
            days=5 * 365,
        )
        issued = pki.Issued(issued.certificate, key)
        write_atomic(folder / f"{identity.key}.cert.pem", issued.pem)
        write_atomic(folder / f"{identity.key}.key.pem", issued.key_pem())
        index[identity.key] = {"common_name": identity.common_name, "sha256": sha256_hex(issued.der)}
    write_atomic(folder / INDEX, json.dumps(index, ensure_ascii=False, indent=2).encode("utf-8"))
    return load_demo_pki(folder)


def _demo_name(name: str) -> str:
    mark = " (DEMO)"
    return pki.bounded(name, pki.NAME_LIMIT - len(mark)) + mark


def load_demo_pki(folder: Path) -> DemoPki:
    index = _read_index(folder)
    root_path = folder / ROOT_CERT
    root_der = _load_cert(root_path).public_bytes(serialization.Encoding.DER)
    creds = {
        key: DemoCredential(
            key=key,
            common_name=entry["common_name"],
            cert_path=folder / f"{key}.cert.pem",
            key_path=folder / f"{key}.key.pem",
            sha256=entry["sha256"],
        )
        for key, entry in index.items()
    }
    return DemoPki(folder, root_path, sha256_hex(root_der), creds)


def _load_or_make_root(folder: Path, school_name: str) -> pki.Issued:
    cert_path, key_path = folder / ROOT_CERT, folder / ROOT_KEY
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return pki.Issued(_load_cert(cert_path), key)  # type: ignore[arg-type]
    root = pki.self_signed_root(
        pki.bounded(f"CA thử nghiệm (DEMO) — {school_name}"), "Học bạ số — DEMO", kind="ec"
    )
    write_atomic(key_path, root.key_pem())
    write_atomic(cert_path, root.pem)
    return root


def _read_index(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / INDEX
    if not path.exists():
        return {}
    data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _load_cert(path: Path) -> cx509.Certificate:
    return cx509.load_pem_x509_certificate(path.read_bytes())
