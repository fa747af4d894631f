"""Child process of the conversion crash tests: `python -m tests.services.encryption_child DB POINT N`.

Runs app.services.encryption.encrypt_database on DB and SIGKILLs its own process (no cleanup,
no finally blocks: like a power cut of the process) the Nth time the conversion reaches the
named POINT (see the module doc of app.services.encryption; "never" to finish). Prints the
result as JSON when it finishes.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from app.services import encryption


def main() -> int:
    db_path, point, nth = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    seen = 0
    original = encryption.checkpoint

    def stop_at(name: str) -> None:
        nonlocal seen
        original(name)
        if name == point:
            seen += 1
            if seen >= nth:
                os.kill(os.getpid(), signal.SIGKILL)

    encryption.checkpoint = stop_at
    result = encryption.encrypt_database(db_path)
    print(json.dumps(result.to_json_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
