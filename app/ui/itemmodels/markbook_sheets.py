"""The three kinds of mark book sheet behind one item model (no Qt here).

A `Sheet` adapts one service result to the grid: its columns, what each cell shows, how
a typed value is parsed (the services' own parsers), how a row changes in memory when a
value is accepted (averages recomputed by the rules engine at once), and the write
service call that makes it durable (run on the database writer thread).

- `SecondarySheet`: Thông tư 22, one class × subject × semester.
- `PrimarySubjectSheet`: Thông tư 27, one class × subject × period.
- `TraitsSheet`: Thông tư 27, the class's qualities and competencies in one period.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from app.i18n import _
from app.models.db import Database
from app.rules import tt27
from app.rules.wording import vn_number
from app.services import markbook as mb
from app.services import markbook_primary as mp
from app.services.access import Actor
from app.services.markbook_common import CellChange
from app.services.score_entry import (
    COLUMN_COMMENT,
    MAX_TX_COLUMNS,
    display_value,
    parse_comment,
    parse_integer_score,
    parse_secondary_cell,
    tx_column,
)

ColumnRole = Literal["number", "name", "entry", "comment", "result"]
ROMAN = {1: "I", 2: "II"}


@dataclass(frozen=True)
class SheetColumn:
    key: str
    header: str
    tooltip: str
    role: ColumnRole

    @property
    def editable(self) -> bool:
        return self.role in ("entry", "comment")


_NUMBER = SheetColumn("number", "STT", "Số thứ tự trong danh sách lớp", "number")
_NAME = SheetColumn("name", "Họ và tên", "Họ và tên học sinh (xếp theo tên, rồi họ và tên đệm)", "name")


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


class Sheet(ABC):
    """One grid of students × columns; rows are frozen dataclasses replaced on change."""

    columns: tuple[SheetColumn, ...]
    can_edit: bool
    title: str
    entry_hint: str  # what to type, for the status line
    subject_code: str | None
    locked: bool
    rows: list[object]

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db = db
        self.actor = actor
        # Corrections made since the sheet was loaded (the loaded counts come from the log).
        self._new_corrections: dict[tuple[int, str], int] = {}

    def note_change(self, r: int, key: str) -> None:
        """Count a correction when a recorded value is replaced (for the corner mark)."""
        if self.stored(r, key) is not None:
            cell = (self.student_id(r), key)
            self._new_corrections[cell] = self._new_corrections.get(cell, 0) + 1

    def corrections(self, r: int, key: str) -> int:
        cell = (self.student_id(r), key)
        return self.loaded_corrections(cell) + self._new_corrections.get(cell, 0)

    @abstractmethod
    def loaded_corrections(self, cell: tuple[int, str]) -> int: ...

    # -- rows ---------------------------------------------------------------------------
    @abstractmethod
    def student_id(self, r: int) -> int: ...

    @abstractmethod
    def student_name(self, r: int) -> str: ...

    @abstractmethod
    def not_assessed(self, r: int) -> bool: ...

    @abstractmethod
    def stored(self, r: int, key: str) -> str | None: ...

    @abstractmethod
    def parse(self, key: str, raw: str) -> str | None: ...

    @abstractmethod
    def apply(self, r: int, key: str, stored: str | None) -> None: ...

    def display(self, r: int, c: int) -> str:
        column = self.columns[c]
        if column.role == "number":
            return str(r + 1)
        if column.role == "name":
            return self.student_name(r)
        if column.role == "comment":
            return one_line(self.stored(r, column.key))
        return display_value(self.stored(r, column.key))

    def explain(self, r: int, c: int) -> str | None:
        """Tooltip text beyond the value: why a result is blank, the full comment."""
        column = self.columns[c]
        if column.role == "comment":
            return self.stored(r, column.key)
        if column.role == "name" and self.not_assessed(r):
            return _("Học sinh khuyết tật được miễn đánh giá theo kế hoạch giáo dục cá nhân.")
        return None

    def is_poor(self, r: int, c: int) -> bool:
        """The value is a fail (CĐ, C, an average below 5): shown in words and in colour."""
        return False

    def column_of(self, key: str) -> int:
        for i, column in enumerate(self.columns):
            if column.key == key:
                return i
        return -1

    # -- comments ------------------------------------------------------------------------
    def comment_key(self, r: int, c: int) -> str | None:
        """The comment the side panel edits when cell (r, c) is current."""
        return COLUMN_COMMENT if self.column_of(COLUMN_COMMENT) >= 0 else None

    def comment_label(self, key: str) -> str:
        return _("Nhận xét")

    def previous_comment(self, r: int, key: str) -> str | None:
        return None

    # -- services ------------------------------------------------------------------------
    @abstractmethod
    def write(self, entries: Sequence[mb.CellEntry], source: str) -> object:
        """The write service call; runs on the database writer thread."""

    @abstractmethod
    def history(self, r: int, key: str) -> tuple[CellChange, ...]: ...

    @abstractmethod
    def reload(self) -> Sheet: ...


# ---------------------------------------------------------------------------- secondary


def _result_text(value: Decimal | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Đạt") if value else _("Chưa đạt")
    return vn_number(value)


class SecondarySheet(Sheet):
    def __init__(self, db: Database, actor: Actor, book: mb.Markbook) -> None:
        super().__init__(db, actor)
        self.book = book
        self.rows = list(book.rows)
        self.can_edit = book.can_edit
        self.locked = book.locked_at is not None
        self.subject_code = book.subject_code
        self.title = _("{subject} · lớp {cls} · học kì {sem}").format(
            subject=book.subject_name, cls=book.class_name, sem=ROMAN[book.semester]
        )
        if book.kind == "comment":
            self.entry_hint = _(
                "Môn đánh giá bằng nhận xét: gõ Đ (Đạt) hoặc CĐ (Chưa đạt); gõ d, cd cũng được."
            )
        else:
            self.entry_hint = _(
                "Gõ điểm từ 0 đến 10, một chữ số thập phân (7 hoặc 7,5); Enter xuống dòng, Tab sang cột."
            )
        self.columns = self._columns(book.tx_columns)

    def _columns(self, tx_count: int) -> tuple[SheetColumn, ...]:
        book = self.book
        what = _("điểm") if book.kind == "score" else _("đánh giá")
        cols = [_NUMBER, _NAME]
        for i in range(tx_count):
            extra = (
                ""
                if i < book.tx_required
                else _(" (thêm, ngoài {n} lần bắt buộc)").format(n=book.tx_required)
            )
            cols.append(
                SheetColumn(
                    tx_column(i),
                    f"TX{i + 1}",
                    _("Đánh giá thường xuyên lần {n} (hệ số 1)").format(n=i + 1) + extra,
                    "entry",
                )
            )
        cols.append(SheetColumn("gk", _("Giữa kì"), _("Đánh giá giữa kì (hệ số 2)"), "entry"))
        cols.append(SheetColumn("ck", _("Cuối kì"), _("Đánh giá cuối kì (hệ số 3)"), "entry"))
        sem = ROMAN[book.semester]
        if book.kind == "score":
            formula = _(
                "= (tổng điểm TX + 2 × giữa kì + 3 × cuối kì) / (số điểm TX + 5), làm tròn một chữ số"
            )
            this = SheetColumn(
                "semester",
                _("ĐTB\nHK {sem}").format(sem=sem),
                _("Điểm trung bình môn học kì {sem} {f}").format(sem=sem, f=formula),
                "result",
            )
            other = SheetColumn("other", _("ĐTB\nHK I"), _("Điểm trung bình môn học kì I"), "result")
            year = SheetColumn(
                "year", _("ĐTB\ncả năm"), _("= (ĐTB học kì I + 2 × ĐTB học kì II) / 3"), "result"
            )
        else:
            this = SheetColumn(
                "semester",
                _("Kết quả\nHK {sem}").format(sem=sem),
                _("Đạt khi đủ {w}, cuối kì Đạt và ít nhất 2/3 số lần Đạt").format(w=what),
                "result",
            )
            other = SheetColumn("other", _("Kết quả\nHK I"), _("Kết quả học kì I"), "result")
            year = SheetColumn("year", _("Kết quả\ncả năm"), _("Cả năm lấy kết quả học kì II"), "result")
        cols += [other, this, year] if book.semester == 2 else [this]
        cols.append(
            SheetColumn(COLUMN_COMMENT, _("Nhận xét"), _("Nhận xét của giáo viên bộ môn (nếu có)"), "comment")
        )
        return tuple(cols)

    def add_tx_column(self) -> bool:
        tx_count = sum(1 for c in self.columns if c.key.startswith("tx"))
        if tx_count >= MAX_TX_COLUMNS:
            return False
        self.columns = self._columns(tx_count + 1)
        return True

    def _row(self, r: int) -> mb.MarkRow:
        row = self.rows[r]
        assert isinstance(row, mb.MarkRow)
        return row

    def student_id(self, r: int) -> int:
        return self._row(r).student_id

    def student_name(self, r: int) -> str:
        return self._row(r).full_name

    def not_assessed(self, r: int) -> bool:
        return self._row(r).not_assessed

    def stored(self, r: int, key: str) -> str | None:
        return self._row(r).value(key)

    def _result(self, r: int, key: str) -> mb.SemesterResult:
        row = self._row(r)
        return {"semester": row.semester, "other": row.other, "year": row.year}[key]

    def display(self, r: int, c: int) -> str:
        column = self.columns[c]
        if column.role == "result":
            value = self._result(r, column.key).value
            if value is None and self.not_assessed(r):
                return _("Miễn")
            return _result_text(value)
        return super().display(r, c)

    def explain(self, r: int, c: int) -> str | None:
        column = self.columns[c]
        if column.role == "result":
            result = self._result(r, column.key)
            return _("Chưa tính được: {why}").format(why=result.problem) if result.problem else None
        return super().explain(r, c)

    def is_poor(self, r: int, c: int) -> bool:
        column = self.columns[c]
        if column.role == "result":
            value = self._result(r, column.key).value
            return value is False or (isinstance(value, Decimal) and value < 5)
        return column.role == "entry" and self.stored(r, column.key) == "CĐ"

    def parse(self, key: str, raw: str) -> str | None:
        return parse_secondary_cell(self.book.kind, key, raw)

    def apply(self, r: int, key: str, stored: str | None) -> None:
        self.rows[r] = self._row(r).with_value(key, stored, self.book)

    def loaded_corrections(self, cell: tuple[int, str]) -> int:
        return self.book.corrections.get(cell, 0)

    def write(self, entries: Sequence[mb.CellEntry], source: str) -> object:
        b = self.book
        return mb.set_scores(
            self.db, self.actor, b.class_id, b.subject_id, b.semester, entries, source=source
        )

    def history(self, r: int, key: str) -> tuple[CellChange, ...]:
        b = self.book
        return mb.cell_history(
            self.db, self.actor, b.class_id, b.subject_id, b.semester, self.student_id(r), key
        )

    def reload(self) -> SecondarySheet:
        b = self.book
        book = mb.load_markbook(self.db, self.actor, b.class_id, b.subject_id, b.semester)
        return SecondarySheet(self.db, self.actor, book)


# ---------------------------------------------------------------------------- primary

_LEVEL_WORDS = {"T": "Hoàn thành tốt", "H": "Hoàn thành", "C": "Chưa hoàn thành"}
_RATING_WORDS = {"T": "Tốt", "Đ": "Đạt", "C": "Cần cố gắng"}


class PrimarySubjectSheet(Sheet):
    def __init__(self, db: Database, actor: Actor, book: mp.PrimaryMarkbook) -> None:
        super().__init__(db, actor)
        self.book = book
        self.rows = list(book.rows)
        self.can_edit = book.can_edit
        self.locked = book.locked_at is not None
        self.subject_code = book.subject_code
        self.title = _("{subject} · lớp {cls} · {period}").format(
            subject=book.subject_name, cls=book.class_name, period=_(mp.PERIOD_NAMES[book.period])
        )
        self.entry_hint = _("Mức đạt: gõ T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành)")
        cols = [
            _NUMBER,
            _NAME,
            SheetColumn(
                "level", _("Mức đạt"), _("T: Hoàn thành tốt · H: Hoàn thành · C: Chưa hoàn thành"), "entry"
            ),
        ]
        if book.test_column:
            self.entry_hint += _("; điểm kiểm tra là số nguyên 0–10")
            cols.append(
                SheetColumn(
                    "test", _("Điểm\nkiểm tra"), _("Điểm bài kiểm tra định kì: số nguyên 0–10"), "entry"
                )
            )
        cols.append(SheetColumn(COLUMN_COMMENT, _("Nhận xét"), _("Nhận xét của giáo viên"), "comment"))
        self.columns = tuple(cols)

    def _row(self, r: int) -> mp.PrimaryRow:
        row = self.rows[r]
        assert isinstance(row, mp.PrimaryRow)
        return row

    def student_id(self, r: int) -> int:
        return self._row(r).student_id

    def student_name(self, r: int) -> str:
        return self._row(r).full_name

    def not_assessed(self, r: int) -> bool:
        return self._row(r).not_assessed

    def stored(self, r: int, key: str) -> str | None:
        row = self._row(r)
        if key == "test":
            return None if row.test_score is None else str(row.test_score)
        return {"level": row.level, COLUMN_COMMENT: row.comment}[key]

    def explain(self, r: int, c: int) -> str | None:
        column = self.columns[c]
        if column.key == "level":
            level = self.stored(r, "level")
            return _(_LEVEL_WORDS[level]) if level else None
        return super().explain(r, c)

    def is_poor(self, r: int, c: int) -> bool:
        key = self.columns[c].key
        if key not in ("level", "test"):
            return False
        value = self.stored(r, key)
        return (key == "level" and value == "C") or (key == "test" and value is not None and int(value) < 5)

    def parse(self, key: str, raw: str) -> str | None:
        if key == "level":
            return mp.parse_level(raw)
        if key == "test":
            score = parse_integer_score(raw)
            return None if score is None else str(score)
        return parse_comment(raw)

    def apply(self, r: int, key: str, stored: str | None) -> None:
        row = self._row(r)
        if key == "test":
            self.rows[r] = replace(row, test_score=None if stored is None else int(stored))
        elif key == "level":
            self.rows[r] = replace(row, level=stored)
        else:
            self.rows[r] = replace(row, comment=stored)

    def loaded_corrections(self, cell: tuple[int, str]) -> int:
        return self.book.corrections.get(cell, 0)

    def previous_comment(self, r: int, key: str) -> str | None:
        return self._row(r).previous_comment

    def write(self, entries: Sequence[mb.CellEntry], source: str) -> object:
        b = self.book
        return mp.set_primary_values(
            self.db, self.actor, b.class_id, b.subject_id, b.period, entries, source=source
        )

    def history(self, r: int, key: str) -> tuple[CellChange, ...]:
        b = self.book
        return mp.primary_cell_history(
            self.db, self.actor, b.class_id, b.subject_id, b.period, self.student_id(r), key
        )

    def reload(self) -> PrimarySubjectSheet:
        b = self.book
        book = mp.load_primary_markbook(self.db, self.actor, b.class_id, b.subject_id, b.period)
        return PrimarySubjectSheet(self.db, self.actor, book)


_SHORT_TRAIT_HEADERS = {
    "tu_chu_tu_hoc": "Tự chủ,\ntự học",
    "giao_tiep_hop_tac": "Giao tiếp,\nhợp tác",
    "gq_van_de_sang_tao": "GQVĐ,\nsáng tạo",
    "trach_nhiem": "Trách\nnhiệm",
    "trung_thuc": "Trung\nthực",
}


class TraitsSheet(Sheet):
    def __init__(self, db: Database, actor: Actor, sheet: mp.TraitSheet) -> None:
        super().__init__(db, actor)
        self.sheet = sheet
        self.rows = list(sheet.rows)
        self.can_edit = sheet.can_edit
        self.locked = False
        self.subject_code = None
        self.title = _("Phẩm chất, năng lực · lớp {cls} · {period}").format(
            cls=sheet.class_name, period=_(mp.PERIOD_NAMES[sheet.period])
        )
        self.entry_hint = _("Gõ T (Tốt), Đ (Đạt) hoặc C (Cần cố gắng); nhận xét từng mục ở khung bên phải.")
        cols = [_NUMBER, _NAME]
        for code in mp.TRAIT_CODES:
            kind = _("Phẩm chất") if code in tt27.QUALITIES else _("Năng lực")
            name = mp.TRAIT_NAMES[code]
            # Two short lines keep fifteen columns narrow: "Trung\nthực", "Tự chủ,\ntự học".
            header = _SHORT_TRAIT_HEADERS.get(code) or name.replace(" ", "\n", 1)
            cols.append(
                SheetColumn(
                    code, _(header), f"{kind} {_(name)}: T (Tốt) · Đ (Đạt) · C (Cần cố gắng)", "entry"
                )
            )
        self.columns = tuple(cols)

    def _row(self, r: int) -> mp.TraitRow:
        row = self.rows[r]
        assert isinstance(row, mp.TraitRow)
        return row

    def student_id(self, r: int) -> int:
        return self._row(r).student_id

    def student_name(self, r: int) -> str:
        return self._row(r).full_name

    def not_assessed(self, r: int) -> bool:
        return self._row(r).not_assessed

    def stored(self, r: int, key: str) -> str | None:
        return self._row(r).value(key)

    def explain(self, r: int, c: int) -> str | None:
        column = self.columns[c]
        if column.role == "entry":
            level = self.stored(r, column.key)
            comment = self.stored(r, column.key + mp.COMMENT_SUFFIX)
            parts = [_(_RATING_WORDS[level])] if level else []
            if comment:
                parts.append(comment)
            return "\n".join(parts) or None
        return super().explain(r, c)

    def is_poor(self, r: int, c: int) -> bool:
        column = self.columns[c]
        return column.role == "entry" and self.stored(r, column.key) == "C"

    def parse(self, key: str, raw: str) -> str | None:
        if key.endswith(mp.COMMENT_SUFFIX):
            return parse_comment(raw)
        return mp.parse_rating(raw)

    def apply(self, r: int, key: str, stored: str | None) -> None:
        row = self._row(r)
        if key.endswith(mp.COMMENT_SUFFIX):
            i = mp.TRAIT_CODES.index(key.removesuffix(mp.COMMENT_SUFFIX))
            comments = list(row.comments)
            comments[i] = stored
            self.rows[r] = replace(row, comments=tuple(comments))
        else:
            i = mp.TRAIT_CODES.index(key)
            levels = list(row.levels)
            levels[i] = stored
            self.rows[r] = replace(row, levels=tuple(levels))

    def loaded_corrections(self, cell: tuple[int, str]) -> int:
        return self.sheet.corrections.get(cell, 0)

    def comment_key(self, r: int, c: int) -> str | None:
        column = self.columns[c]
        return column.key + mp.COMMENT_SUFFIX if column.role == "entry" else None

    def comment_label(self, key: str) -> str:
        code = key.removesuffix(mp.COMMENT_SUFFIX)
        return _("Nhận xét: {name}").format(name=_(mp.TRAIT_NAMES[code]))

    def previous_comment(self, r: int, key: str) -> str | None:
        i = mp.TRAIT_CODES.index(key.removesuffix(mp.COMMENT_SUFFIX))
        return self._row(r).previous_comments[i]

    def write(self, entries: Sequence[mb.CellEntry], source: str) -> object:
        s = self.sheet
        return mp.set_traits(self.db, self.actor, s.class_id, s.period, entries, source=source)

    def history(self, r: int, key: str) -> tuple[CellChange, ...]:
        s = self.sheet
        return mp.primary_cell_history(
            self.db, self.actor, s.class_id, None, s.period, self.student_id(r), key
        )

    def reload(self) -> TraitsSheet:
        s = self.sheet
        return TraitsSheet(self.db, self.actor, mp.load_traits(self.db, self.actor, s.class_id, s.period))
