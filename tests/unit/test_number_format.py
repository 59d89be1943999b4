import pytest
from django.core.exceptions import ValidationError

from invoicing.core.number_format import render_number, uses_year, validate_number_format, validate_number_prefix


@pytest.mark.parametrize(
    ("number_format", "expected"),
    [
        ("{prefix}-{year}-{number:05}", "ACME-2026-00042"),
        ("{prefix}{number:06}", "ACME000042"),
        ("{number}", "42"),
        ("F.{year}.{number:3}", "F.2026.042"),
    ],
)
def test_render(number_format, expected):
    validate_number_format(number_format)
    assert render_number(number_format, prefix="ACME", year=2026, number=42) == expected


@pytest.mark.parametrize(
    ("number_format", "message"),
    [
        ("{prefix}-{yaer}-{number}", "{yaer}"),
        ("{number.__class__}", "{number.__class__}"),
        ("{prefix}{0}", "{0}"),
        ("{prefix}-{year}", "must contain {number}"),
        ("INV {number}", "Outside placeholders"),
        ("INV/{number}", "Outside placeholders"),
    ],
)
def test_invalid_formats_name_the_problem(number_format, message):
    with pytest.raises(ValidationError) as error:
        validate_number_format(number_format)
    assert message in " ".join(error.value.messages)


def test_uses_year():
    assert uses_year("{prefix}-{year}-{number}")
    assert not uses_year("{prefix}{number:06}")


@pytest.mark.parametrize(
    ("number_format", "expected"),
    [
        ("{prefix}-{year}-{number:05}", "2026-00042"),
        ("{year}-{number:05}-{prefix}", "2026-00042"),
        ("{prefix}{number:06}", "000042"),
        ("F.{prefix}.{number}", "F.42"),
    ],
)
def test_without_a_prefix_its_separator_goes_too(number_format, expected):
    """The default prefix is none, so that links read INV-2026-00042-…, never INV-INV-…."""
    assert render_number(number_format, prefix="", year=2026, number=42) == expected


@pytest.mark.parametrize("prefix", ["GL X", "GLX/1", "GLXÄ", "A.B", "A_B"])
def test_a_prefix_is_letters_digits_and_dashes(prefix):
    with pytest.raises(ValidationError):
        validate_number_prefix(prefix)


def test_valid_prefixes():
    for prefix in ("", "ACME", "GLX-2"):
        validate_number_prefix(prefix)
