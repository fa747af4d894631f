"""The sync wire format, shared by the desktop app and the hub (architecture.md §6).

This module is the whole contract between a school's PC and the provincial department's
hub: the paths, the JSON documents (info, manifest, receipt, reconcile, errors), the
USB-stick bundle layout, canonical JSON and the Ed25519 receipt signatures. The hub
imports this module and nothing else of `app`, so it imports only the standard library
and `cryptography`.

Version 1 (`PROTOCOL_VERSION`):

- `GET /v1/info` → `Info` (no credential needed; the client's probe checks it is the hub
  it was connected to, so a captive portal's page is never taken for the hub);
- `HEAD|PUT /v1/blobs/sha256:<hex>`: a document's bytes, addressed by their SHA-256;
- `PUT /v1/submissions/<uuid>` with `{"manifest": Manifest}` → `{"status", "receipt",
  "verification"}`; the same id with the same manifest gives the same answer, another
  manifest under the same id is refused with 409;
- `POST /v1/reconcile` with `{"submission_ids": [...]}` → the receipts of those the hub
  holds (the answer a client lost) and their signature verification on the hub;
- `GET /v1/devices/me` → who the credential belongs to.

Every request but `info` carries `Authorization: Bearer <device credential>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = (1,)
SERVICE = "hocba-hub"
API = "/v1"
PROTOCOL_HEADER = "Hocba-Protocol"
JSON_TYPE = "application/json"
PDF_TYPE = "application/pdf"
MAX_RECONCILE = 500
RECEIPT_TYPE = "hocba-receipt"
BUNDLE_FORMAT = "hocba-bundle/1"
RECEIPTS_FORMAT = "hocba-receipts/1"
BUNDLE_INDEX = "bundle.json"
BUNDLE_SIGNATURE = "bundle.sig"  # the device's HMAC over bundle.json's exact bytes
BUNDLE_MAC = "hmac-sha256/device-credential-sha256"
CREDENTIAL_PREFIX = "hbd1"

# Submission ids are derived from what they carry, so enqueuing the same document version
# twice (a retried issuing, a database restored from a backup) yields the same id and the
# hub's idempotency does the rest.
SUBMISSION_NAMESPACE = uuid.UUID("3c5e7a0e-8a51-5f61-9d0b-6b0f2f9e61a4")

KINDS: tuple[str, ...] = ("record", "sheet")

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_YEAR = re.compile(r"^\d{4}-\d{4}$")
_CODE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


class ProtocolError(ValueError):
    """A document that does not follow this protocol (a bug or an attack, never a user's fault)."""


class ReceiptError(ProtocolError):
    """A receipt that is not signed by the expected hub or does not match the submission."""


# --------------------------------------------------------------------------- canonical JSON


def canonical_json(value: Any) -> bytes:
    """The one byte form both sides hash and sign: sorted keys, no spaces, UTF-8, no floats."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_path(sha256: str) -> str:
    return f"{API}/blobs/sha256:{sha256}"


def submission_path(submission_id: str) -> str:
    return f"{API}/submissions/{submission_id}"


def submission_id_for(kind: str, document_id: str, version: int) -> str:
    return str(uuid.uuid5(SUBMISSION_NAMESPACE, f"{kind}/{document_id}/{version}"))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise ProtocolError("not base64") from exc


def key_id(public_key: bytes) -> str:
    return sha256_hex(public_key)[:16]


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise ProtocolError(what)


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX64.match(value))


def is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _check_json_value(value: object, depth: int = 0) -> None:
    _require(depth < 6, "extras nested too deep")
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, list):
        for item in value:
            _check_json_value(item, depth + 1)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _require(isinstance(k, str), "extras keys must be strings")
            _check_json_value(v, depth + 1)
        return
    raise ProtocolError(f"extras hold a {type(value).__name__}: only strings, integers, lists, objects")


# --------------------------------------------------------------------------- info


@dataclass(frozen=True)
class Info:
    hub_id: str
    hub_name: str
    public_key: bytes  # Ed25519, raw 32 bytes: the key receipts are signed with
    max_blob_bytes: int
    time: str
    protocol_versions: tuple[int, ...] = SUPPORTED_VERSIONS
    service: str = SERVICE

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "protocol_versions": list(self.protocol_versions),
            "hub_id": self.hub_id,
            "hub_name": self.hub_name,
            "receipt_key": {"alg": "Ed25519", "public_key": b64(self.public_key), "key_id": self.key_id},
            "max_blob_bytes": self.max_blob_bytes,
            "time": self.time,
        }

    @classmethod
    def from_json(cls, data: object) -> Info:
        _require(isinstance(data, dict), "info is not an object")
        assert isinstance(data, dict)
        _require(data.get("service") == SERVICE, "not a hocba hub")
        versions = data.get("protocol_versions")
        _require(isinstance(versions, list) and all(isinstance(v, int) for v in versions), "bad versions")
        key = data.get("receipt_key")
        _require(isinstance(key, dict) and key.get("alg") == "Ed25519", "bad receipt key")
        assert isinstance(key, dict) and isinstance(versions, list)
        public = unb64(str(key.get("public_key", "")))
        _require(len(public) == 32, "bad receipt key length")
        for name in ("hub_id", "hub_name", "time"):
            _require(isinstance(data.get(name), str), f"bad {name}")
        _require(isinstance(data.get("max_blob_bytes"), int), "bad max_blob_bytes")
        return cls(
            hub_id=data["hub_id"],
            hub_name=data["hub_name"],
            public_key=public,
            max_blob_bytes=data["max_blob_bytes"],
            time=data["time"],
            protocol_versions=tuple(versions),
        )


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class DocumentRef:
    sha256: str
    size: int
    media_type: str = PDF_TYPE


@dataclass(frozen=True)
class Manifest:
    """What one submission says about the document it carries. Frozen once first sent."""

    submission_id: str
    kind: str  # "record" (a student's học bạ) or "sheet" (a class subject sheet)
    document_id: str  # the document version's own id (record_uuid / sheet_uuid)
    version: int
    supersedes: str | None  # document_id of the version this one corrects
    school_code: str
    student_code: str | None  # records only
    year: str  # "2026-2027"
    document: DocumentRef
    issued_sha256: str  # the file as issued; differs from document.sha256 once extended (B-LTA)
    audit_head: str  # the school's audit chain head when the document was issued
    created_at: str  # ISO 8601 UTC, when it was issued
    device_id: str | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)
    protocol: int = PROTOCOL_VERSION

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["extras"] = dict(self.extras)
        return data

    def canonical(self) -> bytes:
        return canonical_json(self.to_json())

    @property
    def sha256(self) -> str:
        return sha256_hex(self.canonical())

    def check(self) -> Manifest:
        """Raise ProtocolError unless every field has the shape version 1 allows."""
        _require(self.protocol in SUPPORTED_VERSIONS, "unsupported protocol version")
        _require(is_uuid(self.submission_id), "submission_id is not a UUID")
        _require(self.kind in KINDS, "kind must be record or sheet")
        _require(is_uuid(self.document_id), "document_id is not a UUID")
        _require(isinstance(self.version, int) and not isinstance(self.version, bool), "bad version")
        _require(1 <= self.version <= 1000, "version out of range")
        _require(self.supersedes is None or is_uuid(self.supersedes), "supersedes is not a UUID")
        _require(
            self.version == 1 or self.supersedes is not None, "a correction must name what it supersedes"
        )
        _require(bool(_CODE.match(self.school_code)), "bad school_code")
        if self.kind == "record":
            _require(
                isinstance(self.student_code, str) and bool(_CODE.match(self.student_code)), "bad student"
            )
        else:
            _require(self.student_code is None, "a sheet has no student")
        _require(bool(_YEAR.match(self.year)), "bad year")
        _require(is_sha256(self.document.sha256), "bad document sha256")
        _require(isinstance(self.document.size, int) and self.document.size > 0, "bad document size")
        _require(self.document.media_type == PDF_TYPE, "only PDF documents")
        _require(is_sha256(self.issued_sha256), "bad issued_sha256")
        _require(is_sha256(self.audit_head), "bad audit_head")
        _require(isinstance(self.created_at, str) and 10 <= len(self.created_at) <= 40, "bad created_at")
        _require(self.device_id is None or (isinstance(self.device_id, str) and len(self.device_id) <= 64),
                 "bad device_id")  # fmt: skip
        _check_json_value(dict(self.extras))
        _require(len(canonical_json(dict(self.extras))) <= 16_384, "extras too large")
        expected = submission_id_for(self.kind, self.document_id, self.version)
        _require(self.submission_id == expected, "submission_id does not match the document")
        return self

    @classmethod
    def from_json(cls, data: object) -> Manifest:
        _require(isinstance(data, dict), "manifest is not an object")
        assert isinstance(data, dict)
        known = set(cls.__dataclass_fields__)
        _require(set(data) <= known, f"unknown manifest fields: {sorted(set(data) - known)}")
        doc = data.get("document")
        _require(isinstance(doc, dict) and set(doc) <= {"sha256", "size", "media_type"}, "bad document")
        assert isinstance(doc, dict)
        extras = data.get("extras", {})
        _require(isinstance(extras, dict), "extras is not an object")
        try:
            manifest = cls(
                submission_id=data["submission_id"],
                kind=data["kind"],
                document_id=data["document_id"],
                version=data["version"],
                supersedes=data.get("supersedes"),
                school_code=data["school_code"],
                student_code=data.get("student_code"),
                year=data["year"],
                document=DocumentRef(doc["sha256"], doc["size"], doc.get("media_type", PDF_TYPE)),
                issued_sha256=data["issued_sha256"],
                audit_head=data["audit_head"],
                created_at=data["created_at"],
                device_id=data.get("device_id"),
                extras=extras,
                protocol=data.get("protocol", PROTOCOL_VERSION),
            )
        except KeyError as exc:
            raise ProtocolError(f"manifest lacks {exc.args[0]}") from None
        return manifest.check()


# --------------------------------------------------------------------------- receipts


@dataclass(frozen=True)
class Receipt:
    """The hub's signed statement that it durably holds a submission."""

    hub_id: str
    submission_id: str
    manifest_sha256: str
    document_sha256: str
    school_code: str
    audit_head: str  # countersigned: the school's chain head travelled with the submission
    received_at: str
    sequence: int  # the hub's row number, for the officer's lists
    channel: str  # "http" or "bundle"
    device_id: str | None = None
    protocol: int = PROTOCOL_VERSION
    type: str = RECEIPT_TYPE

    def body(self) -> dict[str, Any]:
        return asdict(self)


def sign_receipt(receipt: Receipt, private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed receipt as it travels: body, key id, signature over canonical(body)."""
    public = private_key.public_key().public_bytes_raw()
    body = receipt.body()
    return {
        "body": body,
        "alg": "Ed25519",
        "key_id": key_id(public),
        "signature": b64(private_key.sign(canonical_json(body))),
    }


def verify_receipt(
    signed: object,
    public_key: bytes,
    *,
    submission_id: str | None = None,
    manifest_sha256: str | None = None,
) -> Receipt:
    """The receipt inside `signed` if the hub's key signed it and it is about this submission."""
    if not isinstance(signed, dict) or not isinstance(signed.get("body"), dict):
        raise ReceiptError("receipt is not an object with a body")
    if signed.get("alg") != "Ed25519" or signed.get("key_id") != key_id(public_key):
        raise ReceiptError("receipt signed with another key")
    body = signed["body"]
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            unb64(str(signed.get("signature", ""))), canonical_json(body)
        )
    except (InvalidSignature, ProtocolError, ValueError) as exc:
        raise ReceiptError("receipt signature does not verify") from exc
    try:
        receipt = Receipt(**body)
    except TypeError as exc:
        raise ReceiptError("receipt body has unexpected fields") from exc
    if receipt.type != RECEIPT_TYPE or receipt.protocol not in SUPPORTED_VERSIONS:
        raise ReceiptError("not a receipt of this protocol")
    if submission_id is not None and receipt.submission_id != submission_id:
        raise ReceiptError("receipt is for another submission")
    if manifest_sha256 is not None and receipt.manifest_sha256 != manifest_sha256:
        raise ReceiptError("receipt is for another manifest")
    return receipt


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Verification:
    status: str  # pending / verified / invalid
    summary: str | None = None
    checked_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Verification:
        if not isinstance(data, dict) or data.get("status") not in ("pending", "verified", "invalid"):
            raise ProtocolError("bad verification")
        return cls(str(data["status"]), data.get("summary"), data.get("checked_at"))


@dataclass(frozen=True)
class SubmissionAnswer:
    status: str  # "accepted" (new) or "already_there" (an identical replay)
    receipt: dict[str, Any]
    verification: Verification

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "receipt": self.receipt, "verification": self.verification.to_json()}

    @classmethod
    def from_json(cls, data: object) -> SubmissionAnswer:
        if not isinstance(data, dict) or data.get("status") not in ("accepted", "already_there"):
            raise ProtocolError("bad submission answer")
        if not isinstance(data.get("receipt"), dict):
            raise ProtocolError("answer without receipt")
        return cls(data["status"], data["receipt"], Verification.from_json(data.get("verification")))


