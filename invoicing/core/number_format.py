"""Per-site invoice number formats such as ``{prefix}-{year}-{number:05}``.

Formats are rendered with a fixed list of placeholders and a regular expression, never with
``str.format``: an editor's format string must not reach attributes of Python objects.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
NUMBER = re.compile(r"number(?::0?(\d{1,2}))?")
# The characters of an invoice number: all of them go into its payment link (``TOKEN_PATTERN``).
NUMBER_CHARS = r"[A-Za-z0-9_.\-]"
ALLOWED_CHARS = re.compile(f"{NUMBER_CHARS}*")
PREFIX_CHARS = re.compile(r"[A-Za-z0-9\-]*")
# An empty prefix takes one separator beside it along: "{prefix}-{year}" gives "2026", not "-2026".
EMPTY_PREFIX = re.compile(r"\{prefix\}[_.\-]|[_.\-]?\{prefix\}")
MAX_RESULT_LENGTH = 64


def validate_number_format(value):
    placeholders = PLACEHOLDER.findall(value)
    unknown = [p for p in placeholders if p not in ("prefix", "year") and not NUMBER.fullmatch(p)]
    if unknown:
        raise ValidationError(
            _("Unknown placeholder {%(name)s}. Use {prefix}, {year} and {number} (or {number:05})."),
            params={"name": unknown[0]},
        )
    if not any(NUMBER.fullmatch(p) for p in placeholders):
        raise ValidationError(_("The format must contain {number}."))
    literal = PLACEHOLDER.sub("", value)
    if not ALLOWED_CHARS.fullmatch(literal):
        raise ValidationError(_("Outside placeholders, use only letters, digits and - _ ."))


def validate_number_prefix(value):
    if not PREFIX_CHARS.fullmatch(value):
        raise ValidationError(_("Use only letters, digits and dashes."))


def uses_year(number_format: str) -> bool:
    return "{year}" in number_format


def render_number(number_format: str, *, prefix: str, year: int, number: int) -> str:
    def replace(match):
        name = match.group(1)
        if name == "prefix":
            return prefix
        if name == "year":
            return f"{year:04d}"
        width = NUMBER.fullmatch(name).group(1)
        return f"{number:0{int(width)}d}" if width else str(number)

    if not prefix:
        number_format = EMPTY_PREFIX.sub("", number_format, count=1)
    return PLACEHOLDER.sub(replace, number_format)[:MAX_RESULT_LENGTH]
