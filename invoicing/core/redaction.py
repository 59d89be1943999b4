"""Payment-link and sign-in tokens, as text: their patterns, and their redaction from every log
record.

Django logs the path of a 404, a CSRF refusal, a slow request and every request of the dev
server; a pay-page path and a sign-in link's path hold a token. ``install_log_redaction`` (run by the app's ``ready()``)
redacts tokens where each log record is made, so that no logger, handler or ``LOGGING`` of the
host project can print one.
"""

import logging
import re

from .number_format import MAX_RESULT_LENGTH, NUMBER_CHARS

# ``INV-{invoice number}-{43 url-safe characters}``: the token of a payment link, the one pattern
# that links are made and opened with (the number's characters are those a number format allows).
TOKEN_PATTERN = re.compile(rf"INV-{NUMBER_CHARS}{{1,{MAX_RESULT_LENGTH}}}-[A-Za-z0-9_\-]{{43}}")
# What logs lose is wider: anything shaped like a token, even mistyped or cut short, and the whole
# path segment after ``/invoice/``, whatever it holds. Most of a secret is still a secret.
LOGGED_TOKEN = re.compile(r"(?<=/invoice/)[^/?#\"'<>]+|INV-[^\s/?#&\"'<>]+")
REDACTED = "INV-[redacted]"
# ``SIGNIN-{43 url-safe characters}``: a one-time sign-in link of the client's billing account.
SIGN_IN_TOKEN_PATTERN = re.compile(r"SIGNIN-[A-Za-z0-9_\-]{43}")
LOGGED_SIGN_IN_TOKEN = re.compile(r"(?<=/sign-in/)[^/?#\"'<>]+|SIGNIN-[^\s/?#&\"'<>]+")
SIGN_IN_REDACTED = "SIGNIN-[redacted]"


def redact(value):
    if not isinstance(value, str):
        return value
    return LOGGED_SIGN_IN_TOKEN.sub(SIGN_IN_REDACTED, LOGGED_TOKEN.sub(REDACTED, value))


def redact_record(record):
    """Django logs paths as strings (``request.path``); other arguments are left alone, so that
    making a record never calls ``str()`` on an object (which may query, fail or log in turn)."""
    record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(redact(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: redact(value) for key, value in record.args.items()}
    if record.exc_info and not record.exc_text:
        # An exception's message can hold a path too: format it now, redacted; handlers reuse it.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))


def install_log_redaction():
    """Redact tokens from every log record made from now on, in this process. Idempotent."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacts_payment_tokens", False):
        return

    def make_redacted_record(*args, **kwargs):
        record = make_record(*args, **kwargs)
        redact_record(record)
        return record

    make_redacted_record.redacts_payment_tokens = True
    logging.setLogRecordFactory(make_redacted_record)
