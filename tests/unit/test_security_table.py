"""The README's security table names, for each rule of the checklist, the tests that guard it: every
rule has a row, and every test it names exists, so that renaming or deleting a guard shows here."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def security_section():
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n## Security\n", 1)[1].split("\n## ", 1)[0]


def test_every_rule_of_the_checklist_has_a_row():
    rows = re.findall(r"^\| (\d+) \|", security_section(), flags=re.MULTILINE)
    assert [int(row) for row in rows] == list(range(1, 36))


def test_every_test_the_table_names_exists():
    files = list((ROOT / "tests").rglob("test_*.py"))
    defined = {path.stem for path in files} | {
        name
        for path in files
        for name in re.findall(r"^\s*(?:def|class) ((?:test_|Test)\w+)", path.read_text(), flags=re.MULTILINE)
    }
    named = re.findall(r"\b((?:test_|Test)\w+)", security_section())
    missing = [name for name in named if name not in defined]
    assert len(named) > 60 and missing == []
