"""Tokens never reach a log: every record is redacted where it is made, whatever the logger."""

import logging

import pytest

from invoicing.core.redaction import REDACTED, TOKEN_PATTERN

TOKEN = "INV-ACME-2026-00001-" + "a" * 43


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def collected():
    """A handler of our own on a logger the project's LOGGING never mentions."""
    handler = Collect()
    logger = logging.getLogger("somewhere.else")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, handler.lines
    logger.removeHandler(handler)


class Unprintable:
    def __str__(self):
        raise AssertionError("str() at record creation")


def test_the_token_pattern_is_the_links_and_the_logs():
    assert TOKEN_PATTERN.fullmatch(TOKEN)


def test_messages_arguments_and_objects_are_redacted_on_any_logger(collected):
    logger, lines = collected
    logger.warning("Forbidden (CSRF cookie not set.): %s", f"/pay/invoice/{TOKEN}/card/")
    logger.warning(f"GET {TOKEN}")
    logger.warning("%(path)s", {"path": TOKEN})
    assert len(lines) == 3 and not any(TOKEN in line for line in lines)
    assert f"/pay/invoice/{REDACTED}/card/" in lines[0]


def test_exceptions_are_redacted(collected):
    logger, lines = collected
    try:
        raise ValueError(f"no route for /pay/invoice/{TOKEN}/")
    except ValueError:
        logger.exception("Failed")
    assert "ValueError" in lines[0] and TOKEN not in lines[0]


def test_other_arguments_are_left_as_they_are(collected):
    logger, lines = collected
    logger.info("%d invoices, %.1f%%", 3, 12.5)
    assert lines == ["3 invoices, 12.5%"]
    record = logging.getLogger("somewhere.else").makeRecord("x", logging.INFO, "f", 1, "%s", (Unprintable(),), None)
    assert isinstance(record.args[0], Unprintable)  # made without calling str() on it


@pytest.mark.parametrize(
    "logged",
    [
        f"/pay/invoice/{TOKEN[:-1]}/",  # one character short: a mistyped link
        f"/pay/invoice/{TOKEN}x/card/",  # one too many
        f"/pay/invoice/{TOKEN.replace('INV-', 'inv-')}/",  # a different prefix
        "/pay/invoice/INV-GL X-2026-00001-" + "b" * 43 + "/",  # a number a link cannot carry (old settings)
        f"GET {TOKEN[:-2]} again",
    ],
)
def test_near_valid_tokens_are_redacted_too(collected, logged):
    logger, lines = collected
    logger.warning("Not Found: %s", logged)
    assert REDACTED in lines[0]
    assert "a" * 20 not in lines[0] and "b" * 20 not in lines[0]  # no part of the secret
