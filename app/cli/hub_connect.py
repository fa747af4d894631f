"""`python -m app hub-connect --db FILE --hub URL --credential-env VAR`: connect this PC.

The credential is read from the named environment variable (never from the command line,
where other users and shell histories would see it) and stored in the OS keyring; the
database keeps the hub address, its receipt key and the device id. Prints JSON.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError


def run(db_path: Path, *, hub: str, credential_env: str, out: TextIO, err: TextIO) -> int:
    from app.models.db import open_database
    from app.sync.connect import connect_device

    logging.getLogger("httpx").setLevel(logging.WARNING)
    credential = os.environ.get(credential_env, "").strip()
    if not credential:
        err.write(f"Lỗi: biến môi trường {credential_env} chưa có mã kết nối Sở cấp.\n")
        return 2
    from app.cli.db_key import database_key

    db = open_database(db_path.expanduser(), key=database_key(db_path.expanduser()))
    try:
        connected = connect_device(db, hub, credential)
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 1
    finally:
        db.dispose()
    json.dump({"connected": True, **asdict(connected)}, out, ensure_ascii=False)
    out.write("\n")
    return 0
