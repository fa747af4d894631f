"""Long-term validation at sync time against a real timestamp and OCSP/CRL server on loopback."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import PdfSignatureValidationSpec, SignatureValidationSpec
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from sqlalchemy import select

from app.models.db import Database
from app.models.outbox import OutboxItem
from app.sync import longterm, protocol
from app.sync.status import save_settings
from hub.validation import check_pdf
from tests.hub.servers import RunningHub, free_port
from tests.sync.conftest import connect, sync
from tests.sync.docs import Doc, DocSet, fresh_id, issue
from tests.sync.ltv_pki import LtvPki, start_ltv_pki

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ltv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LtvPki]:
    pki = start_ltv_pki(tmp_path_factory.mktemp("ltv"))
    yield pki
    pki.stop()


def _ades(pdf: bytes, pki: LtvPki) -> dict[str, tuple[str, bool]]:
    rule = RevocationCheckingRule.CHECK_IF_DECLARED
    spec = SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[pki.root]),
            revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(ee_certificate_rule=rule,
                                                                       intermediate_ca_cert_rule=rule)),
        )
    )  # fmt: skip
    out = {}
    for sig in PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures:
        result = asyncio.run(ades_lta_validation(sig, PdfSignatureValidationSpec(spec)))
        out[str(sig.field_name)] = (
            str(result.ades_subindic),
            bool(result.api_status and result.api_status.bottom_line),
        )
    return out


def _all_intact(pdf: bytes, pki: LtvPki) -> None:
    reader = PdfFileReader(io.BytesIO(pdf))
    for sig in reader.embedded_regular_signatures:
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=[pki.root], allow_fetching=False))
        assert status.intact and status.valid and status.trusted, sig.field_name
        assert status.docmdp_ok and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION


def test_extension_reaches_b_lta_and_the_seal_passes_ades_validation(ltv: LtvPki, docset: DocSet) -> None:
    signed = ltv.sign_record(docset.unsigned[0].pdf)
    extended, note = longterm.extend_pdf(signed, ltv.tsa_url)
    assert note == longterm.NOTE_EXTENDED
    reader = PdfFileReader(io.BytesIO(extended))
    assert [s.sig_object["/Type"] for s in reader.embedded_signatures][-1] == "/DocTimeStamp"
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.ocsps) >= 3 and len(dss.crls) >= 1  # every signer's OCSP, the intermediate's CRL
    seal = reader.embedded_regular_signatures[-1]
    assert "signature_time_stamp_token" in [a["type"].native for a in seal.signer_info["unsigned_attrs"]]
    # Every signature still intact, the seal's lock respected (DSS and timestamps are allowed after it).
    _all_intact(extended, ltv)
    results = _ades(extended, ltv)
    assert results["ConDau"] == ("AdESPassed.OK", True), results
    # Signed here without timestamps (B-B), the earlier signatures stay INDETERMINATE: a signature timestamp
    # can only be added before the next person signs. The product's batch timestamps each signature when a
    # timestamp server is configured (tests/signing/test_longterm_order.py: then all three pass).
    assert all(ok for _status, ok in results.values())  # intact and trusted, whatever the AdES level
    assert check_pdf(extended, [ltv.root]).status == "verified"


def test_without_room_the_document_still_gets_revocation_data_and_a_document_timestamp(
    ltv: LtvPki, docset: DocSet
) -> None:
    signed = ltv.sign_record(docset.unsigned[1].pdf, reserve=None)  # pyHanko's tight default
    extended, note = longterm.extend_pdf(signed, ltv.tsa_url)
    assert note == longterm.NOTE_NO_ROOM
    assert extended.startswith(signed[:1000]) and len(extended) > len(signed)
    assert PdfFileReader(io.BytesIO(extended)).embedded_signatures[-1].sig_object["/Type"] == "/DocTimeStamp"
    _all_intact(extended, ltv)


def test_an_unreachable_timestamp_server_sends_the_document_as_signed(ltv: LtvPki, docset: DocSet) -> None:
    signed = ltv.sign_record(docset.unsigned[2].pdf)
    same, note = longterm.extend_pdf(signed, f"http://127.0.0.1:{free_port()}/tsa")
    assert same == signed and "Chưa gia hạn được" in note


def test_sync_extends_before_freezing_the_manifest(
    ltv: LtvPki, school: Database, hub: RunningHub, docset: DocSet, tmp_path: Path
) -> None:
    (hub.data / "trust" / "ltv-root.der").write_bytes(ltv.root.dump())
    connect(school, hub, hub.url, docset.school_code)
    save_settings(school, timestamp_url=ltv.tsa_url)
    signed = ltv.sign_record(docset.unsigned[3].pdf)
    doc = Doc(fresh_id(), 1, "2026-2027", docset.unsigned[3].student_code, "6A1", signed)
    sid = issue(school, doc, school_code=docset.school_code).submission_id
    summary = sync(school)
    assert summary.accepted == 1
    with school.read() as s:
        item = s.scalar(select(OutboxItem).where(OutboxItem.submission_id == sid))
        assert item is not None
        issued, sent, note, manifest = item.sha256, item.send_sha256, item.longterm_note, item.manifest
    assert sent != issued and note == longterm.NOTE_EXTENDED
    assert manifest is not None
    parsed = protocol.Manifest.from_json(json.loads(manifest))
    assert parsed.issued_sha256 == issued and parsed.document.sha256 == sent
    [row] = [r for r in hub.listing(docset.school_code) if r["id"] == sid]
    assert row["sha256"] == sent
