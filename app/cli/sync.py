"""`python -m app sync --db FILE [--hub URL]`: one sync, a JSON summary, exit 0 when nothing waits.

Prints `{"sent", "accepted", "already_there", "failed", "waiting", …}`. Exit 0 when no
item is left waiting (items needing attention are listed as "failed" and named on stderr),
1 when items still wait (offline, hub busy), 2 when this PC is not connected or another
sync is running. Meant for a scheduled task as much as for people.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError


def run(
    db_path: Path,
    *,
    hub: str | None,
    retries: int | None,
    timeout: float | None,
    out: TextIO,
    err: TextIO,
) -> int:
    from app.models.db import open_database
    from app.signing.trust import trust_roots
    from app.sync.client import RetryPolicy, Timeouts
    from app.sync.worker import SyncOptions, run_sync

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise in a task log
    policy = RetryPolicy() if retries is None else RetryPolicy(attempts=max(1, retries + 1))
    timeouts = Timeouts() if timeout is None else Timeouts(connect_s=timeout, read_s=timeout, write_s=timeout)
    from app.cli.db_key import database_key

    db = open_database(db_path.expanduser(), key=database_key(db_path.expanduser()))
    try:
        roots = tuple(c.dump() for c in trust_roots())  # for fetching revocation data (long-term)
        summary = run_sync(db, SyncOptions(hub_url=hub, policy=policy, timeouts=timeouts, trust_roots=roots))
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 2
    finally:
        db.dispose()
    json.dump(summary.to_json(), out, ensure_ascii=False)
    out.write("\n")
    if summary.error:
        err.write(f"{summary.error}\n")
    if summary.failed:
        err.write(f"Có {summary.failed} hồ sơ cần xử lý: xem trang Đồng bộ trong ứng dụng.\n")
    return 0 if summary.waiting == 0 else 1
