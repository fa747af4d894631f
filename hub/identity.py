"""The hub's identity: its id, its name, and the Ed25519 key its receipts are signed with.

Made on first use in the data folder (`hub.json`, `keys/receipt-ed25519.pem`, readable by
the hub's user only). Schools pin the public key when they connect; losing the key means
every school must connect again, so it belongs in the department's backups.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEFAULT_NAME = "Máy chủ học bạ số của Sở Giáo dục và Đào tạo"


@dataclass(frozen=True)
class HubIdentity:
    hub_id: str
    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes_raw()


def _write_new(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_or_create(data_dir: Path, name: str | None = None) -> HubIdentity:
    meta_path = data_dir / "hub.json"
    key_path = data_dir / "keys" / "receipt-ed25519.pem"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    else:
        meta = {"hub_id": str(uuid.uuid4()), "name": name or DEFAULT_NAME}
        _write_new(meta_path, json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8"), 0o644)
    if key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
    else:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_new(key_path, pem)
    return HubIdentity(meta["hub_id"], name or meta["name"], key)
