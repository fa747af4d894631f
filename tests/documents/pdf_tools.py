"""Looking into rendered PDFs with real tools: pypdf, and poppler's pdftotext / pdffonts."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils (pdftotext, pdffonts, pdftoppm) is missing"
)


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def catalog(pdf: bytes) -> DictionaryObject:
    return reader(pdf).trailer["/Root"].get_object()


def page_texts(pdf: bytes, tmp: Path) -> list[str]:
    """The text layer of each page, as poppler extracts it (what search and copy see)."""
    path = tmp / "doc.pdf"
    path.write_bytes(pdf)
    pages = len(reader(pdf).pages)
    out = []
    for n in range(1, pages + 1):
        done = subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
            check=True,
            capture_output=True,
        )
        out.append(done.stdout.decode("utf-8"))
    return out


def font_rows(pdf: bytes, tmp: Path) -> list[list[str]]:
    """pdffonts rows split in columns: name, type…, emb, sub, uni, object, generation."""
    path = tmp / "fonts.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True).stdout.decode()
    return [line.split() for line in text.splitlines()[2:] if line.strip()]


def to_png(pdf: bytes, folder: Path, stem: str) -> list[Path]:
    """Pages as PNG (80 dpi) in `folder`, for people to look at."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(path), str(folder / stem)], check=True)
    return sorted(folder.glob(f"{stem}-*.png"))
