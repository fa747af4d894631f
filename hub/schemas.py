"""JSON Schemas of the wire documents, for the OpenAPI description (documentation only).

The hub parses requests with app.sync.protocol, which is the authority; these schemas
describe the same shapes for people and generated clients.
"""

from __future__ import annotations

from typing import Any

HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
UUID = {"type": "string", "format": "uuid"}
NULLABLE_UUID = {"anyOf": [UUID, {"type": "null"}]}
NULLABLE_STR = {"anyOf": [{"type": "string"}, {"type": "null"}]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(name)}}}


SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "machine-readable code"},
            "message": {"type": "string", "description": "what happened and what to do, in Vietnamese"},
            "missing": {"type": "array", "items": HEX64},
        },
    },
    "Info": {
        "type": "object",
        "required": [
            "service",
            "protocol_versions",
            "hub_id",
            "hub_name",
            "receipt_key",
            "max_blob_bytes",
            "time",
        ],
        "properties": {
            "service": {"const": "hocba-hub"},
            "protocol_versions": {"type": "array", "items": {"type": "integer"}},
            "hub_id": {"type": "string"},
            "hub_name": {"type": "string"},
            "receipt_key": {
                "type": "object",
                "properties": {
                    "alg": {"const": "Ed25519"},
                    "public_key": {"type": "string", "description": "raw 32-byte key, base64"},
                    "key_id": {"type": "string"},
                },
            },
            "max_blob_bytes": {"type": "integer"},
            "time": {"type": "string", "format": "date-time"},
        },
    },
    "Device": {
        "type": "object",
        "properties": {"device_id": UUID, "school_code": {"type": "string"}, "hub_id": {"type": "string"}},
    },
    "Blob": {
        "type": "object",
        "properties": {"sha256": HEX64, "size": {"type": "integer"}, "created": {"type": "boolean"}},
    },
    "Manifest": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "submission_id",
            "kind",
            "document_id",
            "version",
            "school_code",
            "year",
            "document",
            "issued_sha256",
            "audit_head",
            "created_at",
        ],
        "properties": {
            "protocol": {"const": 1},
            "submission_id": {**UUID, "description": "uuid5 of kind, document_id and version"},
            "kind": {"enum": ["record", "sheet"]},
            "document_id": UUID,
            "version": {"type": "integer", "minimum": 1},
            "supersedes": {**NULLABLE_UUID, "description": "document_id of the corrected version"},
            "school_code": {"type": "string"},
            "student_code": NULLABLE_STR,
            "year": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$"},
            "document": {
                "type": "object",
                "properties": {
                    "sha256": HEX64,
                    "size": {"type": "integer"},
                    "media_type": {"const": "application/pdf"},
                },
            },
            "issued_sha256": HEX64,
            "audit_head": HEX64,
            "created_at": {"type": "string"},
            "device_id": NULLABLE_STR,
            "extras": {"type": "object"},
        },
    },
    "SubmissionRequest": {
        "type": "object",
        "required": ["manifest"],
        "properties": {"manifest": ref("Manifest")},
    },
    "SignedReceipt": {
        "type": "object",
        "required": ["body", "alg", "key_id", "signature"],
        "properties": {
            "body": {
                "type": "object",
                "properties": {
                    "type": {"const": "hocba-receipt"},
                    "protocol": {"type": "integer"},
                    "hub_id": {"type": "string"},
                    "submission_id": UUID,
                    "manifest_sha256": HEX64,
                    "document_sha256": HEX64,
                    "school_code": {"type": "string"},
                    "audit_head": HEX64,
                    "received_at": {"type": "string"},
                    "sequence": {"type": "integer"},
                    "channel": {"enum": ["http", "bundle"]},
                    "device_id": NULLABLE_STR,
                },
            },
            "alg": {"const": "Ed25519"},
            "key_id": {"type": "string"},
            "signature": {"type": "string", "description": "Ed25519 over the canonical JSON of body, base64"},
        },
    },
    "Verification": {
        "type": "object",
        "properties": {
            "status": {"enum": ["pending", "verified", "invalid"]},
            "summary": NULLABLE_STR,
            "checked_at": NULLABLE_STR,
        },
    },
    "SubmissionAnswer": {
        "type": "object",
        "properties": {
            "status": {"enum": ["accepted", "already_there"]},
            "receipt": ref("SignedReceipt"),
            "verification": ref("Verification"),
        },
    },
    "ReconcileRequest": {
        "type": "object",
        "required": ["submission_ids"],
        "properties": {"submission_ids": {"type": "array", "items": UUID, "maxItems": 500}},
    },
    "ReconcileAnswer": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "submission_id": UUID,
                        "receipt": ref("SignedReceipt"),
                        "verification": ref("Verification"),
                    },
                },
            },
            "unknown": {"type": "array", "items": UUID},
        },
    },
}

ERROR = json_body("Error", "error")
