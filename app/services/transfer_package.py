"""The transfer package (.hbt): one ZIP file that carries a student's signed records to another school.

Layout (docs/transfer-package.md describes it for other implementers):

    manifest.json        the manifest: UTF-8 JSON, keys sorted, exactly the bytes signed
    manifest.p7s         detached CMS (CAdES) signature of the school's seal over manifest.json
    records/<sha256>.pdf every issued year record, bytes exactly as stored
    sheets/<sha256>.pdf  the class subject sheets the records reference
    certs/<sha256>.der   every certificate the signatures carry (signers and their chains)
    revocation/<sha256>.crl|.ocsp  revocation data found in the documents (DSS), if any

Reading is defensive: a package comes from outside, so member names, counts and sizes are
bounded and a damaged file gives a message, never an exception the user cannot read.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from pypdf import PdfReader

from app.documents.xml_record import NAMESPACE
from app.errors import UserFacingError
from app.signing.atomic import write_atomic

FORMAT = "hocba-transfer"
FORMAT_VERSION = 1
SUFFIX = ".hbt"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.p7s"
MAX_MEMBERS = 5000
MAX_TOTAL_BYTES = 1 << 30  # 1 GiB uncompressed: far above a student's twelve years
_FOLDERS = ("records/", "sheets/", "certs/", "revocation/")


class PackageError(UserFacingError):
    """The file is not a readable transfer package."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> bytes:
    """The manifest's bytes: sorted keys, no spaces, UTF-8 (what the seal signs)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def member_name(folder: str, sha256: str, suffix: str) -> str:
    return f"{folder}/{sha256}{suffix}"


# --- writing ------------------------------------------------------------------------


def write_package(path: Path, manifest: bytes, signature: bytes, files: dict[str, bytes]) -> str:
    """Write the package atomically (temp, fsync, rename); return its SHA-256."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        # Fixed timestamps: the same contents give the same package bytes.
        _add(zf, MANIFEST, manifest, zipfile.ZIP_DEFLATED)
        _add(zf, SIGNATURE, signature, zipfile.ZIP_STORED)
        for name in sorted(files):
            # PDFs are compressed already; certificates are tiny.
            _add(zf, name, files[name], zipfile.ZIP_STORED)
    data = buffer.getvalue()
    write_atomic(path, data)
    return sha256_hex(data)


def _add(zf: zipfile.ZipFile, name: str, data: bytes, method: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = method
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


# --- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageContents:
    sha256: str
    manifest: bytes
    signature: bytes
    files: dict[str, bytes] = field(repr=False)
    unexpected: tuple[str, ...] = ()  # members outside the known folders (ignored)


def read_package(path: Path) -> PackageContents:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackageError(
            f"Không đọc được tệp {path.name} ({exc.strerror or exc}). Hãy chọn lại tệp."
        ) from None
    return read_package_bytes(data, path.name)


def read_package_bytes(data: bytes, name: str = "gói chuyển trường") -> PackageContents:
    not_package = PackageError(
        f"Tệp {name} không phải gói hồ sơ chuyển trường (.hbt) hoặc đã bị hỏng. "
        "Hãy xin trường cũ gửi lại tệp."
    )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise not_package from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise PackageError(f"Tệp {name} quá lớn để là một gói chuyển trường. Hãy kiểm tra lại tệp.")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names) or MANIFEST not in names or SIGNATURE not in names:
            raise not_package
        files: dict[str, bytes] = {}
        unexpected: list[str] = []
        try:
            manifest = zf.read(MANIFEST)
            signature = zf.read(SIGNATURE)
            for info in infos:
                if info.filename in (MANIFEST, SIGNATURE) or info.is_dir():
                    continue
                if not _safe_member(info.filename):
                    unexpected.append(info.filename)
                    continue
                files[info.filename] = zf.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise not_package from None
    return PackageContents(sha256_hex(data), manifest, signature, files, tuple(unexpected))


