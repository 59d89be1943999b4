"""``make bench``: every benchmark in turn, then one table of what each measured against its reference.

``python -m bench.run`` runs them all and writes the table to ``bench/results.json`` too;
``python -m bench.run pay_page stats`` runs some, and writes the JSON only when given ``--json PATH``.

Each benchmark's ``run()`` runs in a Python process of its own: they configure Django differently (the
PDF one bare, the others on databases of their own) and Django is set up once per process. Their own
details print as they go; the table comes last, with the machine it ran on.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from importlib import import_module
from pathlib import Path

from bench.results import Row, as_row, describe_machine, format_machine, format_table, write_json

BENCH_DIR = Path(__file__).resolve().parent
# The order of the table: the quick ones first.
BENCHMARKS = ("pdf", "admin_listing", "stats", "bulk_send", "webhook_storm", "pay_page")
RESULTS = BENCH_DIR / "results.json"
# Where the machine description reads PostgreSQL's version, unless the environment names a server.
DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/postgres"


def postgres_url() -> str:
    """The server that the benchmarks on PostgreSQL use (as ``tests/stack.py`` picks it)."""
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        return database_url
    server = os.environ.get("STACK_POSTGRES_URL")  # a server's URL, without a database
    return f"{server.rstrip('/')}/postgres" if server else DEFAULT_DATABASE_URL


def run_child(name: str, rows_path: Path) -> None:
    """In the child process: one benchmark's ``run()``, its rows written as JSON to ``rows_path``."""
    rows = import_module(f"bench.{name}").run()
    rows_path.write_text(json.dumps([asdict(as_row(row, name)) for row in rows]))


def run_benchmark(name: str) -> tuple[list[Row], float]:
    """One benchmark in a new process; its rows (one saying it failed, if it did) and its wall time."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONUNBUFFERED"] = "1"  # its details as they come, before the table
    print(f"\n== bench/{name}.py", flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        rows_path = Path(folder) / "rows.json"
        command = [sys.executable, "-m", "bench.run", "--child", name, str(rows_path)]
        status = subprocess.run(command, env=env, cwd=BENCH_DIR.parent, check=False).returncode  # noqa: S603
        seconds = time.perf_counter() - start
        if status == 0 and rows_path.exists():
            return [as_row(row) for row in json.loads(rows_path.read_text())], seconds
    failed = Row(
        operation="(did not finish)",
        ours=None,
        met=False,
        unit="",
        notes=f"exit status {status} after {seconds:.0f} s; its output is above",
        benchmark=name,
    )
    return [failed], seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all: {BENCHMARKS})")
    parser.add_argument("--json", type=Path, help=f"where to write the rows (default for a full run: {RESULTS})")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "ROWS_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child[0], Path(args.child[1]))
        return 0
    unknown = [name for name in args.names if not (BENCH_DIR / f"{name}.py").exists()]
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (there are {', '.join(BENCHMARKS)})")
    names = args.names or [name for name in BENCHMARKS if (BENCH_DIR / f"{name}.py").exists()]
    missing = sorted(set(BENCHMARKS) - set(names)) if not args.names else []
    json_path = args.json or (None if args.names else RESULTS)

    machine = describe_machine(postgres_url())
    start = time.perf_counter()
    rows, seconds_by_benchmark = [], {}
    for name in names:
        benchmark_rows, seconds_by_benchmark[name] = run_benchmark(name)
        rows += benchmark_rows
    wall = time.perf_counter() - start

    print(f"\n{format_table(rows)}\n")
    print(f"Machine: {format_machine(machine)}")
    took = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in seconds_by_benchmark.items())
    print(f"Wall time {wall / 60:.1f} min ({took})")
    if missing:
        print(f"Not run, as their files do not exist: {', '.join(f'bench/{name}.py' for name in missing)}")
    if json_path:
        write_json(json_path, rows, machine, wall, seconds_by_benchmark)
        print(f"Written to {json_path}")
    # A missed goal is a result, not an error; a benchmark that did not finish is one.
    return 1 if any(row.operation == "(did not finish)" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
