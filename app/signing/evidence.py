"""What a signed PDF carries to prove itself: certificates, timestamps and revocation data.

A transfer package lists these beside the documents, so the receiving school sees at a
glance which certificates and which validation data travelled, and can check a chain
offline. The PDF itself stays the authority: nothing here changes it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError

from app.signing.certinfo import common_name


@dataclass(frozen=True)
class SignerEvidence:
    field: str
    signer_name: str
    signer_cert_sha256: str
    timestamped: bool  # a signature timestamp, or the field is a document timestamp


@dataclass(frozen=True)
class PdfEvidence:
    signers: tuple[SignerEvidence, ...]
    certificates: tuple[bytes, ...]  # DER, signer certificates first, no duplicates
    crls: tuple[bytes, ...]
    ocsps: tuple[bytes, ...]
    document_timestamps: int


def pdf_evidence(pdf: bytes) -> PdfEvidence:
    """Everything the signatures and the DSS of `pdf` carry (empty for an unreadable file)."""
    certs: dict[bytes, None] = {}
    signers: list[SignerEvidence] = []
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    doc_ts = 0
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        for sig in reader.embedded_signatures:
            signed_data = sig.signed_data
            if sig.sig_object_type == "/DocTimeStamp":
                doc_ts += 1
            else:
                cert = sig.signer_cert
                certs[bytes(cert.dump())] = None
                unsigned = sig.signer_info["unsigned_attrs"]
                stamped = unsigned.native is not None and any(
                    a["type"].native == "signature_time_stamp_token" for a in unsigned
                )
                signers.append(
                    SignerEvidence(str(sig.field_name), common_name(cert.subject), cert.sha256.hex(), stamped)
                )
            for choice in signed_data["certificates"]:
                if choice.name == "certificate":
                    certs[bytes(choice.chosen.dump())] = None
        try:
            dss = DocumentSecurityStore.read_dss(reader)
        except NoDSSFoundError:
            dss = None
        if dss is not None:
            for cert in dss.load_certs():
                certs[bytes(cert.dump())] = None
            crls = [ref.get_object().read_data(DecodePurpose.CRL) for ref in dss.crls]
            ocsps = [ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE) for ref in dss.ocsps]
    except Exception:  # a damaged file has no evidence to give; validation says why
        return PdfEvidence((), (), (), (), 0)
    return PdfEvidence(tuple(signers), tuple(certs), tuple(crls), tuple(ocsps), doc_ts)
