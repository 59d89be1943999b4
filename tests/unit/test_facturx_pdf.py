"""Factur-X PDFs read back: the CII XML attached the way PDF/A-3 and Factur-X want it, found by pypdf
and by the reference library (``factur-x``), the XMP metadata, the sRGB output intent, and the file
still sound (qpdf), readable and reproducible.

Pure renderer tests: documents built by hand (tests/pdf_helpers.py), the XML one of the official
EN 16931 examples. They need Debian's qpdf: `make system-packages`.
"""

import hashlib
import io
import subprocess
from datetime import UTC, datetime
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from PIL import ImageCms
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from invoicing.pdf.credit_note import CreditNoteDocument, render_credit_note_pdf
from invoicing.pdf.document import Party
from invoicing.pdf.facturx import FX_NAMESPACE
from invoicing.pdf.render import render_pdf
from tests.einvoice.validation import rules_directory
from tests.pdf_helpers import flat, make_document, page_texts, sha256_in_another_process, tool

EXAMPLE = rules_directory() / "examples" / "CII_example1.xml"
NAMESPACES = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
    "fx": FX_NAMESPACE,
}


@pytest.fixture(scope="module")
def xml() -> bytes:
    return EXAMPLE.read_bytes()


def factur_x_invoice(xml: bytes, **changes):
    return make_document(factur_x=xml, **changes)


def factur_x_credit_note(xml: bytes) -> CreditNoteDocument:
    invoice = make_document()
    fields = {name: getattr(invoice, name) for name in invoice.__dataclass_fields__}
    credit_xml = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>381</ram:TypeCode>", 1)
    return CreditNoteDocument(
        **(fields | {"number": "ACME-CN-2026-00007", "factur_x": credit_xml}),
        invoice_number="ACME-2026-00042",
        reason="Week 3 was not worked",
    )


def catalog(pdf: bytes):
    return PdfReader(io.BytesIO(pdf)).trailer["/Root"]


def xmp(pdf: bytes) -> etree._Element:
    stream = catalog(pdf)["/Metadata"].get_object()
    assert "/Filter" not in stream  # left readable: some PDF/A checkers want the metadata unfiltered
    return etree.fromstring(stream.get_data())


def xmp_text(tree, path: str) -> str:
    (element,) = tree.xpath(f"//{path}", namespaces=NAMESPACES)
    return element.text or ""


def test_the_xml_is_embedded_as_factur_x_xml_and_named_in_the_catalogs_af(xml):
    pdf = render_pdf(factur_x_invoice(xml))
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {"factur-x.xml": [xml]}
    root = reader.trailer["/Root"]
    name, reference = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert name == "factur-x.xml"
    (af_reference,) = root["/AF"]
    assert isinstance(reference, IndirectObject) and af_reference.idnum == reference.idnum  # one Filespec
    filespec = reference.get_object()
    assert filespec["/Type"] == "/Filespec"
    assert filespec["/F"] == filespec["/UF"] == "factur-x.xml"
    assert filespec["/AFRelationship"] == "/Alternative"
    assert filespec["/Desc"]
    stream = filespec["/EF"]["/F"].get_object()
    assert stream["/Type"] == "/EmbeddedFile"
    assert stream["/Subtype"] == "/text/xml"  # written /text#2Fxml
    assert b"/Subtype /text#2Fxml" in pdf
    assert stream.get_data() == xml
    params = stream["/Params"]
    assert params["/Size"] == len(xml)
    assert params["/ModDate"] == "D:20260303093000+00'00'"  # the document's creation time
    assert params["/CheckSum"].original_bytes == hashlib.md5(xml, usedforsecurity=False).digest()


def test_the_reference_library_finds_the_same_xml(xml):
    pdf = render_pdf(factur_x_invoice(xml))
    assert facturx.get_xml_from_pdf(pdf, check_xsd=False) == ("factur-x.xml", xml)
    assert facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True) == ("factur-x.xml", xml)


