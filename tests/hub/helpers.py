"""Talking to the hub on the wire as it is (raw HTTP), for the hub's own tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.sync import protocol

SCHOOL = "19039901"
HEAD = "a" * 64


def manifest_for(
    pdf: bytes,
    school: str = SCHOOL,
    *,
    document_id: str | None = None,
    version: int = 1,
    supersedes: str | None = None,
    student: str | None = "HS0001",
    kind: str = "record",
    extras: dict[str, Any] | None = None,
) -> protocol.Manifest:
    doc_id = document_id or str(uuid.uuid4())
    sha = protocol.sha256_hex(pdf)
    return protocol.Manifest(
        submission_id=protocol.submission_id_for(kind, doc_id, version),
        kind=kind,
        document_id=doc_id,
        version=version,
        supersedes=supersedes,
        school_code=school,
        student_code=student if kind == "record" else None,
        year="2026-2027",
        document=protocol.DocumentRef(sha, len(pdf)),
        issued_sha256=sha,
        audit_head=HEAD,
        created_at="2027-05-31T08:00:00Z",
        device_id=None,
        extras=extras or {"class_name": "6A1"},
    ).check()


class Wire:
    def __init__(self, url: str, credential: str | None) -> None:
        headers = {"Authorization": f"Bearer {credential}"} if credential else {}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=60)

    def put_blob(self, data: bytes, sha: str | None = None) -> httpx.Response:
        return self.http.put(protocol.blob_path(sha or protocol.sha256_hex(data)), content=data)

    def head_blob(self, sha: str) -> httpx.Response:
        return self.http.head(protocol.blob_path(sha))

    def submit(self, manifest: protocol.Manifest | dict[str, Any], sid: str | None = None) -> httpx.Response:
        body = manifest.to_json() if isinstance(manifest, protocol.Manifest) else manifest
        submission = sid or str(body["submission_id"])
        return self.http.put(
            protocol.submission_path(submission),
            content=protocol.canonical_json({"manifest": body}),
            headers={"Content-Type": "application/json"},
        )

    def reconcile(self, ids: list[str]) -> httpx.Response:
        return self.http.post("/v1/reconcile", json={"submission_ids": ids})

    def close(self) -> None:
        self.http.close()
