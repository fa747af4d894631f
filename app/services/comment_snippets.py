"""Reusable comment snippets (mẫu nhận xét): each teacher's own, the school's, and a few
built-in starters, so a comment for 35 students is a few picks and small edits.

The picker shows, in order: the teacher's own snippets (most used first), the school's
shared ones, then the built-in starters (never stored; they disappear from the list once
the teacher has saved the same text). Snippets are not records of students, so they are
not audited.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

from sqlalchemy import or_, select

from app.errors import NotFound, UserFacingError
from app.models import CommentSnippet
from app.models.base import utcnow
from app.models.db import Database
from app.services.access import Actor, PermissionDenied

__all__ = [
    "BUILTIN_SNIPPETS",
    "MAX_SNIPPET_CHARS",
    "Snippet",
    "add_snippet",
    "delete_snippet",
    "list_snippets",
    "record_use",
]

MAX_SNIPPET_CHARS: Final = 1000

# Starters written for this product: short, concrete, kind; teachers edit them per student.
BUILTIN_SNIPPETS: Final[tuple[str, ...]] = (
    "Chăm chỉ, tích cực phát biểu xây dựng bài.",
    "Nắm vững kiến thức cơ bản, vận dụng tốt vào bài tập.",
    "Tiến bộ rõ so với đầu năm học, cần phát huy.",
    "Trình bày bài sạch sẽ, cẩn thận.",
    "Biết hợp tác với bạn khi làm việc nhóm.",
    "Cần tập trung hơn trong giờ học.",
    "Cần chú ý ôn tập thường xuyên, làm đủ bài tập ở nhà.",
    "Còn rụt rè, cần mạnh dạn hơn khi phát biểu.",
    "Tiếp thu chậm ở một số nội dung, cần được hỗ trợ thêm.",
    "Hoàn thành tốt các nhiệm vụ học tập được giao.",
)


@dataclass(frozen=True)
class Snippet:
    id: int | None  # None for a built-in starter
    text: str
    subject_code: str | None
    shared: bool  # the school's, visible to every teacher
    builtin: bool
    use_count: int
    mine: bool  # the actor may delete it


def _clean(text: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFC", text or "").split())
    if not cleaned:
        raise UserFacingError("Mẫu nhận xét đang trống. Hãy gõ nội dung rồi lưu.", field="text")
    if len(cleaned) > MAX_SNIPPET_CHARS:
        raise UserFacingError(
            f"Mẫu nhận xét dài quá {MAX_SNIPPET_CHARS} ký tự. Hãy tách thành các mẫu ngắn hơn.",
            field="text",
        )
    return cleaned


def list_snippets(db: Database, actor: Actor, subject_code: str | None = None) -> tuple[Snippet, ...]:
    """The actor's snippets and the school's (for `subject_code` or any subject), then starters."""
    with db.read() as s:
        owner = CommentSnippet.owner_id == actor.user_id if actor.user_id is not None else None
        visible = (
            or_(CommentSnippet.owner_id.is_(None), owner)
            if owner is not None
            else (CommentSnippet.owner_id.is_(None))
        )
        query = select(CommentSnippet).where(visible)
        if subject_code is not None:
            query = query.where(
                or_(CommentSnippet.subject_code.is_(None), CommentSnippet.subject_code == subject_code)
            )
        out = [
            Snippet(
                id=r.id,
                text=r.text,
                subject_code=r.subject_code,
                shared=r.owner_id is None,
                builtin=False,
                use_count=r.use_count,
                mine=(r.owner_id is not None and r.owner_id == actor.user_id)
                or (r.owner_id is None and actor.is_admin),
            )
            for r in s.scalars(query)
        ]
    # The teacher's own first, most used first; then the school's.
    out.sort(key=lambda snippet: (snippet.shared, -snippet.use_count, snippet.id or 0))
    stored = {snippet.text for snippet in out}
    out.extend(
        Snippet(None, text, None, shared=True, builtin=True, use_count=0, mine=False)
        for text in BUILTIN_SNIPPETS
        if text not in stored
    )
    return tuple(out)


def add_snippet(
    db: Database, actor: Actor, text: str, subject_code: str | None = None, *, shared: bool = False
) -> Snippet:
    """Save a snippet for the actor (or, for the admin, `shared` with the whole school).
    Saving a text the actor already has returns the existing snippet."""
    cleaned = _clean(text)
    if shared and not actor.is_admin:
        raise PermissionDenied("Chỉ cán bộ quản trị mới tạo được mẫu nhận xét dùng chung cho cả trường.")
    owner_id = None if shared or actor.user_id is None else actor.user_id
    with db.write() as s:
        owner_clause = (
            CommentSnippet.owner_id.is_(None) if owner_id is None else CommentSnippet.owner_id == owner_id
        )
        existing = s.scalar(
            select(CommentSnippet).where(
                owner_clause,
                CommentSnippet.text == cleaned,
                CommentSnippet.subject_code.is_(None)
                if subject_code is None
                else CommentSnippet.subject_code == subject_code,
            )
        )
        row = existing or CommentSnippet(
            owner_id=owner_id, subject_code=subject_code, text=cleaned, use_count=0
        )
        if existing is None:
            s.add(row)
            s.flush()
        return Snippet(row.id, row.text, row.subject_code, owner_id is None, False, row.use_count, True)


def delete_snippet(db: Database, actor: Actor, snippet_id: int) -> None:
    with db.write() as s:
        row = s.get(CommentSnippet, snippet_id)
        if row is None:
            raise NotFound("Không tìm thấy mẫu nhận xét này; có thể nó đã bị xoá.")
        own = row.owner_id is not None and row.owner_id == actor.user_id
        if not own and not (row.owner_id is None and actor.is_admin):
            raise PermissionDenied("Bạn chỉ xoá được mẫu nhận xét của chính mình.")
        s.delete(row)


def record_use(db: Database, actor: Actor, snippet_id: int) -> None:
    """Count one use, so the snippets a teacher picks most come first next time."""
    with db.write() as s:
        row = s.get(CommentSnippet, snippet_id)
        if row is None or (row.owner_id is not None and row.owner_id != actor.user_id):
            return  # deleted meanwhile, or not theirs: counting is best-effort, never an error
        row.use_count += 1
        row.last_used_at = utcnow()
