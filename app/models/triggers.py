"""Triggers that protect data in the database itself.

Kept as data so every migration that rebuilds a table (SQLite batch mode drops and
recreates tables, and their triggers with them) can re-create them, and a test can check
that they all exist after `upgrade head`.
"""

from __future__ import annotations

TRIGGERS: dict[str, str] = {
    "audit_log_no_update": """
        CREATE TRIGGER IF NOT EXISTS audit_log_no_update
        BEFORE UPDATE ON audit_log
        BEGIN
            SELECT RAISE(ABORT, 'audit_log is append-only');
        END
    """,
    "audit_log_no_delete": """
        CREATE TRIGGER IF NOT EXISTS audit_log_no_delete
        BEFORE DELETE ON audit_log
        BEGIN
            SELECT RAISE(ABORT, 'audit_log is append-only');
        END
    """,
}


def create_all_sql() -> list[str]:
    return [sql.strip() for sql in TRIGGERS.values()]


def drop_all_sql() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]
