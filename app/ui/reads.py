"""The reads the screens make, each behind one small function.

Reading a school overview or one class is a short read, allowed on the GUI thread
(architecture.md §3). Screens call these through a `Callable` they are given, so moving a
read to a worker later changes this module and the wiring, not the screens.
"""

from __future__ import annotations

from collections.abc import Callable

from app.models.db import Database
from app.services.class_results import ClassResults, SchoolOverview, class_results, school_overview

ClassReader = Callable[[int], ClassResults]


def read_overview(db: Database) -> SchoolOverview:
    return school_overview(db)


def class_reader(db: Database) -> ClassReader:
    """A function reading one class's year results from `db`."""

    def read_class(class_id: int) -> ClassResults:
        return class_results(db, class_id)

    return read_class
