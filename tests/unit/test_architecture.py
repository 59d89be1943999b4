"""The module's seams: models import no interface, and every setting it reads has a default."""

import re
from pathlib import Path

import grimp
import pytest

from invoicing.conf import DEFAULTS

PACKAGE = Path(__file__).resolve().parents[2] / "invoicing"
SETTING_READ_ELSEWHERE = re.compile(r"getattr\(settings,|(?<![\w.])settings\.(STRIPE|INVOICING|LOCALSTRIPE)")
INTERFACES = ("invoicing.admin", "invoicing.api", "invoicing.pay", "invoicing.tasks", "invoicing.wagtail_hooks")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("invoicing")


@pytest.mark.parametrize("layer", ["invoicing.models", "invoicing.settings", "invoicing.services", "invoicing.core"])
def test_models_and_services_import_no_view(graph, layer):
    """What ``import invoicing.models`` loads, directly or not: no view, admin or API module."""
    imported = graph.find_upstream_modules(layer, as_package=True)
    assert not [module for module in imported if module.startswith(INTERFACES)]


def python_sources():
    return [path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts]


def test_every_setting_read_is_declared_with_its_default():
    read = set()
    for path in python_sources():
        if path.name == "conf.py":
            continue
        read |= set(re.findall(r"invoicing_settings\.([A-Z][A-Z0-9_]+)", path.read_text()))
    assert read and read <= DEFAULTS.keys()


def test_only_conf_reads_the_modules_settings():
    """A setting read past conf.py would have no default there, and break a project that lacks it."""
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in python_sources()
        if path.name != "conf.py" and SETTING_READ_ELSEWHERE.search(path.read_text())
    ]
    assert offenders == []
