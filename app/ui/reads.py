"""The reads the screens make, each behind one small function.

Reading a school overview or one class is a short read, allowed on the GUI thread
(architecture.md §3). Screens call these through a `Callable` they are given, so moving a
read to a worker later changes this module and the wiring, not the screens.
"""

from __future__ import annotations

from collections.abc import Callable

from app.models.db import Database
from app.services.access import Actor
from app.services.class_results import ClassResults, SchoolOverview, class_results, school_overview

ClassReader = Callable[[int], ClassResults]


def read_overview(db: Database, actor: Actor) -> SchoolOverview:
    return school_overview(db, actor)


def class_reader(db: Database, actor: Actor) -> ClassReader:
    """A function reading one class's year results from `db`, as `actor` may see them."""

    def read_class(class_id: int) -> ClassResults:
        return class_results(db, actor, class_id)

    return read_class
