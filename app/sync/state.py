"""The one `sync_state` row: which hub, which device, how often, and how the last sync went."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models.outbox import SyncState


def get_state(session: Session) -> SyncState:
    """The row, created with defaults on first use (inside a write session)."""
    state = session.get(SyncState, 1)
    if state is None:
        state = SyncState(id=1, interval_minutes=60)
        session.add(state)
        session.flush()
    return state


def read_state(session: Session) -> SyncState | None:
    return session.get(SyncState, 1)
