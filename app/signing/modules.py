"""PKCS#11 modules: the file names the token vendors of Vietnamese CAs ship, and probing.

Plain data and file checks (no PKCS#11 call happens here), importable from anywhere:
selftest, settings, the token thread. The user can always set a module path by hand in
the settings; those paths come first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
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


@dataclass(frozen=True)
class ModuleCandidate:
    vendor: str
    path: Path
    from_settings: bool


def _search_dirs() -> list[Path]:
    if sys.platform == "win32":
        root = Path(os.environ.get("SYSTEMROOT", r"C:\Windows"))
        return [root / "System32"]
    return [Path("/usr/lib"), Path("/usr/local/lib"), Path("/usr/lib/x86_64-linux-gnu")]


def probe() -> list[tuple[str, Path]]:
    """Known modules present on this machine, as (vendor, path)."""
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


def candidates(settings_paths: Iterable[str] = ()) -> list[ModuleCandidate]:
    """Modules to try, those set by hand first, then the probed ones; no path twice."""
    result: list[ModuleCandidate] = []
    seen: set[str] = set()
    for raw in settings_paths:
        path = Path(raw)
        key = os.path.normcase(str(path))
        if key not in seen and path.is_file():
            seen.add(key)
            result.append(ModuleCandidate(_vendor_of(path), path, True))
    for vendor, path in probe():
        key = os.path.normcase(str(path))
        if key not in seen:
            seen.add(key)
            result.append(ModuleCandidate(vendor, path, False))
    return result


def _vendor_of(path: Path) -> str:
    name = path.name.lower()
    for known in KNOWN_MODULES:
        if any(Path(n).name.lower() == name for n in (*known.windows, *known.linux)):
            return known.vendor
    return path.name
