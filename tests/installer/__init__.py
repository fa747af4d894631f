"""Tests of the release build: bundle rules, installer script, and a real bundle."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"


def load_rules() -> ModuleType:
    """installer/bundle_rules.py, the module the PyInstaller spec builds with."""
    if "bundle_rules" in sys.modules:
        return sys.modules["bundle_rules"]
    spec = importlib.util.spec_from_file_location("bundle_rules", INSTALLER / "bundle_rules.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bundle_rules"] = module
    spec.loader.exec_module(module)
    return module
