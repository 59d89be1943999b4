"""What a benchmark measured, in one shape: the rows of ``make bench``'s table and of ``bench/results.json``.

Every benchmark module has a ``run()`` that prints its own details and returns a list of ``Row``s
(a mapping with the same keys is accepted too, see ``as_row``). ``bench/run.py`` collects them, prints
them as one table (``format_table``) and writes them with the machine they ran on (``write_json``).

``ratio`` is always ours / reference, whatever the unit: below 1 for a time means faster than the
reference, below 1 for a throughput means slower. The goal says which way is good.
"""

import json
import os
import platform
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Row:
    """One measured operation, ``ours`` against a ``reference`` measured in the same run (if any)."""

    operation: str
    ours: float | None  # None only when the benchmark did not finish
    reference: float | None = None
    ratio: float | None = None
    goal: str = ""  # as people read it, e.g. "<= 3 ms" or ">= 10 % of the bare view, <= 5 queries"
    met: bool | None = None  # None: no goal
    unit: str = "ms"  # of ours and reference
    p50: float | None = None  # latency percentiles in ms, where a load test has them
    p99: float | None = None
    notes: str = ""
    benchmark: str = ""  # the module's name; bench/run.py fills it in

    @staticmethod
    def ratio_of(ours: float, reference: float | None) -> float | None:
        return ours / reference if reference else None


def as_row(item: "Row | Mapping", benchmark: str = "") -> Row:
    """A ``Row`` from a ``Row`` or a mapping of its fields (unknown keys are an error, so that a
    benchmark and this table cannot drift apart silently), with ``benchmark`` filled in if empty."""
    row = item if isinstance(item, Row) else Row(**item)
    return replace(row, benchmark=row.benchmark or benchmark)


def format_number(value: float | None) -> str:
    if value is None:
        return "–"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _cells(row: Row) -> list[str]:
    def amount(value):
        return "–" if value is None else f"{format_number(value)} {row.unit}".strip()

    percentiles = "–" if row.p50 is None else f"{format_number(row.p50)} / {format_number(row.p99)}"
    met = {True: "yes", False: "NO", None: "–"}[row.met]
    ratio = "–" if row.ratio is None else f"{format_number(row.ratio)}x"
    return [
        row.benchmark,
        row.operation,
        amount(row.ours),
        amount(row.reference),
        ratio,
        row.goal or "–",
        met,
        percentiles,
        row.notes,
    ]


HEADERS = ["benchmark", "operation", "ours", "reference", "ratio", "goal", "met", "p50 / p99 ms", "notes"]
RIGHT_ALIGNED = {"ours", "reference", "ratio", "p50 / p99 ms"}


def format_table(rows: Iterable[Row]) -> str:
    """The rows as a Markdown table, padded so that it reads as well in a terminal as in the README."""
    table = [HEADERS] + [_cells(row) for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(HEADERS))]

    def line(cells):
        padded = (
            cell.rjust(width) if header in RIGHT_ALIGNED else cell.ljust(width)
            for header, cell, width in zip(HEADERS, cells, widths, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    dashes = (
        "-" * (width + 1) + ":" if header in RIGHT_ALIGNED else "-" * (width + 2)
        for header, width in zip(HEADERS, widths, strict=True)
    )
    rule = "|" + "|".join(dashes) + "|"
    return "\n".join([line(table[0]), rule, *(line(cells) for cells in table[1:])])


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def postgres_version(database_url: str) -> str:
    """The version of the server at ``database_url`` (the one the benchmarks on PostgreSQL use)."""
    try:
        import psycopg

        with psycopg.connect(database_url, connect_timeout=3) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except Exception as error:  # noqa: BLE001 - the table is still worth printing without it
        return f"unknown ({type(error).__name__})"


def describe_machine(database_url: str) -> dict:
    import django

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres_version(database_url),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def format_machine(machine: Mapping) -> str:
    return (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; {machine['os']}; "
        f"Python {machine['python']}, Django {machine['django']}, PostgreSQL {machine['postgresql']}; "
        f"{machine['date']}, load average {machine['load_average_at_start']} at the start"
    )


def write_json(
    path: Path, rows: Iterable[Row], machine: Mapping, wall_seconds: float, seconds_by_benchmark: Mapping
) -> None:
    document = {
        "machine": dict(machine),
        "wall_seconds": round(wall_seconds, 1),
        "seconds_by_benchmark": {name: round(seconds, 1) for name, seconds in seconds_by_benchmark.items()},
        "fields": [field.name for field in fields(Row)],
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
