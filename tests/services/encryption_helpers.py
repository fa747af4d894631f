"""Shared by the encryption tests: a real file-backed keyring (keyrings.alt, not a mock) in a
temp folder that child processes find through the environment, and the secrets to grep for."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import select

from app.models import Student
from app.models.db import open_database


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlaintextKeyring]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring-home"))
    backend = PlaintextKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def empty_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> PlaintextKeyring:
    """Switch to a fresh, empty keyring: 'a new PC' (or Windows reinstalled)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / name))
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    return backend


def student_secrets(path: Path, key: bytes | None, limit: int = 8) -> list[bytes]:
    """Students' names and identification numbers as they could sit on disk: UTF-8 in NFC and
    NFD, and UTF-16 (little and big endian)."""
    db = open_database(path, key=key, migrate=False)
    try:
        with db.read() as s:
            rows = s.execute(
                select(Student.full_name, Student.national_id).order_by(Student.id).limit(limit)
            ).all()
    finally:
        db.dispose()
    found: list[bytes] = []
    for name, national_id in rows:
        for form in ("NFC", "NFD"):
            text = unicodedata.normalize(form, name)
            found += [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")]
        if national_id:
            found += [national_id.encode("ascii"), national_id.encode("utf-16-le")]
    assert len(rows) >= min(limit, 3) and any(nid for _, nid in rows)
    return found


def leaked(data: bytes, secrets: list[bytes]) -> list[bytes]:
    return [s for s in secrets if s in data]