@dataclass(frozen=True)
class ReconcileItem:
    submission_id: str
    receipt: dict[str, Any]
    verification: Verification


def reconcile_answer_from_json(data: object) -> tuple[list[ReconcileItem], list[str]]:
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ProtocolError("bad reconcile answer")
    items = []
    for entry in data["items"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("receipt"), dict):
            raise ProtocolError("bad reconcile item")
        items.append(
            ReconcileItem(
                str(entry.get("submission_id")),
                entry["receipt"],
                Verification.from_json(entry.get("verification")),
            )
        )
    unknown = data.get("unknown", [])
    if not isinstance(unknown, list):
        raise ProtocolError("bad reconcile answer")
    return items, [str(u) for u in unknown]


# Error codes of `{"error": code, "message": text}` answers.
ERR_UNAUTHORIZED = "unauthorized"  # 401: no or unknown credential
ERR_WRONG_SCHOOL = "wrong_school"  # 403: the manifest names another school than the device's
ERR_CONFLICT = "conflict"  # 409: another manifest already holds this submission id
ERR_MISSING_BLOB = "missing_blob"  # 409: upload the document first
ERR_INVALID = "invalid"  # 422: the manifest or request does not follow the protocol
ERR_DIGEST = "digest_mismatch"  # 422: the bytes do not hash to the address
ERR_TOO_LARGE = "too_large"  # 413
ERR_UNSUPPORTED = "unsupported_protocol"  # 400


