"""Sign many PDFs with one login: the operation the signing-order service builds on.

Run it on the token thread (`TokenWorker.sign_batch`). For each job, in order: read the
PDF, check its locks and the target field (lockcheck), sign the field with the role's mode
and the batch's stamp, write the output atomically. A problem with one document is
recorded and the batch goes on; a problem with the token (removed, PIN refused at a
context-specific login) stops the batch: documents signed so far stay signed and complete,
the others are not touched, and running the same jobs again signs only what is left
(fields already signed come back as ALREADY_SIGNED).

The batch owns the PIN it is given and wipes it when it ends, whatever happens.

With a timestamp server (`BatchOptions.timestamp_url`), each signature carries its RFC 3161
signature timestamp, and a previous signature without one gets it first (see timestamps.py
for what happens offline). Without one, each signature keeps room in /Contents for a
timestamp added later (at sync time, or by the next signer's batch).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import io
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps.common_utils import dummy_digest

from app.signing.atomic import write_atomic
from app.signing.certinfo import CertificateInfo
from app.signing.errors import (
    DemoSignerRefusedError,
    DocumentRefused,
    FieldAlreadySignedError,
    InvalidDocumentError,
    SigningError,
)
from app.signing.lockcheck import check_can_sign, read_lock_state
from app.signing.pin import Pin
from app.signing.roles import Role
from app.signing.signers import ActiveSigner, SignerSpec, open_signer
from app.signing.stamp import PreparedStamp, StampText, prepare_stamp
from app.signing.timestamps import LATER_TIMESTAMP_ROOM, BatchTimestamps, is_timestamp_failure, late_stamp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignJob:
    source: bytes | Path
    output: Path  # may be the source path itself: the write is atomic
    role: Role
    field_name: str | None = None  # defaults to the role's field

    @property
    def field(self) -> str:
        return self.field_name or self.role.field_name


class DocStatus(enum.Enum):
    SIGNED = "signed"
    ALREADY_SIGNED = "already_signed"  # a resumed batch: nothing to do
    REFUSED = "refused"  # locked, out of order, field missing, unreadable
    FAILED = "failed"  # the signature could not be made; nothing was written
    NOT_STARTED = "not_started"  # the batch stopped or was cancelled before it


@dataclass(frozen=True)
class DocumentResult:
    index: int
    output: Path
    status: DocStatus
    message: str | None = None
    sha256: str | None = None  # of the written output
    size_before: int | None = None
    size_after: int | None = None
    elapsed_ms: float = 0.0
    timestamped: bool = False  # the signature carries its signature timestamp


@dataclass(frozen=True)
class BatchOptions:
    allow_demo: bool = False  # only the demo school may sign with the demo signer
    display_name: str | None = None  # the stamp's name; default: the certificate's common name
    title: str | None = None  # the stamp's role line, e.g. "Phó Hiệu trưởng"; default: the role's
    organisation: str | None = None  # the school, shown in the stamp
    location: str | None = None
    now: datetime | None = None  # certificate checks (tests); signing time is always the clock
    timestamp_url: str | None = None  # RFC 3161 server: each signature gets its timestamp (PAdES B-T)
    timestamp_timeout_s: float = 15.0


@dataclass(frozen=True)
class BatchResult:
    documents: tuple[DocumentResult, ...]
    certificate: CertificateInfo
    demo: bool
    stopped_by: SigningError | None = None
    cancelled: bool = False
    used_raw_rsa: bool = False
    always_authenticate: bool = False
    stamps: tuple[StampText, ...] = ()  # what the visible stamps said, one per render
    stamp_ms: float = 0.0
    total_ms: float = 0.0
    timestamps: TimestampSummary | None = None  # None: no timestamp server configured

    def count(self, status: DocStatus) -> int:
        return sum(1 for d in self.documents if d.status is status)

    @property
    def complete(self) -> bool:
        """Every document now carries this signer's signature."""
        return all(d.status in (DocStatus.SIGNED, DocStatus.ALREADY_SIGNED) for d in self.documents)


