"""Signature timestamps at signing time (architecture.md §5: PAdES B-T, then B-LTA at sync).

When the school has a timestamp server configured, every signature the batch makes carries
an RFC 3161 signature timestamp in its CMS (pyHanko's timestamper in the signature), so the
long-term extension at sync time can bring every signature of a record to B-LTA, not only
the last one: a timestamp cannot be put into a signature's CMS once a later signature
covers it.

Offline at signing time (the server cannot be reached, or answers with an error): the
document is signed anyway (B-B), with room kept in /Contents for a timestamp added later.
The first failure switches the rest of the batch to signing without timestamps, so a class
does not wait for a timeout per student. Before the next signer signs, their batch puts a
late signature timestamp on the previous signature if it lacks one (`stamp_last_signature`,
written in place into the room kept for it; the bytes a signature covers exclude its own
/Contents, so it stays intact); at sync time the last signature gets one the same way.
A signature that was followed by another one while both PCs were offline stays without:
pyHanko's AdES validation then reports it INDETERMINATE (no proof of existence), while it
is still intact and trusted.

HTTP goes through httpx (one connection for the whole batch), on the calling thread: the
token thread blocks on it, as it blocks on C_Sign.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import time
from dataclasses import dataclass

import httpx
from asn1crypto import cms, tsp
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, set_tsp_headers

log = logging.getLogger(__name__)

# Room kept in /Contents (hex digits, on top of pyHanko's 50 % margin on the signature's own
# size, itself 2 KB or more for an RSA token) for a signature timestamp added after signing:
# a token with the TSA's RSA certificate embedded is 2–4 KB. Each KB kept costs 2 KB of file.
LATER_TIMESTAMP_ROOM = 2 * 4096
SIGNATURE_TIMESTAMP = "signature_time_stamp_token"

OFFLINE_NOTE = (
    "Không lấy được dấu thời gian từ máy chủ {url} (máy không có mạng hoặc máy chủ không trả lời); "
    "các học bạ của đợt này được ký không có "
    "dấu thời gian. Khi có mạng, phần mềm sẽ bổ sung dấu thời gian trước khi gửi lên Sở."
)


class HttpxTimeStamper(TimeStamper):
    """RFC 3161 over HTTP, blocking, with one keep-alive connection for the batch."""

    def __init__(self, url: str, *, timeout_s: float = 15.0) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.url = url
        self.ms = 0.0  # time spent waiting for the server
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)))

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        t0 = time.perf_counter()
        try:
            answer = self._client.post(self.url, content=req.dump(), headers=set_tsp_headers({}))
        except httpx.HTTPError as exc:
            raise TimestampRequestError(f"timestamp server unreachable: {exc.__class__.__name__}") from exc
        finally:
            self.ms += (time.perf_counter() - t0) * 1000
        kind = answer.headers.get("content-type", "").split(";")[0].strip()
        if answer.status_code != 200 or kind != "application/timestamp-reply":
            # A captive portal or a proxy's error page is not a timestamp.
            raise TimestampRequestError(f"not a timestamp reply (HTTP {answer.status_code}, {kind or '-'})")
        return tsp.TimeStampResp.load(answer.content)

    def close(self) -> None:
        self._client.close()


@dataclass
class BatchTimestamps:
    """The batch's timestamp server and how it went; `online` drops on the first failure."""

    url: str
    stamper: HttpxTimeStamper
    online: bool = True
    failure: str | None = None
    stamped: int = 0  # signatures made with their timestamp
    late_stamped: int = 0  # earlier signatures given one before the next signature

    @classmethod
    def open(cls, url: str, *, timeout_s: float = 15.0) -> BatchTimestamps:
        return cls(url, HttpxTimeStamper(url, timeout_s=timeout_s))

    def went_offline(self, exc: BaseException) -> None:
        self.online = False
        self.failure = exc.__class__.__name__
        log.warning("timestamp server %s failed, signing on without timestamps: %r", self.url, exc)

    @property
    def note(self) -> str | None:
        """What the user should know, in Vietnamese (None when every signature got its timestamp)."""
        if self.failure is None:
            return None
        # The exception's name stays in the log for IT staff; a teacher reads the plain cause.
        return OFFLINE_NOTE.format(url=self.url)

    def close(self) -> None:
        self.stamper.close()


def is_timestamp_failure(exc: BaseException) -> bool:
    """Whether `exc` (as pyHanko raised it while signing) comes from the timestamp server."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, TimestampRequestError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def has_signature_timestamp(signer_info: cms.SignerInfo) -> bool:
    unsigned = signer_info["unsigned_attrs"]
    return unsigned.native is not None and any(a["type"].native == SIGNATURE_TIMESTAMP for a in unsigned)


class NoRoomForTimestamp(Exception):
    """The signature's /Contents has no room left for a timestamp token."""


def stamp_last_signature(data: bytes, stamper: TimeStamper) -> bytes | None:
    """`data` with a signature timestamp on its last signature, written in place; None if not needed.

    Raises NoRoomForTimestamp when the signature kept no room, TimestampRequestError when
    the server fails.
    """
    signatures = PdfFileReader(io.BytesIO(data)).embedded_regular_signatures
    if not signatures:
        return None
    last = signatures[-1]
    signer_info = last.signer_info
    if has_signature_timestamp(signer_info):
        return None
    md = last.md_algorithm
    digest = hashlib.new(md, signer_info["signature"].native).digest()
    token = asyncio.run(stamper.async_timestamp(digest, md))
    unsigned = signer_info["unsigned_attrs"]
    attrs = list(unsigned) if unsigned.native is not None else []
    attrs.append(cms.CMSAttribute({"type": SIGNATURE_TIMESTAMP, "values": [token]}))
    new_info = signer_info.copy()
    new_info["unsigned_attrs"] = cms.CMSAttributes(attrs)
    signed_data = last.signed_data.copy()
    signed_data["signer_infos"] = cms.SignerInfos([new_info])
    encoded = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump().hex()
    _start, first_len, second_start, _second_len = (int(v) for v in last.byte_range)
    begin, end = first_len + 1, second_start - 1  # between "<" and ">" of /Contents
    if data[first_len : first_len + 1] != b"<" or data[end : end + 1] != b">":
        raise NoRoomForTimestamp("unexpected /Contents layout")
    room = end - begin
    if len(encoded) > room:
        raise NoRoomForTimestamp(f"{len(encoded)} > {room}")
    patched: bytes = data[:begin] + encoded.encode("ascii") + b"0" * (room - len(encoded)) + data[end:]
    return patched


def late_stamp(data: bytes, stamps: BatchTimestamps) -> bytes:
    """Before signing: give the previous signature its timestamp if it lacks one (when online)."""
    if not stamps.online:
        return data
    try:
        patched = stamp_last_signature(data, stamps.stamper)
    except NoRoomForTimestamp as exc:
        log.info("previous signature kept no room for a timestamp: %s", exc)
        return data
    except (TimestampRequestError, OSError) as exc:
        stamps.went_offline(exc)
        return data
    except Exception as exc:  # an odd earlier signature: sign anyway, the document is not at fault
        log.warning("could not timestamp the previous signature: %r", exc)
        return data
    if patched is None:
        return data
    stamps.late_stamped += 1
    return patched
