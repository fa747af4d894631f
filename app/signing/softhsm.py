"""SoftHSM2 tokens for trials, tests and benchmarks (a software stand-in for a USB token).

SoftHSM reads SOFTHSM2_CONF when the module is initialised, so `prepare()` must run (and
the variable be set) before the module is first loaded in the process. Calls into the
module follow the token-thread rule: run them on the TokenWorker, or before any worker
exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, KeyType, ObjectClass

from app.signing import tokens
from app.signing.pin import Pin
from app.signing.pki import Issued, PublicKey

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


@dataclass(frozen=True)
class SoftHsmHome:
    root: Path
    conf: Path
    token_dir: Path


def prepare(root: Path, *, mechanisms: str = "ALL") -> SoftHsmHome:
    """A private token folder and configuration; point SOFTHSM2_CONF at `conf`."""
    token_dir = root / "tokens"
    token_dir.mkdir(parents=True, exist_ok=True)
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {token_dir}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = true\n"
        f"slots.mechanisms = {mechanisms}\n",
        encoding="utf-8",
    )
    return SoftHsmHome(root, conf, token_dir)


def softhsm_util() -> str:
    found = shutil.which("softhsm2-util")
    if not found:
        raise FileNotFoundError("softhsm2-util is not installed (Debian package softhsm2)")
    return found


def init_token(home: SoftHsmHome, label: str, *, pin: str, so_pin: str) -> None:
    """A new token in the free slot; the running module sees it after reinitialize()."""
    subprocess.run(
        [softhsm_util(), "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(home.conf)},
    )


def token_folder(home: SoftHsmHome, serial: str) -> Path:
    """The folder SoftHSM keeps a token in (its name ends with the token's serial)."""
    for child in home.token_dir.iterdir():
        if child.is_dir() and child.name.replace("-", "").endswith(serial):
            return child
    raise FileNotFoundError(serial)


def generate_key(
    module_path: str,
    ref: tokens.TokenRef,
    pin: str,
    *,
    cka_id: bytes,
    label: str,
    certify: Callable[[PublicKey], Issued],
    always_authenticate: bool = False,
    bits: int = 2048,
) -> Issued:
    """An RSA key pair made on the token, certified by `certify`, certificate stored beside it."""
    with tokens.session(module_path, ref, Pin(pin), rw=True) as opened:
        public_key = _new_key_pair(opened, cka_id, label, always_authenticate, bits)
        issued = certify(public_key)
        _store_certificate(opened, issued.der, cka_id=cka_id, label=label)
        return issued


def generate_key_pair(
    module_path: str,
    ref: tokens.TokenRef,
    pin: str,
    *,
    cka_id: bytes,
    label: str,
    always_authenticate: bool = False,
    bits: int = 2048,
) -> rsa.RSAPublicKey:
    """An RSA key pair made on the token, for a CA outside this process to certify (then
    `store_certificate` puts the certificate beside it)."""
    with tokens.session(module_path, ref, Pin(pin), rw=True) as opened:
        return _new_key_pair(opened, cka_id, label, always_authenticate, bits)


def _new_key_pair(
    opened: Any, cka_id: bytes, label: str, always_authenticate: bool, bits: int
) -> rsa.RSAPublicKey:
    private_template = {Attribute.SIGN: True, Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}
    if always_authenticate:
        private_template[Attribute.ALWAYS_AUTHENTICATE] = True
    public, _private = opened.generate_keypair(
        KeyType.RSA,
        bits,
        id=cka_id,
        label=label,
        store=True,
        private_template=private_template,
    )
    return rsa.RSAPublicNumbers(
        int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
        int.from_bytes(public[Attribute.MODULUS], "big"),
    ).public_key()


def store_certificate(
    module_path: str, ref: tokens.TokenRef, pin: str, der: bytes, *, cka_id: bytes, label: str
) -> None:
    """Put a certificate (a CA's, or a second one for a key) on the token."""
    with tokens.session(module_path, ref, Pin(pin), rw=True) as opened:
        _store_certificate(opened, der, cka_id=cka_id, label=label)


def _store_certificate(opened: object, der: bytes, *, cka_id: bytes, label: str) -> None:
    from asn1crypto import x509 as asn1_x509

    cert = asn1_x509.Certificate.load(der)
    opened.create_object(  # type: ignore[attr-defined]
        {
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: 0,  # CKC_X_509
            Attribute.TOKEN: True,
            Attribute.PRIVATE: False,
            Attribute.ID: cka_id,
            Attribute.LABEL: label,
            Attribute.SUBJECT: cert.subject.dump(),
            Attribute.ISSUER: cert.issuer.dump(),
            Attribute.SERIAL_NUMBER: cert["tbs_certificate"]["serial_number"].dump(),
            Attribute.VALUE: der,
        }
    )