@dataclass(frozen=True)
class TimestampSummary:
    url: str
    stamped: int  # signatures made with their timestamp
    late_stamped: int  # earlier signatures given their timestamp before this batch signed
    ms: float  # time spent waiting for the timestamp server
    offline_note: str | None  # why some signatures went without (Vietnamese), None if none did


@dataclass
class _Stamps:
    """One rendered stamp per (role line, day) for the whole batch."""

    name: str
    options: BatchOptions
    demo: bool
    cache: dict[tuple[str, date], PreparedStamp] = field(default_factory=dict)
    ms: float = 0.0

    def get(self, role: Role) -> PreparedStamp:
        title = self.options.title or role.mode.title
        key = (title, date.today())
        stamp = self.cache.get(key)
        if stamp is None:
            t0 = time.perf_counter()
            stamp = prepare_stamp(StampText(self.name, title, key[1], self.demo, self.options.organisation))
            self.ms += (time.perf_counter() - t0) * 1000
            self.cache[key] = stamp
        return stamp


def sign_batch(
    jobs: Sequence[SignJob],
    signer: SignerSpec,
    pin: Pin | None,
    *,
    options: BatchOptions | None = None,
    cancel: threading.Event | None = None,
    on_progress: Callable[[DocumentResult], None] | None = None,
) -> BatchResult:
    """Sign `jobs` in order with one login. Raises SigningError if the batch cannot start."""
    options = options or BatchOptions()
    t_start = time.perf_counter()
    try:
        if signer.is_demo and not options.allow_demo:
            raise DemoSignerRefusedError()
        with open_signer(signer, pin, now=options.now) as active, _timestamps(options) as tsa:
            name = options.display_name or active.certificate.common_name
            stamps = _Stamps(name, options, active.is_demo)
            results, stopped, cancelled = _run(jobs, active, stamps, options, cancel, on_progress, tsa)
            return BatchResult(
                documents=tuple(results),
                certificate=active.certificate,
                demo=active.is_demo,
                stopped_by=stopped,
                cancelled=cancelled,
                used_raw_rsa=active.use_raw_mechanism,
                always_authenticate=active.always_authenticate,
                stamps=tuple(s.text for s in stamps.cache.values()),
                stamp_ms=stamps.ms,
                total_ms=(time.perf_counter() - t_start) * 1000,
                timestamps=_summary(tsa),
            )
    finally:
        if pin is not None:
            pin.wipe()


@contextmanager
def _timestamps(options: BatchOptions) -> Iterator[BatchTimestamps | None]:
    if not options.timestamp_url:
        yield None
        return
    tsa = BatchTimestamps.open(options.timestamp_url, timeout_s=options.timestamp_timeout_s)
    try:
        yield tsa
    finally:
        tsa.close()


def _summary(tsa: BatchTimestamps | None) -> TimestampSummary | None:
    if tsa is None:
        return None
    return TimestampSummary(tsa.url, tsa.stamped, tsa.late_stamped, tsa.stamper.ms, tsa.note)


