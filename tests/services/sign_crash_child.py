"""Child process of the signing crash tests: one signing batch that SIGKILLs itself at a named point.

`python -m tests.services.sign_crash_child DB CLASS ROLE LOGIN POINT N` plans ROLE's batch of
CLASS for LOGIN's demo certificate, signs it with the demo signer, and kills its own
process (no cleanup, no finally blocks: like a power cut of the process) the Nth time the batch
reaches POINT (one of app.services.signing_run.POINTS; "never" to finish). Prints the run's
JSON when it finishes.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from app.models.db import open_database
from app.services.certificates import demo_folder, ensure_demo_signers
from app.services.records import find_class
from app.services.signing_order import plan_signing
from app.services.signing_run import run_signing
from app.signing.signers import DemoSignerSpec


def main() -> int:
    db_path, class_name, role, login = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    point, nth = sys.argv[5], int(sys.argv[6])
    seen = 0

    def hook(name: str, _uuid: str) -> None:
        nonlocal seen
        if name == point:
            seen += 1
            if seen >= nth:
                os.kill(os.getpid(), signal.SIGKILL)

    db = open_database(db_path)
    pki = ensure_demo_signers(db)
    plan = plan_signing(db, role, find_class(db, class_name), pki.credentials[login].sha256)
    run = run_signing(db, plan, DemoSignerSpec(demo_folder(db), login), None, hook=hook)
    print(json.dumps(run.to_json(), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
