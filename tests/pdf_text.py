"""Read PDFs back, as a person or an accountant's software would."""

import io

from pypdf import PdfReader


def pdf_pages_text(content: bytes) -> list[str]:
    assert content.startswith(b"%PDF-"), content[:20]
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def pdf_text(content: bytes) -> str:
    return "\n".join(pdf_pages_text(content))
