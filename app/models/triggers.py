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

# Created by migration 0001; each later migration creates only its own group below.
AUDIT_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")

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

# Sync outbox (app.models.outbox): states only move forward; "accepted" needs its stored
# receipt; what an item carries never changes; nothing is deleted; receipts are kept as signed.
_OUTBOX: dict[str, str] = {
    "outbox_item_starts_pending": """
        CREATE TRIGGER IF NOT EXISTS outbox_item_starts_pending
        BEFORE INSERT ON outbox_item
        WHEN NEW.state <> 'pending'
        BEGIN
            SELECT RAISE(ABORT, 'outbox items start pending');
        END
    """,
    "outbox_item_forward_only": """
        CREATE TRIGGER IF NOT EXISTS outbox_item_forward_only
        BEFORE UPDATE OF state ON outbox_item
        WHEN NEW.state IS NOT OLD.state AND NOT (
            (OLD.state = 'pending' AND NEW.state IN ('sent', 'needs_attention'))
            OR (OLD.state = 'sent' AND NEW.state IN ('accepted', 'needs_attention')))
        BEGIN
            SELECT RAISE(ABORT, 'outbox state only moves forward');
        END
    """,
    "outbox_item_accepted_needs_receipt": """
        CREATE TRIGGER IF NOT EXISTS outbox_item_accepted_needs_receipt
        BEFORE UPDATE OF state ON outbox_item
        WHEN NEW.state = 'accepted' AND OLD.state <> 'accepted'
            AND NOT EXISTS (SELECT 1 FROM sync_receipt r WHERE r.outbox_item_id = NEW.id)
        BEGIN
            SELECT RAISE(ABORT, 'an outbox item is accepted only with its stored receipt');
        END
    """,
    "outbox_item_carries_fixed": """
        CREATE TRIGGER IF NOT EXISTS outbox_item_carries_fixed
        BEFORE UPDATE ON outbox_item
        WHEN NEW.submission_id IS NOT OLD.submission_id OR NEW.kind IS NOT OLD.kind
            OR NEW.document_id IS NOT OLD.document_id OR NEW.version IS NOT OLD.version
            OR NEW.sha256 IS NOT OLD.sha256 OR NEW.supersedes IS NOT OLD.supersedes
            OR (OLD.manifest IS NOT NULL AND (NEW.manifest IS NOT OLD.manifest
                OR NEW.send_sha256 IS NOT OLD.send_sha256))
        BEGIN
            SELECT RAISE(ABORT, 'an outbox item and its frozen manifest never change');
        END
    """,
    "outbox_item_no_delete": """
        CREATE TRIGGER IF NOT EXISTS outbox_item_no_delete
        BEFORE DELETE ON outbox_item
        BEGIN
            SELECT RAISE(ABORT, 'outbox items are never deleted');
        END
    """,
    "sync_receipt_no_update": """
        CREATE TRIGGER IF NOT EXISTS sync_receipt_no_update
        BEFORE UPDATE ON sync_receipt
        BEGIN
            SELECT RAISE(ABORT, 'receipts are kept as the hub signed them');
        END
    """,
    "sync_receipt_no_delete": """
        CREATE TRIGGER IF NOT EXISTS sync_receipt_no_delete
        BEFORE DELETE ON sync_receipt
        BEGIN
            SELECT RAISE(ABORT, 'receipts are kept as the hub signed them');
        END
    """,
}
TRIGGERS.update(_OUTBOX)
OUTBOX_TRIGGERS = tuple(_OUTBOX)

# Documents (app.models.documents): a final document (an issued record, a signed subject
# sheet), its files and its signatures never change and are never deleted; the only change
# allowed is marking it superseded when a correction is issued.
_FINAL = "('issued', 'gvbm_signed')"
_DOCUMENT_COLUMNS = (
    "uuid", "kind", "school_id", "school_year_id", "class_id", "enrolment_id", "subject_id", "term",
    "version", "supersedes", "supersede_reason", "state", "current_sha256", "created_at", "issued_at",
)  # fmt: skip
_FINAL_OF_ROW = (
    "EXISTS (SELECT 1 FROM document d WHERE d.id = {row}.document_id AND d.state IN " + _FINAL + ")"
)
_DOCUMENTS: dict[str, str] = {
    "document_final_no_update": f"""
        CREATE TRIGGER IF NOT EXISTS document_final_no_update
        BEFORE UPDATE ON document
        WHEN OLD.state IN {_FINAL} AND (
            {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _DOCUMENT_COLUMNS)}
            OR (OLD.superseded AND NOT NEW.superseded))
        BEGIN
            SELECT RAISE(ABORT, 'an issued document never changes (only superseded may be set)');
        END
    """,
    "document_final_no_delete": f"""
        CREATE TRIGGER IF NOT EXISTS document_final_no_delete
        BEFORE DELETE ON document
        WHEN OLD.state IN {_FINAL}
        BEGIN
            SELECT RAISE(ABORT, 'an issued document is never deleted');
        END
    """,
}
for _table in ("signature", "document_file"):
    for _event in ("INSERT", "UPDATE", "DELETE"):
        _name = f"{_table}_final_no_{_event.lower()}"
        _row = "NEW" if _event == "INSERT" else "OLD"
        _DOCUMENTS[_name] = f"""
        CREATE TRIGGER IF NOT EXISTS {_name}
        BEFORE {_event} ON {_table}
        WHEN {_FINAL_OF_ROW.format(row=_row)}
        BEGIN
            SELECT RAISE(ABORT, 'the files and signatures of an issued document never change');
        END
    """
