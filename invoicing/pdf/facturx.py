"""Factur-X PDFs: ``embed_factur_x(canvas, xml, created_at)`` makes the PDF a PDF/A-3b file that
carries the invoice's CII XML as ``factur-x.xml``, in reportlab's canvas before it is saved.

The ``factur-x`` library does the same by reading the finished PDF back with pypdf and writing it
again, which costs more than drawing the whole invoice. Here the few objects PDF/A-3 and Factur-X
ask for are added to reportlab's document directly:

- the XML as an embedded file (``/Names /EmbeddedFiles``), named in the catalog's ``/AF`` array as
  the invoice's ``Alternative`` representation;
- XMP metadata that repeats the Info dictionary (PDF/A requires them to agree) and declares the
  PDF/A part and the Factur-X profile, with the extension schema PDF/A wants for the ``fx`` names;
- an sRGB output intent, which PDF/A requires of a file that paints in DeviceRGB.

Like the rest of the PDF, it is deterministic: every date comes from the document.
"""

import hashlib
import struct
import zlib
from datetime import UTC, datetime
from functools import lru_cache
from xml.sax.saxutils import escape

from django.utils.translation import pgettext
from reportlab.pdfbase import pdfdoc

from .words import pdf_date

FILENAME = "factur-x.xml"  # the name Factur-X requires
CONFORMANCE_LEVEL = "EN 16931"  # the profile of the XML that ``einvoice.cii`` writes
FX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
PDF_VERSION = (1, 7)  # PDF/A-3 is based on PDF 1.7
# PDF names cannot hold a "/" as it is: the MIME type text/xml, written the way PDF/A wants it.
XML_SUBTYPE = "/text#2Fxml"


def embed_factur_x(canvas, xml: bytes, created_at: datetime) -> None:
    """Call after everything is drawn and the metadata is set, before ``canvas.save()``."""
    doc = canvas._doc
    doc._pdfVersion = max(doc._pdfVersion, PDF_VERSION)
    doc.pdfa_stream_eol = True  # see _format_stream below
    filespec = doc.Reference(_filespec(xml, created_at), "FacturXFilespec")
    catalog = doc.Catalog
    # reportlab writes only the catalog keys these lists name; an instance attribute adds PDF/A's two.
    catalog.__NoDefault__ = [*pdfdoc.PDFCatalog.__NoDefault__, "AF", "OutputIntents"]
    catalog.__Refs__ = catalog.__NoDefault__
    catalog.Names = pdfdoc.PDFDictionary(
        {"EmbeddedFiles": pdfdoc.PDFDictionary({"Names": pdfdoc.PDFArray([pdfdoc.PDFString(FILENAME), filespec])})}
    )
    catalog.AF = pdfdoc.PDFArray([filespec])
    catalog.OutputIntents = pdfdoc.PDFArray([_output_intent()])
    # The XMP is written when the file is, from the Info dictionary's final values.
    catalog.Metadata = pdfdoc.XMP(creator=lambda document: xmp_metadata(document.info, created_at))


def _filespec(xml: bytes, created_at: datetime) -> pdfdoc.PDFDictionary:
    params = pdfdoc.PDFDictionary(
        {
            "ModDate": pdfdoc.PDFString(pdf_date(created_at)),
            "Size": len(xml),
            "CheckSum": pdfdoc.PDFText(hashlib.md5(xml, usedforsecurity=False).digest()),
        }
    )
    embedded = _compressed_stream(xml, Type="/EmbeddedFile", Subtype=XML_SUBTYPE, Params=params)
    name = pdfdoc.PDFString(FILENAME)
    return pdfdoc.PDFDictionary(
        {
            "Type": "/Filespec",
            "F": name,
            "UF": name,
            "Desc": pdfdoc.PDFString(pgettext("pdf", "The invoice as Factur-X data (EN 16931)")),
            "AFRelationship": "/Alternative",
            "EF": pdfdoc.PDFDictionary({"F": embedded, "UF": embedded}),
        }
    )


