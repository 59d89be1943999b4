import logging

from invoicing.log_filters import RedactPaymentTokens

TOKEN = "INV-ACME-2026-00001-" + "a" * 43


def test_tokens_are_redacted_from_messages_and_arguments():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"/pay/invoice/{TOKEN}/",), None
    )
    RedactPaymentTokens().filter(record)
    assert TOKEN not in record.getMessage()
    assert "/pay/invoice/INV-[redacted]/" in record.getMessage()


def test_dict_arguments_and_plain_messages_are_redacted():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, f"GET {TOKEN}", None, None)
    RedactPaymentTokens().filter(record)
    assert TOKEN not in record.getMessage()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%(path)s", ({"path": TOKEN},), None)
    RedactPaymentTokens().filter(record)
    assert TOKEN not in record.getMessage()
