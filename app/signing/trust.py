"""The app's trust store: resources/trust plus roots the school adds. Never the OS store.

Windows and browsers trust hundreds of roots that have nothing to do with Vietnamese
document signatures; a record signed under any of them must not show as trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from asn1crypto import pem, x509

from app.paths import resource

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, or the one in a DER file."""
    if pem.detect(data):
        return [
            x509.Certificate.load(der)
            for kind, _h, der in pem.unarmor(data, multiple=True)
            if kind == "CERTIFICATE"
        ]
    return [x509.Certificate.load(data)]


def bundled_roots(folder: Path | None = None) -> list[x509.Certificate]:
    folder = folder or resource("trust")
    roots: list[x509.Certificate] = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in CERT_SUFFIXES:
                roots.extend(parse_certificates(path.read_bytes()))
    return roots


def trust_roots(
    extra: Iterable[bytes | x509.Certificate | Path] = (), *, bundled: bool = True
) -> list[x509.Certificate]:
    roots = bundled_roots() if bundled else []
    for item in extra:
        if isinstance(item, x509.Certificate):
            roots.append(item)
        elif isinstance(item, Path):
            roots.extend(parse_certificates(item.read_bytes()))
        else:
            roots.extend(parse_certificates(item))
    unique: dict[bytes, x509.Certificate] = {c.sha256: c for c in roots}
    return list(unique.values())
