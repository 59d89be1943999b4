import pytest

from .validation import Validator, rules_directory


@pytest.fixture(scope="session")
def en16931():
    """The EN 16931 rules for CII and UBL, compiled once per test run (per xdist worker)."""
    return Validator(rules_directory())
