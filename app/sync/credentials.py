"""The device credential, kept in the operating system's keyring (Windows Credential Manager,
macOS Keychain, Secret Service on Linux) through `keyring`: never in the database, never in
a settings file, never in a log. The database holds only the device id it is filed under.
"""

from __future__ import annotations

import logging

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from app.errors import UserFacingError

log = logging.getLogger(__name__)

SERVICE = "hocbaso-hub-device"


class KeyringUnavailable(UserFacingError):
    pass


def _unavailable(exc: Exception) -> KeyringUnavailable:
    log.warning("keyring unavailable: %s", exc.__class__.__name__)
    return KeyringUnavailable(
        "Máy tính này chưa có kho khoá an toàn của hệ điều hành để cất mã kết nối "
        f"({exc.__class__.__name__}). Hãy đăng nhập Windows bằng tài khoản của mình rồi thử lại, "
        "hoặc nhờ cán bộ tin học kiểm tra."
    )


def store(device_id: str, credential: str) -> None:
    try:
        keyring.set_password(SERVICE, device_id, credential)
    except (KeyringError, RuntimeError, OSError) as exc:
        raise _unavailable(exc) from None


def load(device_id: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, device_id)
    except (KeyringError, RuntimeError, OSError) as exc:
        raise _unavailable(exc) from None


def forget(device_id: str) -> None:
    try:
        keyring.delete_password(SERVICE, device_id)
    except PasswordDeleteError:
        pass
    except (KeyringError, RuntimeError, OSError) as exc:
        raise _unavailable(exc) from None
