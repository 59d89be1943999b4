import pytest

from . import ubl_schema
from .validation import Validator, rules_directory


@pytest.fixture(scope="session")
def en16931():
    """The EN 16931 rules for CII and UBL, compiled once per test run (per xdist worker)."""
    return Validator(rules_directory())


@pytest.fixture(scope="session")
def ubl_xsd():
    """The OASIS UBL 2.1 schemas for Invoice and CreditNote, compiled once per test run."""
    return ubl_schema.load()
