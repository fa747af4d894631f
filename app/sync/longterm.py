"""Long-term validation at sync time: extend issued PDFs from PAdES B-B towards B-LTA.

With a timestamp server configured, every signature already carries its signature
timestamp from signing time (app.signing.timestamps: B-T), or got one late, before the next
signer signed. When the PC is online, before a document's manifest is frozen for sending:

1. the LAST signature (the seal's) gets a signature timestamp if it was made offline,
   written as an unsigned attribute into its CMS, in place, in the room its /Contents
   reserved (the bytes a signature covers exclude its own /Contents, and no later
   signature covers the last one's, so every signature stays intact). This is the
   signature-timestamp approach of architecture.md §5: pyHanko's AdES validator reports a
   B-B signature upgraded only by a document timestamp as INDETERMINATE
   (AdESIndeterminate.SIG_CONSTRAINTS_FAILURE with pyHanko 0.38) — which is what remains
   for an earlier signature made offline and covered by a later one made offline too;
2. the certificates and revocation data (OCSP, CRL) of every signature and timestamp are
   fetched and stored in the document security store (DSS), in an incremental update;
3. a document timestamp over the whole file closes it (B-LTA), its own validation data in
   the DSS too.

Without a timestamp server, documents go out as signed. When the extension fails (the
server is down, no room for the timestamp), the document goes out as signed and the
item's note says why: delivery to the department is never held up by it.

Network fetches run here, on the sync's thread (the network pool); pyHanko's fetchers use
asyncio, run to completion with `asyncio.run` (no loop runs on that thread).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Callable, Sequence

from asn1crypto import cms, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.dss import async_add_validation_info
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from app.sync.client import Timeouts

log = logging.getLogger(__name__)

NOTE_EXTENDED = "Đã gia hạn chữ ký dài hạn (dấu thời gian, dữ liệu thu hồi, dấu thời gian tài liệu)."
NOTE_NO_ROOM = (
    "Chữ ký cuối không còn chỗ cho dấu thời gian; đã thêm dữ liệu thu hồi và dấu thời gian tài liệu."
)
NOTE_FAILED = "Chưa gia hạn được chữ ký dài hạn ({reason}); học bạ được gửi như đã ký."


class NoRoom(Exception):
    """The last signature's /Contents has no room left for a signature timestamp."""


def _self_signed(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    return [c for c in certs if c.self_signed == "maybe" or c.subject == c.issuer]


def _embedded_certs(data: bytes) -> list[x509.Certificate]:
    reader = PdfFileReader(io.BytesIO(data))
    found: list[x509.Certificate] = []
    for sig in reader.embedded_signatures:
        found.extend(c.chosen for c in sig.signed_data["certificates"] if c.name == "certificate")
    return found


def _timestamp_certs(token: cms.ContentInfo) -> list[x509.Certificate]:
    certs = token["content"]["certificates"]
    return [c.chosen for c in certs if c.name == "certificate"] if certs else []


async def add_signature_timestamp(
    data: bytes, timestamper: HTTPTimeStamper
) -> tuple[bytes, list[x509.Certificate]]:
    """`data` with a signature timestamp on its last signature (unchanged if it has one)."""
    reader = PdfFileReader(io.BytesIO(data))
    signatures = reader.embedded_regular_signatures
    if not signatures:
        return data, []
    last: EmbeddedPdfSignature = signatures[-1]
    signer_info = last.signer_info
    unsigned = signer_info["unsigned_attrs"]
    present = [] if unsigned.native is None else [a["type"].native for a in unsigned]
    if "signature_time_stamp_token" in present:
        return data, []
    md = last.md_algorithm
    digest = hashlib.new(md, signer_info["signature"].native).digest()
    token = await timestamper.async_timestamp(digest, md)
    attrs = list(unsigned) if unsigned.native is not None else []
    attrs.append(cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]}))
    new_info = signer_info.copy()
    new_info["unsigned_attrs"] = cms.CMSAttributes(attrs)
    signed_data = last.signed_data.copy()
    signed_data["signer_infos"] = cms.SignerInfos([new_info])
    encoded = (
        cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump().hex().encode("ascii")
    )
    _zero, start_len, second_start, _second_len = (int(v) for v in last.byte_range)
    # Between the two signed ranges: "<" hex digits ">"; the digits are ours to rewrite.
    begin, end = start_len + 1, second_start - 1
    if data[start_len : start_len + 1] != b"<" or data[end : end + 1] != b">":
        raise ValueError("unexpected /Contents layout")
    room = end - begin
    if len(encoded) > room:
        raise NoRoom(f"{len(encoded)} > {room}")
    patched = data[:begin] + encoded + b"0" * (room - len(encoded)) + data[end:]
    return patched, _timestamp_certs(token)


async def _extend(data: bytes, tsa_url: str, roots: Sequence[bytes], timeouts: Timeouts) -> tuple[bytes, str]:
    timestamper = HTTPTimeStamper(tsa_url, timeout=int(timeouts.read_s))
    note = NOTE_EXTENDED
    extra: list[x509.Certificate] = []
    try:
        data, extra = await add_signature_timestamp(data, timestamper)
    except NoRoom as exc:
        log.info("no room for a signature timestamp: %s", exc)
        note = NOTE_NO_ROOM
    certs = _embedded_certs(data) + extra
    trust = [x509.Certificate.load(r) for r in roots] + _self_signed(certs)
    backend = AIOHttpFetcherBackend(per_request_timeout=int(timeouts.read_s))
    try:
        context = ValidationContext(
            trust_roots=trust, other_certs=certs, allow_fetching=True, revocation_mode="soft-fail",
            fetcher_backend=backend,
        )  # fmt: skip
        count = len(PdfFileReader(io.BytesIO(data)).embedded_regular_signatures)
        for index in range(count):
            sig = PdfFileReader(io.BytesIO(data)).embedded_regular_signatures[index]
            out = await async_add_validation_info(sig, context, in_place=False, output=io.BytesIO())
            data = out.getvalue()
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        stamped = io.BytesIO()
        await PdfTimeStamper(timestamper).async_timestamp_pdf(
            writer, "sha256", validation_context=context, output=stamped
        )
    finally:
        await backend.close()  # type: ignore[no-untyped-call]
    return stamped.getvalue(), note


def extend_pdf(
    data: bytes, tsa_url: str, *, trust_roots: Sequence[bytes] = (), timeouts: Timeouts | None = None
) -> tuple[bytes, str]:
    """The extended PDF and a note for the outbox item; the input unchanged (with why) on failure."""
    try:
        return asyncio.run(_extend(data, tsa_url, trust_roots, timeouts or Timeouts()))
    except Exception as exc:  # never hold up delivery: send as signed, say why
        log.warning("long-term extension failed: %r", exc)
        return data, NOTE_FAILED.format(reason=exc.__class__.__name__)


def extender_for(
    tsa_url: str, *, trust_roots: Sequence[bytes] = (), timeouts: Timeouts | None = None
) -> Callable[[bytes], tuple[bytes, str]]:
    """The worker's Extender for a configured timestamp server."""

    def extend(data: bytes) -> tuple[bytes, str]:
        return extend_pdf(data, tsa_url, trust_roots=trust_roots, timeouts=timeouts)

    return extend
