"""Child process of the crash tests: one sync that SIGKILLs itself at a named point.

`python -m tests.sync.crash_child DB POINT N` runs app.sync.worker.run_sync on DB and kills
its own process (no cleanup, no finally blocks, like a power cut of the process) the Nth
time the worker reaches POINT (one of app.sync.worker.POINTS; "never" to finish).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from app.models.db import open_database
from app.sync.client import RetryPolicy, Timeouts
from app.sync.worker import SyncOptions, run_sync


def main() -> int:
    db_path, point, nth = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    seen = 0

    def hook(name: str, _submission_id: str | None) -> None:
        nonlocal seen
        if name == point:
            seen += 1
            if seen >= nth:
                os.kill(os.getpid(), signal.SIGKILL)

    db = open_database(db_path)
    options = SyncOptions(
        policy=RetryPolicy(attempts=4, base_delay_s=0.02, max_delay_s=0.2),
        timeouts=Timeouts(connect_s=5, read_s=10, write_s=10),
        hook=hook,
    )
    print(json.dumps(run_sync(db, options).to_json()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
