"""Every signature of a record reaches PAdES B-LTA: signature timestamps at signing time.

The full order (GVCN certifies, the principal approves, the seal locks) is signed through
the product's batch on SoftHSM tokens whose keys were made on the tokens and certified by
a real local PKI with OCSP, CRL and a timestamp authority (certomancer's animator on
loopback). Then the sync-time extension (DSS and a document timestamp) and pyHanko's AdES
LTA validation of each signature.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader

from app.signing import softhsm, tokens
from app.signing.batch import BatchOptions, BatchResult, DocStatus
from app.signing.roles import Role
from app.signing.signers import TokenSignerSpec
from app.signing.timestamps import has_signature_timestamp
from app.signing.worker import TokenWorker
from app.sync import longterm
from hub.validation import check_pdf
from tests.hub.servers import free_port
from tests.signing.conftest import MODULE, PIN, Tokens, _new_token
from tests.signing.helpers import sign_in_place, write_inputs
from tests.signing.pdfs import student_record
from tests.sync.ltv_pki import LtvPki, start_ltv_pki

pytestmark = pytest.mark.slow

ORDER = ((Role.GVCN, "gv"), (Role.HIEU_TRUONG, "ht"), (Role.CON_DAU, "seal"))
PASSED = ("AdESPassed.OK", True)


@dataclass(frozen=True)
class LtvTokens:
    pki: LtvPki
    specs: dict[str, TokenSignerSpec]


@pytest.fixture(scope="module")
def ltv_tokens(hsm: Tokens, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LtvTokens]:
    labels = {"gv": "LTV GV", "ht": "LTV HT", "seal": "LTV CON DAU"}
    with TokenWorker() as worker:

        def make_keys() -> dict[str, bytes]:
            pems = {}
            for who, label in labels.items():
                ref = _new_token(hsm.home, label, None)
                public = softhsm.generate_key_pair(
                    MODULE, ref, PIN, cka_id=b"\x51", label=f"key-{who}", always_authenticate=who == "seal"
                )
                pems[who] = public.public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            return pems

        pems = worker.submit(make_keys).result()
        pki = start_ltv_pki(tmp_path_factory.mktemp("ltv-tokens"), public_keys=pems)

        def store_certs() -> None:
            for who, label in labels.items():
                der = pki.arch.get_cert(who).dump()
                ref = tokens.TokenRef(label=label)
                softhsm.store_certificate(MODULE, ref, PIN, der, cka_id=b"\x51", label=f"cert-{who}")

        worker.submit(store_certs).result()
    interm = pki.arch.get_cert("interm").dump()
    specs = {
        who: TokenSignerSpec(MODULE, b"\x51", token_label=label, extra_certs=(interm,))
        for who, label in labels.items()
    }
    yield LtvTokens(pki, specs)
    pki.stop()


def _sign(worker: TokenWorker, path: Path, role: Role, spec: TokenSignerSpec, tsa: str | None) -> BatchResult:
    result = sign_in_place(worker, [path], role, spec, options=BatchOptions(timestamp_url=tsa))
    assert [d.status for d in result.documents] == [DocStatus.SIGNED], result
    return result


def _timestamped(pdf: bytes) -> dict[str, bool]:
    sigs = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    return {str(s.field_name): has_signature_timestamp(s.signer_info) for s in sigs}


def test_every_signature_timestamped_at_signing_passes_ades_lta_after_the_sync_extension(
    ltv_tokens: LtvTokens, worker: TokenWorker, tmp_path: Path
) -> None:
    pki = ltv_tokens.pki
    [path] = write_inputs(tmp_path, [student_record("Nguyễn Thị Mai")])
    for role, who in ORDER:
        result = _sign(worker, path, role, ltv_tokens.specs[who], pki.tsa_url)
        assert result.documents[0].timestamped
        assert result.timestamps is not None
        assert (result.timestamps.stamped, result.timestamps.late_stamped) == (1, 0)
        assert result.timestamps.offline_note is None and result.timestamps.ms > 0
    signed = path.read_bytes()
    assert _timestamped(signed) == {"GVCN": True, "HieuTruong": True, "ConDau": True}

    extended, note = longterm.extend_pdf(signed, pki.tsa_url, trust_roots=[pki.root.dump()])
    assert note == longterm.NOTE_EXTENDED
    reader = PdfFileReader(io.BytesIO(extended))
    assert reader.embedded_signatures[-1].sig_object["/Type"] == "/DocTimeStamp"
    assert pki.ades(extended) == {"GVCN": PASSED, "HieuTruong": PASSED, "ConDau": PASSED}
    assert check_pdf(extended, [pki.root]).status == "verified"
    # Before the extension (no DSS, no document timestamp) the same signatures are not yet B-LTA.
    assert pki.ades(signed) != {"GVCN": PASSED, "HieuTruong": PASSED, "ConDau": PASSED}


def test_offline_signer_gets_a_late_timestamp_from_the_next_signers_batch(
    ltv_tokens: LtvTokens, worker: TokenWorker, tmp_path: Path
) -> None:
    pki = ltv_tokens.pki
    down = f"http://127.0.0.1:{free_port()}/tsa"
    [path] = write_inputs(tmp_path, [student_record("Lê Văn Hùng")])
    # The homeroom teacher signs at home, offline: signed anyway, without a timestamp, with room kept.
    first = _sign(worker, path, Role.GVCN, ltv_tokens.specs["gv"], down)
    assert not first.documents[0].timestamped
    assert first.timestamps is not None and first.timestamps.stamped == 0
    note = first.timestamps.offline_note
    assert note is not None and "Không lấy được dấu thời gian" in note
    assert _timestamped(path.read_bytes()) == {"GVCN": False}
    # The principal signs at school, online: the GVCN signature gets its timestamp first, then hers.
    second = _sign(worker, path, Role.HIEU_TRUONG, ltv_tokens.specs["ht"], pki.tsa_url)
    assert second.timestamps is not None
    assert (second.timestamps.stamped, second.timestamps.late_stamped) == (1, 1)
    _sign(worker, path, Role.CON_DAU, ltv_tokens.specs["seal"], pki.tsa_url)
    signed = path.read_bytes()
    assert _timestamped(signed) == {"GVCN": True, "HieuTruong": True, "ConDau": True}
    extended, note = longterm.extend_pdf(signed, pki.tsa_url, trust_roots=[pki.root.dump()])
    assert note == longterm.NOTE_EXTENDED
    assert pki.ades(extended) == {"GVCN": PASSED, "HieuTruong": PASSED, "ConDau": PASSED}


def test_signed_entirely_offline_only_the_last_signature_reaches_lta(
    ltv_tokens: LtvTokens, worker: TokenWorker, tmp_path: Path
) -> None:
    """The documented limit: signatures followed by another one while offline stay without proof of
    existence; pyHanko says INDETERMINATE for them (still intact and trusted), OK for the seal."""
    pki = ltv_tokens.pki
    [path] = write_inputs(tmp_path, [student_record("Phạm Thu Trang")])
    for role, who in ORDER:
        result = _sign(worker, path, role, ltv_tokens.specs[who], None)
        assert result.timestamps is None and not result.documents[0].timestamped
    extended, note = longterm.extend_pdf(path.read_bytes(), pki.tsa_url, trust_roots=[pki.root.dump()])
    assert note == longterm.NOTE_EXTENDED  # the batch kept room: the seal got its timestamp in place
    results = pki.ades(extended)
    assert results["ConDau"] == PASSED
    # pyHanko 0.38: the B-T constraint (a signature timestamp) fails; the signature itself is fine.
    indeterminate = ("AdESIndeterminate.SIG_CONSTRAINTS_FAILURE", True)
    assert results == {"GVCN": indeterminate, "HieuTruong": indeterminate, "ConDau": PASSED}
