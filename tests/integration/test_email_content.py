"""Each email kind, for both demo websites: subject, escaped values, the link, the branding, the
PDF attachment and the text alternative. Also the template page: placeholder validation,
template-injection attempts, sanitised rich text, and the system's own pay button."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader
from wagtail.models import Site

from invoicing.mail.kinds import EmailKind
from invoicing.models import Invoice, InvoiceEmailTemplatePage
from invoicing.services.outbox import send_invoice_email
from invoicing.services.payments import record_manual_payment
from tests.factories import ClientFactory, line, open_invoice
from tests.page_forms import page_form_data

pytestmark = pytest.mark.django_db

TRICKY_NAME = "O'Brien <b>Tools</b> & Co"
LINK = re.compile(r"https?://[^\s\"<]+/pay/invoice/(INV-[^/\s\"<]+)/")


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    return {site.hostname: site for site in Site.objects.all()}


@pytest.fixture
def send(django_capture_on_commit_callbacks, anymail_outbox):
    """Queue an email and run the after-commit task that sends it; the sent message."""

    def send(invoice, kind, **kwargs):
        before = len(anymail_outbox)
        with django_capture_on_commit_callbacks(execute=True):
            email = send_invoice_email(invoice, kind, **kwargs)
        email.refresh_from_db()
        assert email.status == "sent", email.last_error
        assert len(anymail_outbox) == before + 1
        return anymail_outbox[-1]

    return send


def html_of(message):
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 1
    return "\n".join(page.extract_text() for page in reader.pages)


EXPECTED = {
    # hostname: (subject start per kind, brand colour, sender name, button per kind)
    "acme.localhost": (
        {
            "invoice": "Your Acme invoice ",
            "reminder": "Friendly reminder: Acme invoice ",
            "receipt": "Payment received",
            "charge_failed": "We could not charge your card for invoice ",
        },
        "#1d4ed8",
        "Acme Corp Billing",
        {"invoice": "Pay invoice", "reminder": "Settle now", "charge_failed": "Pay now"},
    ),
    "globex.localhost": (
        {
            "invoice": "Globex invoice ",
            "reminder": "Past due? Globex invoice ",
            "receipt": "Globex receipt: ",
            "charge_failed": "We could not charge your card for invoice ",
        },
        "#047857",
        "Globex Accounts Receivable",
        {"invoice": "Review and pay", "reminder": "Pay the balance", "charge_failed": "Pay now"},
    ),
}
# Why a saved card was not charged, for the failed-charge email (escaped like every value).
FAILURE_REASON = "Your card was declined <insufficient funds>."


@pytest.mark.parametrize("hostname", sorted(EXPECTED))
@pytest.mark.parametrize("kind", EmailKind.values)
def test_each_kind_for_each_demo_site(demo, send, client, hostname, kind):
    site = demo[hostname]
    subjects, colour, sender, buttons = EXPECTED[hostname]
    customer = ClientFactory(site=site, name=TRICKY_NAME, email="tricky@example.com")
    invoice, _ = open_invoice(site, client=customer, title="Care & <feeding>", lines=[line("Work", "1", "300")])
    if kind == "receipt":
        record_manual_payment(invoice, reason="Bank transfer", by=None, amount="300")
        invoice.refresh_from_db()

    extra = {"failure_reason": FAILURE_REASON} if kind == EmailKind.CHARGE_FAILED else {}
    message = send(invoice, kind, **extra)
    html = html_of(message)
    if kind == EmailKind.CHARGE_FAILED:
        assert "Your card was declined &lt;insufficient funds&gt;." in html and FAILURE_REASON in message.body

    assert message.subject.startswith(subjects[kind]) and invoice.number in message.subject
    assert message.to == ["tricky@example.com"]
    assert message.from_email.startswith(f'"{sender}"') or message.from_email.startswith(sender)
    assert message.reply_to == [Site.objects.get(pk=site.pk).billingsettings.reply_to]
    # Escaped in HTML, raw in the text alternative; never markup.
    # (The inliner writes the apostrophe back as a character: harmless in text.)
    assert "O'Brien &lt;b&gt;Tools&lt;/b&gt; &amp; Co" in html and "<b>Tools</b>" not in html
    assert TRICKY_NAME in message.body
    # Branding: the colour is inlined (no <style> left), the logo and the footer are there.
    assert "<style" not in html and f"background: {colour}" in html
    assert re.search(r'<img src="http://[^"]+\.png"', html)
    assert "EIN 12-3456789" in html if hostname == "globex.localhost" else "VAT DE136695976" in html
    # The attachment is a real PDF of this invoice.
    ((filename, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf" and filename.endswith(".pdf") and invoice.number in filename
    assert content.startswith(b"%PDF")
    assert invoice.number in pdf_text(content)
    assert message.anymail_test_params["metadata"] == {
        "invoice_id": str(invoice.pk),
        "site": hostname,
        "kind": kind,
        "outbox_id": str(invoice.emails.get(kind=kind, trigger="requested").pk),
    }
    assert message.anymail_test_params["tags"] == [f"invoice-{kind}"]

    if kind == "receipt":
        assert "receipt" in filename
        assert not LINK.search(html) and not LINK.search(message.body)
        return
    # The system's button carries a fresh, working link; the text alternative has it too.
    button = re.search(r'<a class="button" href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert button.group(2) == buttons[kind]
    assert button.group(1) in message.body
    parts = urlsplit(button.group(1))
    assert parts.netloc == f"{hostname}:8000"
    response = client.get(parts.path, HTTP_HOST=parts.netloc)
    assert response.status_code == 200 and invoice.number in response.content.decode()


def test_the_pay_button_is_added_even_when_the_body_has_no_link(site_a, send):
    page = InvoiceEmailTemplatePage.objects.get()
    page.invoice_body = "<p>Nothing to click here.</p>"
    page.save_revision().publish()
    invoice, link = open_invoice(site_a)
    html = html_of(send(invoice, "invoice", link=link))
    assert f'href="{link.url}"' in html and "View and pay" in html


def test_only_the_published_revision_is_used(site_a, send):
    page = InvoiceEmailTemplatePage.objects.get()
    page.invoice_subject = "Published {invoice_number}"
    page.save_revision().publish()
    page.invoice_subject = "Draft wording {invoice_number}"
    page.save_revision()  # a draft, perhaps waiting in a moderation workflow
    invoice, link = open_invoice(site_a)
    assert send(invoice, "invoice", link=link).subject == f"Published {invoice.number}"


def test_stored_javascript_links_never_reach_an_email(site_a, send):
    # The editor would not produce it; the database may hold it anyway (an import, an old revision).
    InvoiceEmailTemplatePage.objects.update(
        invoice_body='<p>Hi <a href="javascript:alert(document.cookie)">there</a><script>x()</script></p>'
    )
    invoice, link = open_invoice(site_a)
    html = html_of(send(invoice, "invoice", link=link))
    assert "javascript:" not in html and "<script" not in html and "Hi there" in html


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("invoice_subject", "Invoice for {client_nme}", "{client_nme}"),
        ("reminder_body", "<p>{{ settings.SECRET_KEY }}</p>", "{ settings.SECRET_KEY }"),
        ("invoice_body", "<p>{% load static %}</p>", "{% load static %}"),
        ("reminder_preheader", "{x.__class__}", "{x.__class__}"),
        ("receipt_body", "<p>Pay again at {pay_link}</p>", "{pay_link}"),
        ("reminder_button_label", "Pay {amount_du}", "{amount_du}"),
        # Only a failed card charge has a reason to give.
        ("invoice_body", "<p>Declined: {failure_reason}</p>", "{failure_reason}"),
        ("reminder_subject", "{failure_reason}", "{failure_reason}"),
    ],
)
def test_saving_an_unknown_placeholder_fails_naming_it(site_a, field, value, named):
    assert named in refusal_on_save(field, value)


def test_the_failed_charge_email_may_give_the_reason(site_a):
    page = InvoiceEmailTemplatePage.objects.get()
    page.charge_failed_subject = "Declined: {failure_reason}"
    page.full_clean()


def refusal_on_save(field, value):
    """The validation message that saving the template page with ``field`` set to ``value`` gets."""
    page = InvoiceEmailTemplatePage.objects.get()
    setattr(page, field, value)
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    return error.value.message_dict[field][0]


def test_the_editor_is_told_about_an_unknown_placeholder(site_a, admin_user, admin_client):
    """Through the Wagtail editor: the page is not saved, and the message names the placeholder."""
    page = InvoiceEmailTemplatePage.objects.get()
    response = admin_client.post(
        f"/admin/pages/{page.pk}/edit/", page_form_data(page, admin_user, invoice_subject="Hello {client_nme}")
    )
    assert response.status_code == 200
    assert "Unknown placeholder: {client_nme}" in response.content.decode()
    page.refresh_from_db()
    assert page.invoice_subject != "Hello {client_nme}"


def test_an_injection_attempt_in_invoice_data_is_just_text(site_a, send):
    invoice, link = open_invoice(
        site_a, client=ClientFactory(site=site_a, name="{{ settings.SECRET_KEY }} {pay_link}"), title="{% debug %}"
    )
    message = send(invoice, "invoice", link=link)
    html = html_of(message)
    assert "test-only-key" not in html and "test-only-key" not in message.body
    assert "{{ settings.SECRET_KEY }} {pay_link}" in message.body  # values are not expanded again
    assert Invoice.objects.get(pk=invoice.pk).email_sent


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("invoice_body", "<p>&#123;% now 'Y' %&#125;</p>", "{% now 'Y' %}"),
        ("reminder_body", "<p>&#x7b;&#x7b; settings.SECRET_KEY &#x7d;&#x7d;</p>", "{ settings.SECRET_KEY }"),
        ("receipt_body", "<p>&lbrace;% debug %&rbrace;</p>", "{% debug %}"),
    ],
)
def test_template_syntax_written_as_entities_is_refused_on_save(site_a, field, value, named):
    # Sanitising decodes the entities, so the email would carry real template syntax.
    message = refusal_on_save(field, value)
    assert named in message and "HTML entities" in message


STORED_TEMPLATE_SYNTAX = (
    "<p>Year &#123;% now 'Y' %&#125; {% now 'Y' %} key {{ settings.SECRET_KEY }} "
    "{% if True %}shown{% endif %} {client_name}</p>"
)


def test_template_syntax_stored_anyway_is_sent_literally(site_a, send):
    """Past validation (an import, a data migration, the ORM): the sent email still shows it as text."""
    InvoiceEmailTemplatePage.objects.update(
        invoice_subject="{% now 'Y' %} {invoice_number}", invoice_body=STORED_TEMPLATE_SYNTAX
    )
    invoice, link = open_invoice(site_a, client=ClientFactory(site=site_a, name="Ada"))
    message = send(invoice, "invoice", link=link)
    year = str(timezone.now().year)
    assert message.subject == f"{{% now 'Y' %}} {invoice.number}"
    for body in (message.body, html_of(message).replace("&#x27;", "'").replace("&#39;", "'")):
        assert "Year {% now 'Y' %} {% now 'Y' %} key {{ settings.SECRET_KEY }}" in body
        assert "{% if True %}shown{% endif %} Ada" in body
        assert f"Year {year}" not in body and "test-only-key" not in body
