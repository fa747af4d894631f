"""The small parts: the PIN holder, module probing, atomic writes, roles."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from app.signing import modules
from app.signing.atomic import write_atomic
from app.signing.pin import Pin, PinWipedError
from app.signing.roles import Role


def test_pin_hides_itself_and_wipes_its_bytes() -> None:
    pin = Pin("246810")
    assert pin.reveal() == "246810"
    assert "246810" not in repr(pin) and "246810" not in str(pin) and "246810" not in f"{pin}"
    with pytest.raises(TypeError):
        pickle.dumps(pin)
    secret = pin._secret  # the buffer itself, to see it zeroed rather than just dropped
    pin.wipe()
    assert bytes(secret) == b"\0" * 6 and pin.wiped
    with pytest.raises(PinWipedError):
        pin.reveal()
    with Pin("1357") as scoped:
        assert scoped.reveal() == "1357"
    assert scoped.wiped


def test_module_candidates_put_settings_first_and_name_vendors(tmp_path: Path) -> None:
    by_hand = tmp_path / "eTPKCS11.dll"
    by_hand.write_bytes(b"not really a module")
    odd = tmp_path / "vendor-x.so"
    odd.write_bytes(b"")
    found = modules.candidates([str(by_hand), str(odd), str(by_hand), str(tmp_path / "missing.dll")])
    assert [c.path for c in found[:2]] == [by_hand, odd]
    assert found[0].vendor == "VGCA / SafeNet eToken" and found[0].from_settings
    assert found[1].vendor == "vendor-x.so"
    assert len([c for c in found if c.path == by_hand]) == 1
    if Path("/usr/lib/softhsm/libsofthsm2.so").exists():
        assert any(c.vendor.startswith("SoftHSM2") and not c.from_settings for c in found)


def test_atomic_write_replaces_whole_files_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "hs.pdf"
    write_atomic(target, b"first")
    write_atomic(target, b"second version")
    assert target.read_bytes() == b"second version"
    assert [p.name for p in target.parent.iterdir()] == ["hs.pdf"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "hs.pdf"
    write_atomic(target, b"signed by GVCN")

    def no_rename(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("app.signing.atomic.os.replace", no_rename)
    with pytest.raises(OSError):
        write_atomic(target, b"half")
    assert target.read_bytes() == b"signed by GVCN"
    assert [p.name for p in tmp_path.iterdir()] == ["hs.pdf"]


def test_roles_as_the_command_line_spells_them() -> None:
    assert [Role.from_cli(x) for x in ("gvbm", "GVCN", "hieutruong", "con-dau")] == list(Role)
    assert Role.GVCN.mode.certify and not Role.HIEU_TRUONG.mode.certify
    assert Role.CON_DAU.mode.requires_field_lock
    with pytest.raises(ValueError):
        Role.from_cli("thuky")