def _safe_member(name: str) -> bool:
    if not name.startswith(_FOLDERS) or ".." in name or "\\" in name:
        return False
    return name.count("/") == 1


def parse_manifest(manifest: bytes) -> dict[str, Any]:
    bad = PackageError("Danh mục của gói (manifest.json) không đọc được. Gói đã bị hỏng hoặc bị sửa.")
    try:
        value = json.loads(manifest.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad from None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise bad
    if value.get("format_version") != FORMAT_VERSION:
        raise PackageError(
            f"Gói được tạo theo định dạng phiên bản {value.get('format_version')}, phần mềm này "
            f"đọc phiên bản {FORMAT_VERSION}. Hãy cập nhật Học bạ số."
        )
    for key in ("school", "student", "records", "sheets", "certificates", "history"):
        if key not in value:
            raise bad
    return value


# --- the XML inside a record or sheet -------------------------------------------------


@dataclass(frozen=True)
class SheetReference:
    sheet_id: str
    subject_code: str
    term: str
    sha256: str | None


@dataclass(frozen=True)
class EmbeddedXml:
    """What a receiving school reads from the data attached to a signed PDF."""

    root: str  # "hocba" (a record) or "bangdiemmon" (a sheet)
    document_id: str
    version: int
    school_code: str
    school_name: str
    year_name: str
    class_name: str
    is_demo: bool
    student_code: str | None = None  # records
    national_id: str | None = None
    full_name: str | None = None
    date_of_birth: str | None = None
    sheets: tuple[SheetReference, ...] = ()
    subject_code: str | None = None  # sheets
    term: str | None = None
    student_codes: tuple[str, ...] = ()  # sheets: the class list


def embedded_xml(pdf: bytes) -> EmbeddedXml | None:
    """The record's (or sheet's) XML attached to `pdf`, or None if there is none or it is unreadable."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        attachments = reader.attachments
        blobs = [b for name, values in attachments.items() if name.endswith(".xml") for b in values]
        if len(blobs) != 1:
            return None
        root = etree.fromstring(blobs[0], etree.XMLParser(resolve_entities=False, no_network=True))
        return _parse(root)
    except Exception:  # a damaged PDF or XML reads as "no data"; the caller says so
        return None


def _parse(root: etree._Element) -> EmbeddedXml | None:
    ns = {"h": NAMESPACE}

    def text(path: str, under: etree._Element = root) -> str | None:
        found = under.find(path, ns)
        return found.text if found is not None and found.text is not None else None

    kind = etree.QName(root).localname
    common: dict[str, Any] = dict(
        root=kind,
        document_id=text("h:hoso/h:mahoso") or "",
        version=int(text("h:hoso/h:phienban") or "0"),
        school_code=text("h:truong/h:matruong") or "",
        school_name=text("h:truong/h:tentruong") or "",
        year_name=text("h:namhoc") or "",
        class_name=text("h:lop") or "",
        is_demo=text("h:hoso/h:dulieumau") == "true",
    )
    if kind == "hocba":
        refs = tuple(
            SheetReference(
                text("h:mabangdiem", el) or "",
                text("h:mamon", el) or "",
                text("h:ky", el) or "",
                text("h:sha256", el),
            )
            for el in root.findall("h:bangdiemmon/h:thamchieu", ns)
        )
        return EmbeddedXml(
            **common,
            student_code=text("h:hocsinh/h:mahocsinh"),
            national_id=text("h:hocsinh/h:sodinhdanhcanhan"),
            full_name=text("h:hocsinh/h:hoten"),
            date_of_birth=text("h:hocsinh/h:ngaysinh"),
            sheets=refs,
        )
    if kind == "bangdiemmon":
        codes = tuple(el.text or "" for el in root.findall("h:hocsinh/h:mahocsinh", ns))
        return EmbeddedXml(**common, subject_code=text("h:mamon"), term=text("h:ky"), student_codes=codes)
    return None
