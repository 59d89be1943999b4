"""Placeholders are filled by a regular expression with escaped values, never by a template engine;
rich text loses everything but a small allow-list."""

import pytest

from invoicing.mail.placeholders import fill, unknown_placeholders
from invoicing.mail.sanitize import rich_text_to_plain, sanitize_rich_text

VALUES = {"client_name": "O'Brien <Tools> & Co", "invoice_number": "ACME-1", "pay_link": "https://a.test/pay/x/"}


def test_known_placeholders_are_filled_and_escaped_in_html():
    html = fill("<p>Dear {client_name}, invoice {invoice_number}</p>", VALUES, html=True)
    assert html == "<p>Dear O&#x27;Brien &lt;Tools&gt; &amp; Co, invoice ACME-1</p>"


def test_plain_text_gets_the_raw_value():
    assert fill("For {client_name}", VALUES, html=False) == "For O'Brien <Tools> & Co"


@pytest.mark.parametrize(
    "attempt",
    ["{{ settings.SECRET_KEY }}", "{% load static %}{% debug %}", "{x.__class__}", "{client_name.__class__}", "{0}"],
)
def test_template_syntax_is_refused_and_would_render_literally(attempt):
    assert unknown_placeholders(attempt)
    assert fill(attempt, VALUES, html=False) == attempt


def test_unknown_placeholders_are_named():
    assert unknown_placeholders("Hi {client_nme}, {amount} by {due}") == ["{client_nme}", "{due}"]
    assert unknown_placeholders("Pay at {pay_link}", allowed={"amount"}) == ["{pay_link}"]


def test_javascript_links_and_scripts_are_removed():
    dirty = (
        '<p onclick="steal()">Hi <a href="javascript:alert(1)">click</a> <a href=" JaVaScRiPt:x">x</a>'
        '<a href="https://ok.test/" target="_blank" style="x">ok</a><script>alert(1)</script>'
        '<img src=x onerror=alert(1)><iframe src="https://evil.test"></iframe></p>'
    )
    clean = sanitize_rich_text(dirty)
    assert clean == '<p>Hi click x<a href="https://ok.test/">ok</a></p>'


def test_only_the_pay_link_placeholder_may_be_a_link_target():
    clean = sanitize_rich_text('<p><a href="{pay_link}">pay</a> <a href="{client_name}">me</a></p>')
    assert clean == '<p><a href="{pay_link}">pay</a> me</p>'


def test_rich_text_becomes_plain_text_lines():
    html = "<p>Dear A,</p><p>Pay &amp; smile</p><ul><li>one</li><li>two</li></ul>"
    assert rich_text_to_plain(html, paragraph_break="\n\n") == "Dear A,\n\nPay & smile\n\none\ntwo"
