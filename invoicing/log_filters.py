"""Keep payment-link tokens out of logs: Django logs the path of every 404 and every request."""

import logging
import re

TOKEN_IN_TEXT = re.compile(r"INV-[A-Za-z0-9_.\-]{1,64}-[A-Za-z0-9_\-]{43}")
REDACTED = "INV-[redacted]"


def redact(value):
    return TOKEN_IN_TEXT.sub(REDACTED, value) if isinstance(value, str) else value


class RedactPaymentTokens(logging.Filter):
    def filter(self, record):
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(value) for key, value in record.args.items()}
        return True
