"""Known PKCS#11 module file names of the token vendors Vietnamese CAs ship.

Plain data, importable from anywhere (selftest, settings, signing). The signing package
probes these; the user can always set a path by hand in the settings.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KnownModule:
    vendor: str
    windows: tuple[str, ...]
    linux: tuple[str, ...]


KNOWN_MODULES: tuple[KnownModule, ...] = (
    KnownModule("VNPT-CA", ("vnpt-ca_csp11.dll", "vnpt-ca_v34.dll"), ()),
    KnownModule("Viettel-CA", ("viettel-ca_v6.dll", "viettel-ca_v5.dll"), ()),
    KnownModule("VGCA / SafeNet eToken", ("eTPKCS11.dll", "eps2003csp11v2.dll"), ("libeTPkcs11.so",)),
    KnownModule("Bit4id", ("bit4ipki.dll", "bit4xpki.dll"), ("libbit4xpki.so",)),
    KnownModule("FPT-CA", ("fptca_pkcs11.dll",), ()),
    KnownModule("BKAV-CA", ("BkavCA.dll", "bkavcsp11.dll"), ()),
    KnownModule(
        "ePass2003 (Feitian)", ("eps2003csp11.dll", "ShuttleCsp11_3003.dll"), ("libcastle.so.1.0.0",)
    ),
    KnownModule("SoftHSM2 (thử nghiệm)", ("softhsm2-x64.dll",), ("/usr/lib/softhsm/libsofthsm2.so",)),
)


def _search_dirs() -> list[Path]:
    if sys.platform == "win32":
        root = Path(os.environ.get("SYSTEMROOT", r"C:\Windows"))
        return [root / "System32"]
    return [Path("/usr/lib"), Path("/usr/local/lib"), Path("/usr/lib/x86_64-linux-gnu")]


def probe() -> list[tuple[str, Path]]:
    """Modules present on this machine, as (vendor, path)."""
    found: list[tuple[str, Path]] = []
    names_attr = "windows" if sys.platform == "win32" else "linux"
    for known in KNOWN_MODULES:
        for name in getattr(known, names_attr):
            candidate = Path(name)
            paths = [candidate] if candidate.is_absolute() else [d / name for d in _search_dirs()]
            for path in paths:
                if path.is_file():
                    found.append((known.vendor, path))
    return found
