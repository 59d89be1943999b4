"""The official EN 16931 business rules (the European Commission's validation artefacts, compiled
from Schematron to XSLT 2.0), run with Saxon (``saxonche``): a document passes when the SVRL report
has no ``failed-assert`` flagged fatal.

The artefacts are not copied into the repository (their README asks so): they are read in place,
from ``$EN16931_RULES``, else ``../shared/einvoicing`` beside the checkout, else
``/work/shared/einvoicing``. Missing, the tests fail and say where they looked: a validator that
cannot run must not pass.
"""

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[2]
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


def rules_directory() -> Path:
    candidates = [os.environ.get("EN16931_RULES"), REPO.parent / "shared" / "einvoicing", "/work/shared/einvoicing"]
    for candidate in filter(None, candidates):
        if (Path(candidate) / "EN16931-CII-validation.xslt").is_file():
            return Path(candidate)
    raise FileNotFoundError(
        "The EN 16931 validation artefacts (EN16931-CII-validation.xslt, EN16931-UBL-validation.xslt) "
        f"were not found in any of {[str(c) for c in candidates if c]}; set EN16931_RULES to their directory."
    )


@dataclass(frozen=True)
class Failure:
    rule: str  # e.g. "BR-CO-16"
    flag: str
    text: str
    location: str

    def __str__(self):
        return f"{self.rule} ({self.flag}) at {self.location}: {self.text}"


class Validator:
    """One compiled stylesheet per syntax, compiled on first use (about 0.3 s each)."""

    def __init__(self, directory: Path):
        from saxonche import PySaxonProcessor

        self.directory = directory
        self.processor = PySaxonProcessor(license=False)

    def _compile(self, name: str):
        return self.processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(self.directory / name))

    @cached_property
    def _cii(self):
        return self._compile("EN16931-CII-validation.xslt")

    @cached_property
    def _ubl(self):
        return self._compile("EN16931-UBL-validation.xslt")

    def failures(self, xml: bytes, syntax: str) -> list[Failure]:
        """Every failed assertion (fatal and warnings) of ``xml`` in ``syntax`` ("cii" or "ubl")."""
        stylesheet = self._cii if syntax == "cii" else self._ubl
        document = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = etree.fromstring(stylesheet.transform_to_string(xdm_node=document).encode("utf-8"))
        return [
            Failure(
                rule=node.get("id", ""),
                flag=node.get("flag", ""),
                text=" ".join(node.findtext(f"{SVRL}text", "").split()),
                location=node.get("location", ""),
            )
            for node in report.iter(f"{SVRL}failed-assert")
        ]

    def fatal(self, xml: bytes, syntax: str) -> list[Failure]:
        return [failure for failure in self.failures(xml, syntax) if failure.flag == "fatal"]

    def assert_valid(self, xml: bytes, syntax: str) -> None:
        fatal = self.fatal(xml, syntax)
        assert not fatal, "EN 16931 rules broken:\n" + "\n".join(map(str, fatal))


def _syntax(xml: bytes) -> str:
    return "ubl" if b"urn:oasis:names:specification:ubl:schema:xsd:" in xml[:2000] else "cii"


def _xml_of(path: Path) -> bytes:
    """The file's XML, or the ``factur-x.xml`` a Factur-X PDF carries."""
    data = path.read_bytes()
    if not data.startswith(b"%PDF"):
        return data
    from facturx import get_xml_from_pdf

    _name, xml = get_xml_from_pdf(data, check_xsd=False)
    if not xml:
        raise SystemExit(f"{path} carries no Factur-X XML.")
    return xml


if __name__ == "__main__":
    # Checking a file by hand: .venv/bin/python -m tests.einvoice.validation invoice.pdf|invoice.xml ...
    import sys

    broken = 0
    validator = Validator(rules_directory())
    for name in sys.argv[1:]:
        xml = _xml_of(Path(name))
        syntax = _syntax(xml)
        failures = validator.failures(xml, syntax)
        fatal = [failure for failure in failures if failure.flag == "fatal"]
        broken += bool(fatal)
        print(f"{name}: {syntax.upper()}, {len(fatal)} fatal, {len(failures) - len(fatal)} warnings")
        for failure in failures:
            print(f"  {failure}")
    sys.exit(1 if broken else 0)