def test_the_xmp_declares_pdf_a_3b_and_the_factur_x_profile_and_repeats_the_info_dictionary(xml):
    pdf = render_pdf(factur_x_invoice(xml, seller=Party("Smith & Sons <UK> Ltd")))
    assert pdf.startswith(b"%PDF-1.7\n")
    tree = xmp(pdf)
    assert xmp_text(tree, "pdfaid:part") == "3"
    assert xmp_text(tree, "pdfaid:conformance") == "B"
    assert xmp_text(tree, "fx:DocumentType") == "INVOICE"
    assert xmp_text(tree, "fx:DocumentFileName") == "factur-x.xml"
    assert xmp_text(tree, "fx:Version") == "1.0"
    assert xmp_text(tree, "fx:ConformanceLevel") == "EN 16931"
    # PDF/A accepts the fx properties only with a schema that describes them.
    (schema,) = tree.xpath("//pdfaExtension:schemas/rdf:Bag/rdf:li", namespaces=NAMESPACES)
    assert xmp_text(schema, "pdfaSchema:namespaceURI") == FX_NAMESPACE
    assert xmp_text(schema, "pdfaSchema:prefix") == "fx"
    described = schema.xpath(".//pdfaProperty:name/text()", namespaces=NAMESPACES)
    assert sorted(described) == ["ConformanceLevel", "DocumentFileName", "DocumentType", "Version"]

    info = PdfReader(io.BytesIO(pdf)).metadata
    assert xmp_text(tree, "dc:title/rdf:Alt/rdf:li") == info.title == "Invoice ACME-2026-00042"
    assert xmp_text(tree, "dc:creator/rdf:Seq/rdf:li") == info.author == "Smith & Sons <UK> Ltd"
    assert xmp_text(tree, "dc:description/rdf:Alt/rdf:li") == info.subject
    assert xmp_text(tree, "pdf:Producer") == info.producer
    assert xmp_text(tree, "pdf:Keywords") == info["/Keywords"]
    assert xmp_text(tree, "xmp:CreatorTool") == info.creator
    created = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    assert info.creation_date == info.modification_date == created
    assert datetime.fromisoformat(xmp_text(tree, "xmp:CreateDate")) == created
    assert datetime.fromisoformat(xmp_text(tree, "xmp:ModifyDate")) == created


def test_an_srgb_output_intent_covers_the_rgb_colours(xml):
    (intent,) = catalog(render_pdf(factur_x_invoice(xml)))["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/Type"] == "/OutputIntent"
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/OutputConditionIdentifier"] == "sRGB IEC61966-2.1"
    stream = intent["/DestOutputProfile"].get_object()
    assert stream["/N"] == 3
    assert stream["/Filter"] == ["/FlateDecode"]
    data = stream.get_data()
    assert data[12:20] == b"mntrRGB "  # a display profile in RGB
    profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
    assert "sRGB" in ImageCms.getProfileDescription(profile)


@pytest.mark.parametrize("kind", ["invoice", "credit note"])
def test_qpdf_finds_nothing_wrong_and_every_stream_ends_on_its_own_line(kind, xml, tmp_path):
    document = factur_x_invoice(xml) if kind == "invoice" else factur_x_credit_note(xml)
    pdf = (render_pdf if kind == "invoice" else render_credit_note_pdf)(document)
    path = tmp_path / "factur-x.pdf"
    path.write_bytes(pdf)
    result = subprocess.run([tool("qpdf"), "--check", path], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout
    # PDF/A wants an end-of-line marker before each "endstream" (ISO 19005-3, 6.1.7.1).
    assert pdf.count(b"endstream") == pdf.count(b"\nendstream") > 5


def test_the_text_is_still_there(xml):
    document = factur_x_invoice(xml)
    text = flat("\n".join(page_texts(render_pdf(document))))
    assert "ACME-2026-00042" in text
    assert "Amount due 4.764,13 €" in text


def test_a_credit_note_carries_its_own_xml_as_an_invoice_type_document(xml):
    document = factur_x_credit_note(xml)
    pdf = render_credit_note_pdf(document)
    assert PdfReader(io.BytesIO(pdf)).attachments == {"factur-x.xml": [document.factur_x]}
    assert b"<ram:TypeCode>381</ram:TypeCode>" in document.factur_x
    tree = xmp(pdf)
    assert xmp_text(tree, "fx:DocumentType") == "INVOICE"  # Factur-X has no other type for credit notes
    assert xmp_text(tree, "dc:title/rdf:Alt/rdf:li") == "Credit note ACME-CN-2026-00007"


def test_the_same_document_gives_the_same_bytes_in_this_process_and_another(xml):
    """Another process (another hash seed, a new sRGB profile from Little CMS) writes the same file."""
    pdf = render_pdf(factur_x_invoice(xml))
    assert render_pdf(factur_x_invoice(xml)) == pdf
    code = (
        "from tests.pdf_helpers import make_document\n"
        "from invoicing.pdf.render import render_pdf\n"
        f"pdf = render_pdf(make_document(factur_x=open({str(EXAMPLE)!r}, 'rb').read()))"
    )
    assert sha256_in_another_process(code, 777) == hashlib.sha256(pdf).hexdigest()
    assert render_pdf(factur_x_invoice(xml, amount_paid=Decimal("1.00"))) != pdf


def test_without_xml_the_pdf_stays_plain(xml):
    pdf = render_pdf(make_document())
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    root = reader.trailer["/Root"]
    assert not {"/AF", "/Metadata", "/OutputIntents", "/Names"} & set(root)
    assert pdf.startswith(b"%PDF-1.3\n")
    # reportlab's own streams, byte for byte as before: the end-of-line marker is for PDF/A files only.
    assert pdf.count(b"\nendstream") < pdf.count(b"endstream")
