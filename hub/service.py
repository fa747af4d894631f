"""What the hub does, independent of HTTP: the one idempotent path for HTTP and USB bundles.

Durability order for every write: blob bytes fsynced and renamed → database commit →
answer. A submission id maps to exactly one row (a unique index); an identical replay gets
the stored receipt back, another manifest under the same id is refused (409), and two
identical requests racing each other end with one row and the same receipt for both.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.sync import protocol
from hub.blobstore import BlobStore, PendingBlob
from hub.db import HubDatabase
from hub.identity import HubIdentity
from hub.models import Blob, Device, School, Submission, utcnow

MAX_BLOB_BYTES = 50 * 1024 * 1024


class HubError(Exception):
    """An answer other than success: HTTP status, protocol error code, Vietnamese message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


@dataclass(frozen=True)
class AuthDevice:
    device_id: str
    school_id: int
    school_code: str


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds") + "Z"


def _verification(row: Submission) -> protocol.Verification:
    checked = iso(row.verified_at) if row.verified_at else None
    return protocol.Verification(row.verification_status, row.verification_summary, checked)


class HubService:
    def __init__(
        self,
        db: HubDatabase,
        store: BlobStore,
        identity: HubIdentity,
        *,
        max_blob_bytes: int = MAX_BLOB_BYTES,
        on_submission: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.store = store
        self.identity = identity
        self.max_blob_bytes = max_blob_bytes
        self.on_submission = on_submission

    # ------------------------------------------------------------------ identity, devices

    def info(self) -> protocol.Info:
        return protocol.Info(
            hub_id=self.identity.hub_id,
            hub_name=self.identity.name,
            public_key=self.identity.public_key,
            max_blob_bytes=self.max_blob_bytes,
            time=iso(utcnow()),
        )

    def add_device(
        self, school_code: str, *, label: str | None = None, school_name: str | None = None
    ) -> str:
        """Register a device of `school_code` (creating the school) and return its credential."""
        device_id = str(uuid.uuid4())
        credential = protocol.make_credential(device_id, secrets.token_bytes(32))
        with self.db.session() as s:
            school = s.scalar(select(School).where(School.code == school_code))
            if school is None:
                school = School(code=school_code, name=school_name, created_at=utcnow())
                s.add(school)
                s.flush()
            s.add(
                Device(
                    id=device_id,
                    school_id=school.id,
                    credential_hash=protocol.credential_hash(credential),
                    label=label,
                    created_at=utcnow(),
                )
            )
        return credential

    def authenticate(self, authorization: str | None) -> AuthDevice:
        unauthorized = HubError(
            401, protocol.ERR_UNAUTHORIZED,
            "Máy này chưa được Sở cấp quyền gửi học bạ, hoặc quyền đã bị thu hồi. "
            "Hãy liên hệ Sở để được cấp mã kết nối mới.",
        )  # fmt: skip
        if not authorization or not authorization.startswith("Bearer "):
            raise unauthorized
        try:
            _device_id, credential = protocol.parse_credential(authorization[len("Bearer ") :])
        except protocol.ProtocolError:
            raise unauthorized from None
        with self.db.session() as s:
            found = s.execute(
                select(Device.id, Device.school_id, School.code, Device.revoked_at)
                .join(School, School.id == Device.school_id)
                .where(Device.credential_hash == protocol.credential_hash(credential))
            ).first()
        if found is None or found[3] is not None:
            raise unauthorized
        return AuthDevice(found[0], found[1], found[2])

    # ------------------------------------------------------------------ blobs

    def blob_size(self, sha256: str) -> int | None:
        with self.db.session() as s:
            blob = s.get(Blob, sha256)
        if blob is None or self.store.size(sha256) != blob.size:
            return None
        return blob.size

    def begin_blob(self) -> PendingBlob:
        return self.store.begin(self.max_blob_bytes)

    def finish_blob(self, pending: PendingBlob, sha256: str) -> bool:
        """Commit an upload: fsync + rename in the store, then the row. True if it is new."""
        size = pending.commit(sha256)
        return self._record_blob(sha256, size)

    def put_blob(self, sha256: str, data: bytes) -> bool:
        pending = self.begin_blob()
        try:
            pending.write(data)
        except Exception:
            pending.abort()
            raise
        return self.finish_blob(pending, sha256)

    def _record_blob(self, sha256: str, size: int) -> bool:
        for _ in range(3):
            try:
                with self.db.session() as s:
                    if s.get(Blob, sha256) is not None:
                        return False
                    s.add(Blob(sha256=sha256, size=size, stored_at=utcnow()))
                return True
            except IntegrityError:  # a concurrent upload of the same bytes recorded it first
                continue
        return False

    # ------------------------------------------------------------------ submissions

    def submit(
        self, manifest: protocol.Manifest, *, school_code: str, device_id: str | None, channel: str
    ) -> tuple[bool, protocol.SubmissionAnswer]:
        """Store one submission, or answer a replay. Returns (created, answer)."""
        if manifest.school_code != school_code:
            raise HubError(
                403, protocol.ERR_WRONG_SCHOOL,
                f"Máy này thuộc trường {school_code} nhưng học bạ ghi trường {manifest.school_code}. "
                "Hãy kiểm tra mã trường trong phần thiết lập trường.",
            )  # fmt: skip
        digest = manifest.sha256
        for _ in range(3):
            try:
                created, answer = self._submit_once(manifest, digest, school_code, device_id, channel)
            except IntegrityError:  # an identical request committed first: answer from its row
                continue
            if created and self.on_submission is not None:
                self.on_submission()
            return created, answer
        raise HubError(503, "busy", "Máy chủ đang bận, hãy thử lại sau ít phút.")

    def _submit_once(
        self, manifest: protocol.Manifest, digest: str, school_code: str, device_id: str | None, channel: str
    ) -> tuple[bool, protocol.SubmissionAnswer]:
        with self.db.session() as s:
            existing = s.scalar(select(Submission).where(Submission.submission_id == manifest.submission_id))
            school = s.scalar(select(School).where(School.code == school_code))
            if school is None:
                raise HubError(
                    403, protocol.ERR_WRONG_SCHOOL,
                    f"Trường {school_code} chưa được đăng ký trên máy chủ của Sở. "
                    "Hãy đề nghị Sở cấp mã kết nối cho trường (device-add).",
                )  # fmt: skip
            if existing is not None:
                return False, self._replay(existing, digest, school.id)
            sha = manifest.document.sha256
            blob = s.get(Blob, sha)
            if blob is None or blob.size != manifest.document.size or self.store.size(sha) != blob.size:
                raise HubError(
                    409, protocol.ERR_MISSING_BLOB,
                    "Máy chủ chưa nhận đủ tệp học bạ của hồ sơ này; tệp sẽ được gửi lại.", missing=[sha],
                )  # fmt: skip
            now = utcnow()
            row = Submission(
                submission_id=manifest.submission_id,
                school_id=school.id,
                device_id=device_id,
                channel=channel,
                kind=manifest.kind,
                document_id=manifest.document_id,
                version=manifest.version,
                supersedes=manifest.supersedes,
                student_code=manifest.student_code,
                year=manifest.year,
                document_sha256=sha,
                issued_sha256=manifest.issued_sha256,
                manifest=manifest.canonical().decode("utf-8"),
                manifest_sha256=digest,
                audit_head=manifest.audit_head,
                received_at=now,
                receipt="",
                verification_status="pending",
            )
            s.add(row)
            s.flush()
            receipt = protocol.Receipt(
                hub_id=self.identity.hub_id,
                submission_id=manifest.submission_id,
                manifest_sha256=digest,
                document_sha256=sha,
                school_code=school_code,
                audit_head=manifest.audit_head,
                received_at=iso(now),
                sequence=int(row.id),
                channel=channel,
                device_id=device_id,
            )
            signed = protocol.sign_receipt(receipt, self.identity.private_key)
            row.receipt = protocol.canonical_json(signed).decode("utf-8")
        return True, protocol.SubmissionAnswer("accepted", signed, protocol.Verification("pending"))

    def _replay(self, row: Submission, digest: str, school_id: int) -> protocol.SubmissionAnswer:
        if row.manifest_sha256 != digest or row.school_id != school_id:
            raise HubError(
                409, protocol.ERR_CONFLICT,
                "Máy chủ đã nhận một hồ sơ khác với cùng mã này. Học bạ này cần được kiểm tra: "
                "hãy phát hành phiên bản điều chỉnh hoặc liên hệ Sở.",
            )  # fmt: skip
        return protocol.SubmissionAnswer("already_there", json.loads(row.receipt), _verification(row))

    def status(self, school_code: str, submission_id: str) -> protocol.SubmissionAnswer:
        items, _unknown = self.reconcile(school_code, [submission_id])
        if not items:
            raise HubError(404, "not_found", "Máy chủ chưa nhận hồ sơ này.")
        item = items[0]
        return protocol.SubmissionAnswer("already_there", item.receipt, item.verification)

    def reconcile(
        self, school_code: str, submission_ids: Iterable[str]
    ) -> tuple[list[protocol.ReconcileItem], list[str]]:
        wanted = list(dict.fromkeys(submission_ids))
        if len(wanted) > protocol.MAX_RECONCILE:
            raise HubError(422, protocol.ERR_INVALID, f"Tối đa {protocol.MAX_RECONCILE} mã mỗi lần.")
        with self.db.session() as s:
            rows = s.scalars(
                select(Submission)
                .join(School, School.id == Submission.school_id)
                .where(Submission.submission_id.in_(wanted), School.code == school_code)
            ).all()
            found = {
                r.submission_id: protocol.ReconcileItem(
                    r.submission_id, json.loads(r.receipt), _verification(r)
                )
                for r in rows
            }
        return [found[i] for i in wanted if i in found], [i for i in wanted if i not in found]

    # ------------------------------------------------------------------ the officer's view

    def list_submissions(self, school_code: str | None = None) -> list[dict[str, Any]]:
        with self.db.session() as s:
            query = (
                select(Submission, School.code)
                .join(School, School.id == Submission.school_id)
                .order_by(Submission.id)
            )
            if school_code:
                query = query.where(School.code == school_code)
            return [
                {
                    "id": row.submission_id,
                    "school": code,
                    "kind": row.kind,
                    "student": row.student_code,
                    "year": row.year,
                    "document_id": row.document_id,
                    "version": row.version,
                    "supersedes": row.supersedes,
                    "sha256": row.document_sha256,
                    "received_at": iso(row.received_at),
                    "channel": row.channel,
                    "verification": row.verification_status,
                    "verification_summary": row.verification_summary,
                }
                for row, code in s.execute(query)
            ]

    def document(self, submission_id: str) -> tuple[str, bytes]:
        with self.db.session() as s:
            sha = s.scalar(
                select(Submission.document_sha256).where(Submission.submission_id == submission_id)
            )
        if sha is None:
            raise HubError(404, "not_found", f"Không có hồ sơ {submission_id} trên máy chủ.")
        return sha, self.store.read(sha)

    # ------------------------------------------------------------------ public verification

    def verify(self, sha256: str) -> dict[str, Any]:
        """Whether the hub holds a document with these bytes, and whether it was superseded.

        The bytes may be the file sent or the file as issued (before long-term extension).
        A newer version is a submission of the same school naming this one's document id in
        `supersedes`; the chain is followed to the newest, so the answer names the current one.
        """
        answer: dict[str, Any] = {
            "sha256": sha256, "held": False, "status": "unknown", "hub_id": self.identity.hub_id,
            "hub_name": self.identity.name, "document": None, "superseded_by": None, "receipt": None,
            "message": "Máy chủ của Sở không có tài liệu nào mang mã này: tài liệu chưa được gửi lên Sở, "
            "hoặc đã bị sửa sau khi phát hành.",
        }  # fmt: skip
        with self.db.session() as s:
            row = s.scalar(
                select(Submission)
                .where((Submission.document_sha256 == sha256) | (Submission.issued_sha256 == sha256))
                .order_by(Submission.id.desc())
                .limit(1)
            )
            if row is None:
                return answer
            school = s.get(School, row.school_id)
            newest = None
            seen = {row.document_id}
            current = row
            while True:  # follow the corrections to the newest version
                nxt = s.scalar(
                    select(Submission)
                    .where(
                        Submission.supersedes == current.document_id, Submission.school_id == row.school_id
                    )
                    .order_by(Submission.version.desc(), Submission.id.desc())
                    .limit(1)
                )
                if nxt is None or nxt.document_id in seen:
                    break
                seen.add(nxt.document_id)
                newest = current = nxt
            answer.update(
                held=True,
                receipt=json.loads(row.receipt),
                document={
                    "kind": row.kind,
                    "document_id": row.document_id,
                    "version": row.version,
                    "year": row.year,
                    "school_code": school.code if school else None,
                    "received_at": iso(row.received_at),
                    "matches": "document" if row.document_sha256 == sha256 else "issued",
                    "verification": row.verification_status,
                },
            )
            if newest is None:
                answer.update(
                    status="current",
                    message=f"Máy chủ của Sở đang giữ đúng tài liệu này (phiên bản {row.version}, năm học "
                    f"{row.year}) và đây là bản hiện hành: chưa bị thay thế.",
                )
            else:
                answer.update(
                    status="superseded",
                    superseded_by={
                        "document_id": newest.document_id,
                        "version": newest.version,
                        "sha256": newest.issued_sha256,
                        "received_at": iso(newest.received_at),
                    },
                    message=f"Tài liệu này (phiên bản {row.version}) đã bị thay thế: nhà trường đã phát hành "
                    f"bản điều chỉnh (phiên bản {newest.version}). Hãy dùng bản mới.",
                )
        return answer
