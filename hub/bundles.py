"""Importing a school's USB-stick bundle (.hbz) through the same idempotent path as HTTP.

The bundle is a ZIP holding `bundle.json` (app.sync.protocol.BundleIndex) and one
`blobs/<sha256>.pdf` per document. Each document is checked against its address, stored
like an upload, then submitted like a PUT; the receipts file written next to the bundle
carries the signed receipts (and any refusal) back to the school. Importing the same
bundle twice changes nothing and writes the same receipts again.

A bundle is not signed by the school's device: an officer carries it by hand, and every
document's own signatures are verified by the hub as for any submission.
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
from hub.models import School
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


def import_bundle(hub: Hub, bundle: Path, receipts_out: Path) -> dict[str, Any]:
    service = hub.service
    try:
        archive = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BundleError(f"Không mở được tệp {bundle.name}: {exc}. Hãy chép lại tệp từ USB.") from None
    with archive:
        try:
            index = protocol.BundleIndex.from_json(
                json.loads(_read_member(archive, protocol.BUNDLE_INDEX, MAX_INDEX_BYTES))
            )
        except (json.JSONDecodeError, UnicodeDecodeError, protocol.ProtocolError) as exc:
            raise BundleError(f"Tệp {bundle.name} không phải gói học bạ hợp lệ ({exc}).") from None
        with hub.db.session() as s:
            known = s.scalar(select(School.id).where(School.code == index.school_code))
        if known is None:
            raise BundleError(
                f"Trường {index.school_code} chưa được đăng ký trên máy chủ. Hãy cấp mã cho trường "
                "(python -m hub device-add --school …) rồi nhận lại gói."
            )
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
        "submissions": len(index.manifests),
        "new": new,
        "already_there": again,
        "refused": len(refused),
        "receipts": str(receipts_out),
    }
