"""One email through a real SMTP server (aiosmtpd on 127.0.0.1) with Django's SMTP backend,
parsed back from the bytes the server received."""

import email
import email.policy
import io
import socket

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from invoicing.models import OutboundEmail
from invoicing.services.outbox import send_invoice_email
from tests.factories import open_invoice

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port():
    # aiosmtpd's controller connects to its own port once started, so it cannot be given port 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def test_an_invoice_email_through_a_real_smtp_server(site_a, smtp_server, django_capture_on_commit_callbacks):
    invoice, link = open_invoice(site_a)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_row = send_invoice_email(invoice, "invoice", link=link)
    outbox_row.refresh_from_db()
    assert outbox_row.status == OutboundEmail.Status.SENT, outbox_row.last_error

    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == [invoice.billing_email]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == f"Invoice {invoice.number} from Acme"
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html = alternative.iter_parts()
    assert text.get_content_type() == "text/plain" and link.url in text.get_content()
    assert html.get_content_type() == "text/html"
    html_body = html.get_content()
    assert "<style" not in html_body and 'style="background: #123456;' in html_body
    assert f'href="{link.url}"' in html_body
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"invoice-{invoice.number}.pdf"
    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    assert invoice.number in pdf.pages[0].extract_text()