# --------------------------------------------------------------------------- credentials


def make_credential(device_id: str, secret: bytes) -> str:
    return f"{CREDENTIAL_PREFIX}.{device_id}.{base64.urlsafe_b64encode(secret).decode().rstrip('=')}"


def parse_credential(text: str) -> tuple[str, str]:
    """(device id, the whole credential) or ProtocolError for anything that is not one."""
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0] != CREDENTIAL_PREFIX or not is_uuid(parts[1]) or len(parts[2]) < 40:
        raise ProtocolError("not a device credential")
    return parts[1], text.strip()


def credential_hash(credential: str) -> str:
    """What the hub stores instead of the credential (it is 256 random bits: no slow hash needed)."""
    return sha256_hex(credential.strip().encode("ascii"))


# --------------------------------------------------------------------------- USB-stick bundles


def bundle_blob_name(sha256: str) -> str:
    return f"blobs/{sha256}.pdf"


@dataclass(frozen=True)
class BundleIndex:
    """`bundle.json` of an .hbz file (a ZIP): what a school sends on a USB stick."""

    school_code: str
    device_id: str | None
    created_at: str
    audit_head: str
    manifests: tuple[Manifest, ...]
    format: str = BUNDLE_FORMAT

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "school_code": self.school_code,
            "device_id": self.device_id,
            "created_at": self.created_at,
            "audit_head": self.audit_head,
            "manifests": [m.to_json() for m in self.manifests],
        }

    @classmethod
    def from_json(cls, data: object) -> BundleIndex:
        if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
            raise ProtocolError("not a hocba bundle (format)")
        manifests = data.get("manifests")
        _require(isinstance(manifests, list), "bundle without manifests")
        assert isinstance(manifests, list)
        parsed = tuple(Manifest.from_json(m) for m in manifests)
        school = data.get("school_code")
        _require(isinstance(school, str) and bool(_CODE.match(school)), "bad bundle school")
        assert isinstance(school, str)
        _require(all(m.school_code == school for m in parsed), "bundle mixes schools")
        _require(is_sha256(data.get("audit_head")), "bad bundle audit head")
        return cls(school, data.get("device_id"), str(data.get("created_at")), data["audit_head"], parsed)


