"""Importing a school's USB-stick bundle (.hbz) through the same idempotent path as HTTP.

The bundle is a ZIP holding `bundle.json` (app.sync.protocol.BundleIndex) and one
`blobs/<sha256>.pdf` per document. Each document is checked against its address, stored
like an upload, then submitted like a PUT; the receipts file written next to the bundle
carries the signed receipts (and any refusal) back to the school. Importing the same
bundle twice changes nothing and writes the same receipts again.

The school's device signs the bundle (`bundle.sig`: HMAC-SHA256 over bundle.json's bytes,
keyed with the SHA-256 of the device credential, which is what the hub keeps of it; see
app.sync.protocol.sign_bundle). Before anything is stored, the hub refuses a bundle without
that signature, one whose signature does not verify (altered after export, or not made by
the device it names), and one from an unknown or revoked device or another school's device.
Every document's own signatures are then verified as for any submission.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.sync import protocol
from hub.config import Hub
from hub.models import Device, School
from hub.service import HubError

MAX_INDEX_BYTES = 64 * 1024 * 1024


class BundleError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise BundleError(f"Tệp .hbz thiếu {name}: tệp bị hỏng hoặc chép chưa xong.") from None
    if info.file_size > limit:
        raise BundleError(f"{name} trong tệp .hbz quá lớn.")
    with archive.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise BundleError(f"{name} trong tệp .hbz quá lớn.")
    return data


_REEXPORT = "Không hồ sơ nào trong gói được nhận; hãy nhờ trường xuất lại gói (bundle export) và gửi lại."


def check_device_signature(
    hub: Hub, archive: zipfile.ZipFile, raw_index: bytes, index: protocol.BundleIndex, name: str
) -> str:
    """The id of the registered, unrevoked device of the bundle's school that signed it, or BundleError."""
    if protocol.BUNDLE_SIGNATURE not in archive.namelist():
        raise BundleError(
            f"Gói {name} không có chữ ký của máy trường ({protocol.BUNDLE_SIGNATURE}): gói do phần mềm "
            f"cũ tạo hoặc đã bị sửa. {_REEXPORT}"
        )
    try:
        signature = json.loads(_read_member(archive, protocol.BUNDLE_SIGNATURE, 64 * 1024))
        device_id = protocol.bundle_signature_device(signature)
    except (json.JSONDecodeError, UnicodeDecodeError, protocol.ProtocolError):
        raise BundleError(f"Chữ ký của gói {name} bị hỏng. {_REEXPORT}") from None
    if index.device_id != device_id:
        raise BundleError(f"Gói {name} ghi một máy nhưng chữ ký là của máy khác. {_REEXPORT}")
    with hub.db.session() as s:
        found = s.execute(
            select(School.code, Device.credential_hash, Device.revoked_at)
            .join(School, School.id == Device.school_id)
            .where(Device.id == device_id)
        ).first()
    if found is None:
        raise BundleError(
            f"Máy đã ký gói {name} ({device_id}) không được Sở cấp quyền gửi học bạ. "
            "Hãy cấp mã cho máy của trường (python -m hub device-add --school …) rồi nhờ trường xuất lại gói."
        )
    school_code, credential_hash, revoked_at = found
    if revoked_at is not None:
        raise BundleError(
            f"Quyền gửi học bạ của máy đã ký gói {name} ({device_id}) đã bị thu hồi ngày "
            f"{revoked_at:%d/%m/%Y}. Không hồ sơ nào được nhận; hãy cấp mã mới cho trường."
        )
    if school_code != index.school_code:
        raise BundleError(
            f"Gói {name} ghi trường {index.school_code} nhưng được ký bằng máy của trường {school_code}. "
            f"{_REEXPORT}"
        )
    if not protocol.verify_bundle(signature, raw_index, credential_hash):
        raise BundleError(
            f"Chữ ký của gói {name} không khớp: gói đã bị sửa sau khi trường xuất, hoặc không do máy của "
            f"trường tạo. {_REEXPORT}"
        )
    return device_id


def import_bundle(hub: Hub, bundle: Path, receipts_out: Path) -> dict[str, Any]:
    service = hub.service
    try:
        archive = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundleError(f"Không mở được tệp {bundle.name}: {exc}. Hãy chép lại tệp từ USB.") from None
    with archive:
        raw_index = _read_member(archive, protocol.BUNDLE_INDEX, MAX_INDEX_BYTES)
        try:
            index = protocol.BundleIndex.from_json(json.loads(raw_index))
        except (json.JSONDecodeError, UnicodeDecodeError, protocol.ProtocolError) as exc:
            raise BundleError(f"Tệp {bundle.name} không phải gói học bạ hợp lệ ({exc}).") from None
        with hub.db.session() as s:
            known = s.scalar(select(School.id).where(School.code == index.school_code))
        if known is None:
            raise BundleError(
                f"Trường {index.school_code} chưa được đăng ký trên máy chủ. Hãy cấp mã cho trường "
                "(python -m hub device-add --school …) rồi nhận lại gói."
            )
        device_id = check_device_signature(hub, archive, raw_index, index, bundle.name)
        receipts: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        new = again = 0
        for manifest in index.manifests:
            sha = manifest.document.sha256
            try:
                data = _read_member(archive, protocol.bundle_blob_name(sha), service.max_blob_bytes)
                if protocol.sha256_hex(data) != sha or len(data) != manifest.document.size:
                    raise HubError(
                        422, protocol.ERR_DIGEST, "Tệp học bạ trong gói bị hỏng (không khớp SHA-256)."
                    )
                service.put_blob(sha, data)
                created, answer = service.submit(
                    manifest, school_code=index.school_code, device_id=index.device_id, channel="bundle"
                )
            except (HubError, BundleError) as exc:
                message = exc.message
                code = exc.code if isinstance(exc, HubError) else "bundle"
                refused.append({"submission_id": manifest.submission_id, "error": code, "message": message})
                continue
            new += created
            again += not created
            receipts.append(answer.receipt)
    document = protocol.receipts_file(service.info(), receipts)
    document["refused"] = refused
    tmp = receipts_out.with_name(receipts_out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, receipts_out)
    hub.verifier.run_all()
    return {
        "bundle": str(bundle),
        "school": index.school_code,
        "device": device_id,
        "submissions": len(index.manifests),
        "new": new,
        "already_there": again,
        "refused": len(refused),
        "receipts": str(receipts_out),
    }
