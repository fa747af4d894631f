"""Logging set-up. Never log a PIN, a password or an identification number."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path


def configure(log_dir: Path | None, *, verbose: bool = False) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_dir / "hocba.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        )
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    # Alembic narrates every migration step at INFO; our own line says which revision ran.
    logging.getLogger("alembic").setLevel(logging.WARNING)
