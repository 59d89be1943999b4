"""Each demo site's invoice PDF, rendered to a PNG that a person can look at (tests/e2e/artifacts/)."""

import re
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from PIL import Image

from invoicing.models import InvoiceEmailTemplatePage
from tests.pdf_helpers import pdf_text, render_png

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.django_db


def hex_to_rgb(colour):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_each_demo_sites_invoice_pdf_is_branded(client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    links = re.findall(r"pay link: (\S+)", out.getvalue())
    assert len(links) == 2
    ARTIFACTS.mkdir(exist_ok=True)
    for link in links:
        parts = urlsplit(link)
        response = client.get(parts.path + "pdf/", HTTP_HOST=parts.netloc)
        assert response.status_code == 200
        number = re.search(r"/pay/invoice/INV-(.+)-[A-Za-z0-9_\-]{43}/$", link).group(1)
        assert number in pdf_text(response.content)

        site_name = parts.hostname.split(".")[0]
        png = ARTIFACTS / f"{site_name}-invoice-page-1.png"
        png.write_bytes(render_png(response.content, dpi=80))

        # The site's own brand colour is really on the page.
        brand = hex_to_rgb(InvoiceEmailTemplatePage.objects.get(url_path__startswith=f"/{site_name}/").brand_color)
        image = Image.open(png).convert("RGB")
        near = sum(
            count
            for count, rgb in image.getcolors(maxcolors=1 << 20)
            if all(abs(a - b) <= 8 for a, b in zip(rgb, brand, strict=True))
        )
        assert near > 500, f"{site_name}: brand colour {brand} barely appears"
