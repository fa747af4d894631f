"""PDF/A-3b packaging: XMP identification, sRGB output intent, the XML as an associated
file, the empty signature fields, and a file identifier fixed by the record.

Runs once, on ReportLab's output, before any signature (architecture.md §5): pypdf
rewrites the whole file here; afterwards only pyHanko's incremental writer may touch it.
The XML is attached here rather than with pyHanko's `embed_file`, which would raise the
file to PDF 2.0 to carry /AFRelationship.

Everything written is a function of `PackageInfo` and the inputs: dates come from the
record (its issue date), the /ID from its id and version; so the same record gives the
same bytes. What this module does not do: validate against ISO 19005 (no veraPDF here);
tests check the parts this module is responsible for.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from app import __version__
from app.documents.fields import add_signature_fields
from app.documents.render_common import FieldPlacement
from app.paths import resource

__all__ = ["PackageInfo", "package_pdfa"]

PDF_HEADER = b"%PDF-1.7"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"
PRODUCER = f"Học bạ số {__version__} (ReportLab, pypdf)"
CREATOR_TOOL = "Học bạ số"


@dataclass(frozen=True)
class PackageInfo:
    title: str
    author: str  # the school
    subject: str
    keywords: str
    document_id: str  # UUID of the record or sheet (xmpMM:DocumentID)
    version: int
    created: date  # the record's issue date: creation and modification dates of the file
    attachment_name: str  # e.g. "hocba-<id>.xml"
    attachment_description: str


@lru_cache(maxsize=1)
def _icc_profile() -> bytes:
    return resource("icc", "sRGB-v4.icc").read_bytes()


def _pdf_date(day: date) -> str:
    # Midnight in Vietnam (UTC+7): a date, not an instant, fixed by the record.
    return f"D:{day:%Y%m%d}000000+07'00'"


def _xmp_date(day: date) -> str:
    return f"{day.isoformat()}T00:00:00+07:00"


def _xmp(info: PackageInfo) -> bytes:
    e = escape
    when = _xmp_date(info.created)
    text = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e(info.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{e(info.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{e(info.subject)}</rdf:li></rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>vi-VN</rdf:li></rdf:Bag></dc:language>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
   <xmp:MetadataDate>{when}</xmp:MetadataDate>
   <xmp:CreatorTool>{e(CREATOR_TOOL)}</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{e(PRODUCER)}</pdf:Producer>
   <pdf:Keywords>{e(info.keywords)}</pdf:Keywords>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
   <xmpMM:DocumentID>uuid:{info.document_id}</xmpMM:DocumentID>
   <xmpMM:InstanceID>uuid:{info.document_id}</xmpMM:InstanceID>
   <xmpMM:VersionID>{info.version}</xmpMM:VersionID>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return text.encode("utf-8")


def _stream(data: bytes, entries: dict[str, PdfObject], compress: bool) -> StreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream.update({NameObject(k): v for k, v in entries.items()})
    if compress:
        return stream.flate_encode()
    return stream


def _output_intent(writer: PdfWriter) -> None:
    profile = writer._add_object(_stream(_icc_profile(), {"/N": NumberObject(3)}, compress=True))
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject(OUTPUT_CONDITION),
            NameObject("/Info"): TextStringObject(OUTPUT_CONDITION),
            NameObject("/DestOutputProfile"): profile,
        }
    )
    writer.root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])


def _attach_xml(writer: PdfWriter, xml: bytes, info: PackageInfo) -> None:
    """The XML as an associated file of the document (PDF/A-3 §6.8: AFRelationship Data)."""
    when = TextStringObject(_pdf_date(info.created))
    params = DictionaryObject(
        {
            NameObject("/Size"): NumberObject(len(xml)),
            NameObject("/CreationDate"): when,
            NameObject("/ModDate"): when,
            NameObject("/CheckSum"): ByteStringObject(hashlib.md5(xml, usedforsecurity=False).digest()),
        }
    )
    embedded = writer._add_object(
        _stream(
            xml,
            {
                "/Type": NameObject("/EmbeddedFile"),
                "/Subtype": NameObject("/application#2Fxml"),
                "/Params": params,
            },
            compress=True,
        )
    )
    name = TextStringObject(info.attachment_name)
    filespec = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Filespec"),
                NameObject("/F"): name,
                NameObject("/UF"): name,
                NameObject("/Desc"): TextStringObject(info.attachment_description),
                NameObject("/AFRelationship"): NameObject("/Data"),
                NameObject("/EF"): DictionaryObject(
                    {NameObject("/F"): embedded, NameObject("/UF"): embedded}
                ),
            }
        )
    )
    names = DictionaryObject(
        {
            NameObject("/EmbeddedFiles"): DictionaryObject(
                {NameObject("/Names"): ArrayObject([name, filespec])}
            ),
        }
    )
    writer.root_object[NameObject("/Names")] = writer._add_object(names)
    writer.root_object[NameObject("/AF")] = ArrayObject([filespec])
    # Viewers open the attachments pane, so a reader sees at once that data is attached.
    writer.root_object[NameObject("/PageMode")] = NameObject("/UseAttachments")


def _metadata(writer: PdfWriter, info: PackageInfo) -> None:
    when = _pdf_date(info.created)
    # The Info dictionary must agree with the XMP packet entry for entry (PDF/A §6.6.2.3).
    writer.metadata = {
        "/Title": info.title,
        "/Author": info.author,
        "/Subject": info.subject,
        "/Keywords": info.keywords,
        "/Creator": CREATOR_TOOL,
        "/Producer": PRODUCER,
        "/CreationDate": when,
        "/ModDate": when,
    }
    # Left uncompressed, as XMP intends: archive tools find the packet by scanning the file.
    xmp = _stream(
        _xmp(info), {"/Type": NameObject("/Metadata"), "/Subtype": NameObject("/XML")}, compress=False
    )
    writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    writer.root_object[NameObject("/Lang")] = TextStringObject("vi-VN")


def package_pdfa(
    pdf: bytes, xml: bytes, info: PackageInfo, placements: Sequence[FieldPlacement], fields: Sequence[str]
) -> bytes:
    """ReportLab's `pdf` → the PDF/A-3b file with `xml` attached and empty signature fields."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pdf_header = PDF_HEADER
    _metadata(writer, info)
    _output_intent(writer)
    _attach_xml(writer, xml, info)
    add_signature_fields(writer, placements, fields)
    # /ID fixed by the document id and version: the same record gives the same bytes,
    # and a new version of the record is a different file.
    file_id = hashlib.md5(f"{info.document_id}/{info.version}".encode(), usedforsecurity=False).digest()
    writer._ID = ArrayObject([ByteStringObject(file_id), ByteStringObject(file_id)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