def _output_intent() -> pdfdoc.PDFDictionary:
    flate = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])  # so that reportlab does not compress it again
    profile = pdfdoc.PDFStream(pdfdoc.PDFDictionary({"N": 3, "Filter": flate}), content=_srgb_profile())
    return pdfdoc.PDFDictionary(
        {
            "Type": "/OutputIntent",
            "S": "/GTS_PDFA1",
            "OutputConditionIdentifier": pdfdoc.PDFString("sRGB IEC61966-2.1"),
            "Info": pdfdoc.PDFString("sRGB IEC61966-2.1"),
            "RegistryName": pdfdoc.PDFString("http://www.color.org"),
            "DestOutputProfile": profile,
        }
    )


@lru_cache(maxsize=1)
def _srgb_profile() -> bytes:
    """Little CMS's sRGB profile, compressed. It stamps the time it was made into its header
    (bytes 24-35); a fixed date there keeps the same invoice the same bytes in every process."""
    from PIL import ImageCms  # only Factur-X files need it, once per process

    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[24:36] = struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
    return zlib.compress(bytes(profile))


def _compressed_stream(content: bytes, **entries) -> pdfdoc.PDFStream:
    return pdfdoc.PDFStream(pdfdoc.PDFDictionary(entries), content=content, filters=[pdfdoc.PDFZCompress])


def xmp_date(moment: datetime) -> str:
    """``words.pdf_date``'s moment in XMP's notation, so that the two agree as PDF/A requires."""
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def xmp_metadata(info, created_at: datetime) -> bytes:
    """The XMP packet for reportlab's Info dictionary ``info``."""
    values = {
        "title": info.title,
        "author": info.author,
        "subject": info.subject,
        "keywords": info.keywords,
        "creator": info.creator,
        "producer": info.producer,
        "date": xmp_date(created_at),
    }
    return _XMP.format(**{key: escape(str(value)) for key, value in values.items()}).encode()


def _property(name: str, description: str) -> str:
    return (
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>"
    )


# Everything but the document's own values, built once. The extension schema describes the fx
# properties, as PDF/A requires for any namespace it does not predefine.
_XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">'
    "<pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>\n"
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:format>application/pdf</dc:format>"
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
    "<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>"
    '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt></dc:description>'
    "</rdf:Description>\n"
    '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
    "<pdf:Producer>{producer}</pdf:Producer><pdf:Keywords>{keywords}</pdf:Keywords></rdf:Description>\n"
    '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
    "<xmp:CreatorTool>{creator}</xmp:CreatorTool>"
    "<xmp:CreateDate>{date}</xmp:CreateDate><xmp:ModifyDate>{date}</xmp:ModifyDate></rdf:Description>\n"
    '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
    ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
    "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
    f"<pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI><pdfaSchema:prefix>fx</pdfaSchema:prefix>"
    "<pdfaSchema:property><rdf:Seq>"
    + _property("DocumentFileName", "The name of the embedded XML document")
    + _property("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER")
    + _property("Version", "The actual version of the standard applying to the embedded XML document")
    + _property("ConformanceLevel", "The conformance level of the embedded XML document")
    + "</rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>\n"
    f'<rdf:Description rdf:about="" xmlns:fx="{FX_NAMESPACE}">'
    # INVOICE for credit notes too: Factur-X has no other document type for them.
    f"<fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>{FILENAME}</fx:DocumentFileName>"
    f"<fx:Version>1.0</fx:Version><fx:ConformanceLevel>{CONFORMANCE_LEVEL}</fx:ConformanceLevel>"
    "</rdf:Description>\n"
    "</rdf:RDF></x:xmpmeta>\n"
    '<?xpacket end="w"?>'
)


# reportlab writes "endstream" straight after a stream's data; PDF/A (ISO 19005-2 and -3, 6.1.7.1)
# wants an end-of-line marker between them, not counted in /Length. Only files made PDF/A get it, so
# that plain PDFs keep their bytes.
_reportlab_format_stream = pdfdoc.PDFStream.format
_ENDSTREAM = b"endstream\n"


def _format_stream(stream, document) -> bytes:
    formatted = _reportlab_format_stream(stream, document)
    if getattr(document, "pdfa_stream_eol", False) and not formatted.endswith(b"\n" + _ENDSTREAM):
        return formatted[: -len(_ENDSTREAM)] + b"\n" + _ENDSTREAM
    return formatted


pdfdoc.PDFStream.format = _format_stream