def _bundle_mac(index_bytes: bytes, stored_credential_hash: str) -> str:
    return hmac.new(bytes.fromhex(stored_credential_hash), index_bytes, hashlib.sha256).hexdigest()


def sign_bundle(index_bytes: bytes, device_id: str, credential: str) -> dict[str, Any]:
    """`bundle.sig`: the device's HMAC-SHA256 over `bundle.json`'s exact bytes.

    The key is the SHA-256 of the device credential: the one thing about the credential
    the hub keeps (`credential_hash`), so the hub can check it, and no new key has to be
    registered (a school that sends only by USB never reaches the hub to register one).
    `bundle.json` names every document by SHA-256, so the MAC covers the PDFs too.
    """
    return {
        "alg": BUNDLE_MAC,
        "device_id": device_id,
        "mac": _bundle_mac(index_bytes, credential_hash(credential)),
    }


def bundle_signature_device(signature: object) -> str:
    """The device id a `bundle.sig` claims (ProtocolError if it is not one)."""
    if not isinstance(signature, dict) or signature.get("alg") != BUNDLE_MAC:
        raise ProtocolError("not a bundle signature")
    device_id, mac = signature.get("device_id"), signature.get("mac")
    _require(is_uuid(device_id) and isinstance(mac, str) and bool(_HEX64.match(mac)), "bad bundle signature")
    return str(device_id)


def verify_bundle(signature: object, index_bytes: bytes, stored_credential_hash: str) -> bool:
    """Whether `signature` is the device's MAC over `index_bytes` (constant-time compare)."""
    bundle_signature_device(signature)
    assert isinstance(signature, dict)
    expected = _bundle_mac(index_bytes, stored_credential_hash)
    return hmac.compare_digest(expected, str(signature["mac"]))


def receipts_file(hub: Info, receipts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": RECEIPTS_FORMAT, "hub": hub.to_json(), "receipts": receipts}


def read_receipts_file(data: object) -> tuple[Info, list[dict[str, Any]]]:
    if not isinstance(data, dict) or data.get("format") != RECEIPTS_FORMAT:
        raise ProtocolError("not a hocba receipts file")
    receipts = data.get("receipts")
    if not isinstance(receipts, list) or not all(isinstance(r, dict) for r in receipts):
        raise ProtocolError("bad receipts list")
    return Info.from_json(data.get("hub")), receipts
