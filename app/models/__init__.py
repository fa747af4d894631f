"""SQLAlchemy models (no logic beyond what keeps data consistent)."""

from app.models.assessment import (
    Attendance,
    Award,
    Conduct,
    PrimaryAssessment,
    PrimaryTrait,
    Reassessment,
    SecondaryAssessment,
    YearComment,
)
from app.models.audit import AuditEntry
from app.models.base import Base
from app.models.cert_requests import CertificateRequest
from app.models.checklist_state import ChecklistLook
from app.models.corrections import CorrectionRequest, TrustedRoot
from app.models.documents import Document, DocumentFile, Signature
from app.models.outbox import OutboxItem, SyncReceipt, SyncState
from app.models.people import Certificate, Enrolment, Student, StudyHistory, UserAccount, UserRole
from app.models.school import (
    Grade,
    School,
    SchoolClass,
    SchoolYear,
    Semester,
    Subject,
    TeachingAssignment,
)
from app.models.snippets import CommentSnippet
from app.models.transfers import ReceivedDocument, TransferIn, TransferOut

__all__ = [
    "Attendance",
    "AuditEntry",
    "Award",
    "Base",
    "Certificate",
    "CertificateRequest",
    "ChecklistLook",
    "CommentSnippet",
    "Conduct",
    "CorrectionRequest",
    "Document",
    "DocumentFile",
    "Enrolment",
    "Grade",
    "OutboxItem",
    "PrimaryAssessment",
    "PrimaryTrait",
    "Reassessment",
    "ReceivedDocument",
    "School",
    "SchoolClass",
    "SchoolYear",
    "SecondaryAssessment",
    "Semester",
    "Signature",
    "Student",
    "StudyHistory",
    "Subject",
    "SyncReceipt",
    "SyncState",
    "TeachingAssignment",
    "TransferIn",
    "TransferOut",
    "TrustedRoot",
    "UserAccount",
    "UserRole",
    "YearComment",
]
