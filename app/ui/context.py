"""What every screen may need: the open database, who is signed in, the school overview."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.models.db import Database
from app.services.access import Actor
from app.services.class_results import SchoolOverview


@dataclass(frozen=True)
class UiContext:
    db: Database
    actor: Actor
    overview: SchoolOverview
    database_path: Path | None = None
    # Where settings.json lives (the user's data folder unless a test or --db says otherwise).
    data_dir: Path | None = None