def _room_for_later_timestamp(active: ActiveSigner) -> int:
    """/Contents size (hex digits) for a signature made without a timestamp: pyHanko's own
    estimate (a dry run of the CMS, plus its 50 % margin) and room for a timestamp added later."""
    if active.reserve_without_timestamp is None:
        cms_obj = asyncio.run(
            active.signer.async_sign(
                dummy_digest("sha256"), "sha256", dry_run=True, use_pades=True,
                signed_attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now().astimezone()),
            )
        )  # fmt: skip
        estimate = len(cms_obj.dump()) * 2
        active.reserve_without_timestamp = estimate + 2 * (estimate // 4) + LATER_TIMESTAMP_ROOM
    return active.reserve_without_timestamp


def _run(
    jobs: Sequence[SignJob],
    active: ActiveSigner,
    stamps: _Stamps,
    options: BatchOptions,
    cancel: threading.Event | None,
    on_progress: Callable[[DocumentResult], None] | None,
    tsa: BatchTimestamps | None = None,
) -> tuple[list[DocumentResult], SigningError | None, bool]:
    results: list[DocumentResult] = []
    stopped: SigningError | None = None
    cancelled = False
    for index, job in enumerate(jobs):
        if stopped is not None or cancelled or (cancel is not None and cancel.is_set()):
            cancelled = stopped is None
            result = DocumentResult(index, job.output, DocStatus.NOT_STARTED)
        else:
            result, stopped = _sign_one(index, job, active, stamps, options, tsa)
        results.append(result)
        if on_progress is not None:
            on_progress(result)
    return results, stopped, cancelled


def _sign_one(
    index: int,
    job: SignJob,
    active: ActiveSigner,
    stamps: _Stamps,
    options: BatchOptions,
    tsa: BatchTimestamps | None = None,
) -> tuple[DocumentResult, SigningError | None]:
    t0 = time.perf_counter()

    def done(status: DocStatus, message: str | None = None, **extra: object) -> DocumentResult:
        ms = (time.perf_counter() - t0) * 1000
        return DocumentResult(index, job.output, status, message, elapsed_ms=ms, **extra)  # type: ignore[arg-type]

    try:
        data = job.source if isinstance(job.source, bytes) else job.source.read_bytes()
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        mode = job.role.mode
        check_can_sign(
            read_lock_state(writer.prev),
            job.field,
            certify=mode.certify,
            requires_field_lock=mode.requires_field_lock,
        )
    except FieldAlreadySignedError as exc:
        return done(DocStatus.ALREADY_SIGNED, exc.message), None
    except DocumentRefused as exc:
        return done(DocStatus.REFUSED, exc.message), None
    except (OSError, PdfError, ValueError, KeyError) as exc:
        return done(DocStatus.REFUSED, InvalidDocumentError(exc.__class__.__name__).message), None

    source = data
    if tsa is not None:
        source = late_stamp(data, tsa)  # the previous signature's timestamp, if it lacks one
        if source is not data:
            writer = IncrementalPdfFileWriter(io.BytesIO(source))
    meta = PdfSignatureMetadata(
        field_name=job.field,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=mode.certify,
        docmdp_permissions=mode.docmdp or MDPPerm.FILL_FORMS,
        reason=mode.reason,
        location=options.location,
        name=stamps.name,
    )
    timestamped = tsa is not None and tsa.online
    try:
        if timestamped:
            assert tsa is not None
            try:
                out = _sign(writer, meta, active, stamps, job, tsa=tsa)
                tsa.stamped += 1
            except Exception as exc:
                if not is_timestamp_failure(exc):
                    raise
                tsa.went_offline(exc)  # sign this one and the rest without (and keep room for later)
                timestamped = False
                writer = IncrementalPdfFileWriter(io.BytesIO(source))
        if not timestamped:
            out = _sign(writer, meta, active, stamps, job, reserve=_room_for_later_timestamp(active))
    except Exception as exc:  # sorted below: the token's fault stops the batch, the document's does not
        token_error = active.translate(exc)
        if token_error is not None:
            return done(DocStatus.FAILED, token_error.message), token_error
        log.warning("không ký được tài liệu số %d: %r", index, exc)
        return done(DocStatus.FAILED, f"Không ký được tài liệu này ({exc.__class__.__name__})."), None
    signed = out.getvalue()
    try:
        write_atomic(job.output, signed)
    except OSError as exc:
        return done(DocStatus.FAILED, f"Không ghi được tệp đã ký ({exc.strerror or exc})."), None
    return (
        done(
            DocStatus.SIGNED,
            sha256=hashlib.sha256(signed).hexdigest(),
            size_before=len(data),
            size_after=len(signed),
            timestamped=timestamped,
        ),
        None,
    )


def _sign(
    writer: IncrementalPdfFileWriter,
    meta: PdfSignatureMetadata,
    active: ActiveSigner,
    stamps: _Stamps,
    job: SignJob,
    *,
    tsa: BatchTimestamps | None = None,
    reserve: int | None = None,
) -> io.BytesIO:
    out = io.BytesIO()
    signer = PdfSigner(
        meta, active.signer, stamp_style=stamps.get(job.role).style,
        timestamper=tsa.stamper if tsa is not None else None,
    )  # fmt: skip
    # With a timestamper, pyHanko's estimate includes a sample token from the server (one per batch).
    signer.sign_pdf(writer, existing_fields_only=True, output=out, bytes_reserved=reserve)
    return out
