"""Empty signature fields, created in the packaging pass before any signature.

Every field a signer will fill must exist before the first signature (architecture.md §5):
after the homeroom teacher's certifying signature (DocMDP "form filling and signing")
only filling existing fields is an allowed change, so a field added later would break it.
Field names: `GVCN`, `HieuTruong`, `ConDau` on a record; `GVBM` on a class subject sheet.

Each field is one dictionary that is both the form field and its widget annotation (the
shape pyHanko itself creates), printable and locked against moving, with an appearance
stream (PDF/A wants one for every visible annotation) showing a faint dashed outline that
the signature's stamp replaces. The seal's field carries a /Lock "all fields" dictionary,
so signing it locks the whole document (FieldMDP) without the signer adding anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from app.documents.render_common import FieldPlacement

__all__ = ["FIELD_LABELS", "RECORD_FIELDS", "SHEET_FIELDS", "add_signature_fields"]

RECORD_FIELDS = ("GVCN", "HieuTruong", "ConDau")
SHEET_FIELDS = ("GVBM",)
FIELD_LABELS = {
    "GVCN": "Chữ ký số của giáo viên chủ nhiệm",
    "HieuTruong": "Chữ ký số của hiệu trưởng",
    "ConDau": "Chữ ký số của nhà trường (con dấu)",
    "GVBM": "Chữ ký số của giáo viên môn học",
}
_PRINT_AND_LOCKED = 4 | 128
_SEALS = frozenset({"ConDau"})


def _appearance(width: float, height: float, round_seal: bool) -> DecodedStreamObject:
    """A dashed grey outline: a circle for the seal, a rectangle for a signature."""
    w, h = round(width, 2), round(height, 2)
    if round_seal:
        # Four Bézier quarter arcs (k ≈ 0.5523 of the radius) inside the square box.
        r = min(w, h) / 2 - 0.5
        cx, cy, k = w / 2, h / 2, 0.5523 * r
        path = (
            f"{cx + r:.2f} {cy:.2f} m "
            f"{cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
            f"{cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} {cx - r:.2f} {cy:.2f} c "
            f"{cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
            f"{cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} {cx + r:.2f} {cy:.2f} c S"
        )
    else:
        path = f"0.5 0.5 {w - 1:.2f} {h - 1:.2f} re S"
    content = f"q 0.72 0.72 0.72 RG 0.6 w [3 2] 0 d {path} Q".encode("ascii")
    stream = DecodedStreamObject()
    stream.set_data(content)
    stream.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(w), FloatObject(h)]
            ),
            NameObject("/Resources"): DictionaryObject(),
        }
    )
    return stream


def add_signature_fields(
    writer: PdfWriter, placements: Sequence[FieldPlacement], expected: Sequence[str]
) -> None:
    """Create one empty signature field per placement; every `expected` name exactly once."""
    names = [p.name for p in placements]
    if sorted(names) != sorted(expected):
        raise ValueError(f"signature fields placed {names}, expected {list(expected)}")
    refs: list[IndirectObject] = []
    for placement in placements:
        page = writer.pages[placement.page]
        x1, y1, x2, y2 = placement.rect
        appearance = writer._add_object(_appearance(x2 - x1, y2 - y1, placement.name in _SEALS))
        field = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/FT"): NameObject("/Sig"),
                NameObject("/T"): TextStringObject(placement.name),
                NameObject("/TU"): TextStringObject(FIELD_LABELS.get(placement.name, placement.name)),
                NameObject("/F"): NumberObject(_PRINT_AND_LOCKED),
                NameObject("/Rect"): ArrayObject([FloatObject(v) for v in placement.rect]),
                NameObject("/P"): page.indirect_reference,
                NameObject("/AP"): DictionaryObject({NameObject("/N"): appearance}),
            }
        )
        if placement.name in _SEALS:
            field[NameObject("/Lock")] = writer._add_object(
                DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/SigFieldLock"),
                        NameObject("/Action"): NameObject("/All"),
                    }
                )
            )
        ref = writer._add_object(field)
        refs.append(ref)
        annots = page.get("/Annots")
        if annots is None:
            page[NameObject("/Annots")] = ArrayObject([ref])
        else:
            annots.get_object().append(ref)
    writer.root_object[NameObject("/AcroForm")] = writer._add_object(
        DictionaryObject({NameObject("/Fields"): ArrayObject(refs)})
    )
