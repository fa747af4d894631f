"""What happens when a new version becomes final (inside the signing transaction).

A corrected record that issues, or a class subject sheet signed again: the version it
supersedes is marked superseded (the only change the triggers allow on a final document),
and the correction request that led to a record's new version is closed as issued, which
locks the student's values again (app.models.triggers: the new issued version locks them).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import CorrectionRequest, Document
from app.models import corrections as c
from app.models import documents as d
from app.models.base import utcnow
from app.services import audit


def supersede_previous(s: Session, doc: Document, *, actor: str) -> None:
    """Mark what `doc` supersedes as superseded; close its correction request. Call once `doc` is final."""
    if doc.supersedes is None:
        return
    old = s.scalar(select(Document).where(Document.uuid == doc.supersedes))
    if old is not None and not old.superseded:
        old.superseded = True
    if doc.kind != d.KIND_RECORD:
        return
    request = s.scalar(
        select(CorrectionRequest).where(
            CorrectionRequest.new_document_id == doc.id, CorrectionRequest.state == c.APPROVED
        )
    )
    if request is None:
        return
    request.state = c.ISSUED
    request.issued_at = utcnow()
    s.flush()
    audit.append(
        s, actor=actor, action="correction.issue", entity="correction_request", entity_id=request.uuid,
        detail={"document": doc.uuid, "version": doc.version, "supersedes": doc.supersedes},
    )  # fmt: skip
