"""Real SoftHSM2 tokens and a real test PKI, made once per test session.

PKI: a root and an intermediate CA (cryptography), the homeroom teacher's, the principal's
and another teacher's personal certificates, the school's organisation certificate for the
seal, an expired one, a not-yet-valid one and an encryption-only one. Keys are generated on
the tokens; the seal's key demands the PIN before every signature (CKA_ALWAYS_AUTHENTICATE),
as SafeNet eTokens do.

SoftHSM reads SOFTHSM2_CONF at C_Initialize; the module is re-initialised after pointing
it at this session's folder, in case something in the process loaded it before. Tokens
are provisioned here, before any TokenWorker exists; tests then make every PKCS#11 call
through a worker.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from app.signing import pki, softhsm, tokens
from app.signing.pki import Issued
from app.signing.signers import TokenSignerSpec
from app.signing.worker import TokenWorker

MODULE = softhsm.DEFAULT_MODULE
PIN = "123456"
SO_PIN = "87654321"
SCHOOL = "Trường THCS Lê Quý Đôn"


@dataclass(frozen=True)
class TestPki:
    root: Issued
    intermediate: Issued
    other_root: Issued  # a CA the school does not trust
    other_intermediate: Issued


@dataclass(frozen=True)
class TokenKey:
    label: str  # the token's label
    cka_id: bytes
    cert: Issued

    def spec(self, **changes: object) -> TokenSignerSpec:
        fields: dict[str, object] = {"cert_id": self.cka_id, "token_label": self.label, **changes}
        return TokenSignerSpec(MODULE, **fields)  # type: ignore[arg-type]

    @property
    def sha256(self) -> str:
        return self.cert.certificate.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class Tokens:
    home: softhsm.SoftHsmHome
    pki: TestPki
    teacher: TokenKey  # GVCN, on the teacher's token
    expired: TokenKey  # same token, an expired certificate
    not_yet_valid: TokenKey
    encryption_only: TokenKey
    principal: TokenKey
    other_teacher: TokenKey
    seal: TokenKey  # CKA_ALWAYS_AUTHENTICATE
    untrusted: TokenKey  # issued by a CA outside the trust store


def _person(issuer: Issued, name: str, *, org: str = SCHOOL, **kw: object):  # type: ignore[no-untyped-def]
    return lambda public: pki.issue(pki.person_name(name, org), public, issuer=issuer, **kw)  # type: ignore[arg-type]


def _new_token(home: softhsm.SoftHsmHome, label: str, intermediate: Issued | None) -> tokens.TokenRef:
    softhsm.init_token(home, label, pin=PIN, so_pin=SO_PIN)
    tokens.reinitialize(MODULE)
    ref = tokens.TokenRef(label=label)
    if intermediate is not None:  # CA tokens carry the issuing CA's certificate too
        softhsm.store_certificate(MODULE, ref, PIN, intermediate.der, cka_id=b"\xca", label="CA")
    return ref


def _key(
    ref: tokens.TokenRef, cka_id: bytes, certify: object, *, always_authenticate: bool = False
) -> TokenKey:
    assert ref.label is not None
    cert = softhsm.generate_key(
        MODULE, ref, PIN, cka_id=cka_id, label=f"key-{cka_id.hex()}", certify=certify,  # type: ignore[arg-type]
        always_authenticate=always_authenticate,
    )  # fmt: skip
    return TokenKey(ref.label, cka_id, cert)


@pytest.fixture(scope="session")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> Tokens:
    if not (Path(MODULE).exists() and shutil.which("softhsm2-util")):
        pytest.skip("SoftHSM2 is not installed (Debian packages softhsm2, libsofthsm2)")
    home = softhsm.prepare(tmp_path_factory.mktemp("softhsm"))
    os.environ["SOFTHSM2_CONF"] = str(home.conf)
    tokens.load_module(MODULE).reinitialize()

    root = pki.self_signed_root("Root CA thử nghiệm", "Bộ thử nghiệm")
    inter = pki.intermediate(root, "CA cấp dưới thử nghiệm", "Bộ thử nghiệm")
    other_root = pki.self_signed_root("CA lạ", "Không được tin cậy")
    other_inter = pki.intermediate(other_root, "CA lạ cấp dưới", "Không được tin cậy")
    now = datetime.now(UTC)

    gv = _new_token(home, "GV Nguyen Van An", inter)
    teacher = _key(gv, b"\x01", _person(inter, "Nguyễn Văn An", usage="signing"))
    expired = _key(
        gv, b"\x02",
        _person(inter, "Nguyễn Văn An", usage="signing", not_before=now - timedelta(days=800), days=365),
    )  # fmt: skip
    not_yet = _key(
        gv, b"\x03", _person(inter, "Nguyễn Văn An", usage="signing", not_before=now + timedelta(days=30))
    )
    enc_only = _key(gv, b"\x04", _person(inter, "Nguyễn Văn An", usage="signing_only_encipherment"))

    ht = _new_token(home, "HT Tran Thi Binh", inter)
    principal = _key(ht, b"\x11", _person(inter, "Trần Thị Bình", usage="signing"))

    gv2 = _new_token(home, "GV Le Van Cuong", inter)
    other = _key(gv2, b"\x31", _person(inter, "Lê Văn Cường", usage="signing"))
    untrusted = _key(gv2, b"\x32", _person(other_inter, "Lê Văn Cường", usage="signing"))

    seal_ref = _new_token(home, "CON DAU THCS LQD", inter)
    seal = _key(
        seal_ref, b"\x21", _person(inter, SCHOOL, org=SCHOOL, usage="signing"), always_authenticate=True
    )

    return Tokens(
        home,
        TestPki(root, inter, other_root, other_inter),
        teacher,
        expired,
        not_yet,
        enc_only,
        principal,
        other,
        seal,
        untrusted,
    )


@pytest.fixture
def worker(hsm: Tokens) -> Iterator[TokenWorker]:
    with TokenWorker() as w:
        yield w


@pytest.fixture
def trust(hsm: Tokens) -> list[bytes]:
    return [hsm.pki.root.der]


# --- tokens made inside a test (through the worker, like every PKCS#11 call) --------------

TOKENFLAGS_ATTRIBUTE = bytes.fromhex("000000008000534b")  # SoftHSM's CKA_OS_TOKENFLAGS record


def fresh_token(hsm: Tokens, worker: TokenWorker, label: str) -> TokenKey:
    """A new token holding a valid teacher key, for tests that damage or remove it."""

    def make() -> TokenKey:
        ref = _new_token(hsm.home, label, hsm.pki.intermediate)
        return _key(ref, b"\x41", _person(hsm.pki.intermediate, "Phạm Thị Dung", usage="signing"))

    return worker.submit(make).result()


def token_folder(hsm: Tokens, worker: TokenWorker, label: str) -> Path:
    [info] = [t for t in worker.list_tokens(MODULE).result() if t.label == label]
    return softhsm.token_folder(hsm.home, info.serial)


def set_token_flags(hsm: Tokens, worker: TokenWorker, label: str, add: int) -> None:
    """Set PIN-state flags in SoftHSM's token file, then let the module reload it.

    SoftHSM counts failed logins (CKF_USER_PIN_COUNT_LOW) but never reaches FINAL_TRY or
    LOCKED by itself, so tests put the token in those states the way a real token reports
    them: through its flags.
    """
    path = token_folder(hsm, worker, label) / "token.object"
    data = bytearray(path.read_bytes())
    at = data.index(TOKENFLAGS_ATTRIBUTE) + len(TOKENFLAGS_ATTRIBUTE) + 8  # skip the value type
    flags = int.from_bytes(data[at : at + 8], "big") | add
    data[at : at + 8] = flags.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    assert worker.submit(tokens.reinitialize, MODULE).result()
