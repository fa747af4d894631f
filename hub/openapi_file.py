"""The OpenAPI description kept in the repository (hub/openapi.json) and how to refresh it.

`python -m hub openapi > hub/openapi.json` writes it; a test checks the served description
equals the file, so the file never drifts from the code.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

SPEC_FILE = Path(__file__).resolve().parent / "openapi.json"


def current_spec() -> dict[str, Any]:
    from hub.api import create_app
    from hub.config import open_hub

    with tempfile.TemporaryDirectory() as tmp:
        hub = open_hub(Path(tmp))
        try:
            spec: dict[str, Any] = create_app(hub, run_verifier=False).openapi()
            return spec
        finally:
            hub.close()


def stored_spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    return data
