"""`python -m app demo`: create a migrated database holding the demo school."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from app.errors import UserFacingError
from app.models.db import open_database
from app.services.demo import create_demo_school


def run(
    db_path: Path,
    *,
    level: str,
    classes: int,
    students_per_class: int,
    seed: int,
    out: TextIO,
    err: TextIO,
) -> int:
    if classes < 1 or students_per_class < 1:
        err.write("Lỗi: số lớp và số học sinh mỗi lớp phải lớn hơn 0.\n")
        return 2
    from app.cli.db_key import database_key

    db = open_database(db_path, key=database_key(db_path))
    try:
        summary = create_demo_school(
            db, level=level, classes=classes, students_per_class=students_per_class, seed=seed
        )
    except UserFacingError as exc:
        err.write(f"Lỗi: {exc.message}\n")
        return 1
    finally:
        db.dispose()
    data = {"database": str(db_path), **summary.to_json_dict()}
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return 0