del _table, _event, _name, _row
TRIGGERS.update(_DOCUMENTS)
DOCUMENT_TRIGGERS = tuple(_DOCUMENTS)

# Transfers (app.models.transfers): what was sent and received, and the documents received,
# are kept as recorded: never changed, never deleted.
_TRANSFERS: dict[str, str] = {}
for _table in ("transfer_out", "transfer_in", "received_document"):
    for _event in ("UPDATE", "DELETE"):
        _name = f"{_table}_no_{_event.lower()}"
        _TRANSFERS[_name] = f"""
        CREATE TRIGGER IF NOT EXISTS {_name}
        BEFORE {_event} ON {_table}
        BEGIN
            SELECT RAISE(ABORT, 'transfer records and received documents never change');
        END
    """
del _table, _event, _name
TRIGGERS.update(_TRANSFERS)
TRANSFER_TRIGGERS = tuple(_TRANSFERS)

# Corrections (app.models.corrections): a request's state only moves forward
# (requested → approved | rejected, approved → issued); what was asked, by whom, about which
# version never changes; the new version, once named, stays; nothing is deleted.
_CORRECTIONS: dict[str, str] = {
    "correction_request_forward_only": """
        CREATE TRIGGER IF NOT EXISTS correction_request_forward_only
        BEFORE UPDATE OF state ON correction_request
        WHEN NEW.state IS NOT OLD.state AND NOT (
            (OLD.state = 'requested' AND NEW.state IN ('approved', 'rejected'))
            OR (OLD.state = 'approved' AND NEW.state = 'issued'))
        BEGIN
            SELECT RAISE(ABORT, 'a correction request only moves forward');
        END
    """,
    "correction_request_fixed": """
        CREATE TRIGGER IF NOT EXISTS correction_request_fixed
        BEFORE UPDATE ON correction_request
        WHEN NEW.uuid IS NOT OLD.uuid OR NEW.enrolment_id IS NOT OLD.enrolment_id
            OR NEW.document_id IS NOT OLD.document_id OR NEW.reason IS NOT OLD.reason
            OR NEW.requested_by_id IS NOT OLD.requested_by_id
            OR NEW.requested_by_name IS NOT OLD.requested_by_name
            OR NEW.requested_at IS NOT OLD.requested_at
            OR (OLD.new_document_id IS NOT NULL AND NEW.new_document_id IS NOT OLD.new_document_id)
        BEGIN
            SELECT RAISE(ABORT, 'a correction request keeps what was asked');
        END
    """,
    "correction_request_no_delete": """
        CREATE TRIGGER IF NOT EXISTS correction_request_no_delete
        BEFORE DELETE ON correction_request
        BEGIN
            SELECT RAISE(ABORT, 'correction requests are never deleted');
        END
    """,
}
# Scores and results behind an issued record: whatever writes them (a mark book a leader
# unlocked after issuing, a script), the values of a student whose current record is issued
# do not change, unless a correction of that record is approved (and not yet issued: issuing
# the new version moves the request to 'issued', and the new issued version locks them again).
_ISSUED_RECORD = """
    EXISTS (SELECT 1 FROM document d WHERE d.enrolment_id = {row}.enrolment_id AND d.kind = 'record'
            AND d.state = 'issued' AND NOT d.superseded)
    AND NOT EXISTS (SELECT 1 FROM correction_request c WHERE c.enrolment_id = {row}.enrolment_id
            AND c.state = 'approved')
"""
RECORD_VALUE_TABLES = (
    "secondary_assessment", "primary_assessment", "reassessment", "primary_trait", "conduct",
    "attendance", "year_comment", "award",
)  # fmt: skip
for _table in RECORD_VALUE_TABLES:
    for _event, _when in (
        ("INSERT", _ISSUED_RECORD.format(row="NEW")),
        ("UPDATE", f"({_ISSUED_RECORD.format(row='OLD')}) OR ({_ISSUED_RECORD.format(row='NEW')})"),
        ("DELETE", _ISSUED_RECORD.format(row="OLD")),
    ):
        _name = f"{_table}_issued_no_{_event.lower()}"
        _CORRECTIONS[_name] = f"""
        CREATE TRIGGER IF NOT EXISTS {_name}
        BEFORE {_event} ON {_table}
        WHEN {_when}
        BEGIN
            SELECT RAISE(ABORT, 'the record is issued: its values change only under an approved correction');
        END
    """
del _table, _event, _when, _name
TRIGGERS.update(_CORRECTIONS)
CORRECTION_TRIGGERS = tuple(_CORRECTIONS)
