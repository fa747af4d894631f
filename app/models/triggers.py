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

# Mark book lock (khoá sổ): once a class × subject is locked (teaching_assignment.locked_at),
# its assessments cannot be inserted, changed or deleted, whatever writes them; the services
# refuse first with a message, this is the database's own guarantee. Each check is two
# index lookups (enrolment by id, teaching_assignment by its unique class × subject).
_LOCKED = """
    EXISTS (SELECT 1 FROM enrolment e JOIN teaching_assignment t ON t.class_id = e.class_id
            WHERE e.id = {row}.enrolment_id AND t.subject_id = {row}.subject_id
              AND t.locked_at IS NOT NULL)
"""
for _table in ("secondary_assessment", "primary_assessment"):
    for _event, _when in (
        ("INSERT", _LOCKED.format(row="NEW")),
        ("UPDATE", _LOCKED.format(row="OLD") + " OR " + _LOCKED.format(row="NEW")),
        ("DELETE", _LOCKED.format(row="OLD")),
    ):
        _name = f"{_table}_locked_no_{_event.lower()}"
        TRIGGERS[_name] = f"""
        CREATE TRIGGER IF NOT EXISTS {_name}
        BEFORE {_event} ON {_table}
        WHEN {_when}
        BEGIN
            SELECT RAISE(ABORT, 'mark book is locked (khoá sổ)');
        END
    """
del _table, _event, _when, _name
LOCK_TRIGGERS = tuple(name for name in TRIGGERS if "_locked_no_" in name)


def create_all_sql() -> list[str]:
    return [sql.strip() for sql in TRIGGERS.values()]


def drop_all_sql() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]
