"""The pay page under load: ``make bench`` (or ``.venv/bin/python -m bench.pay_page [--profile]``).

Starts the project as it runs in production (``tests/stack.py``): gunicorn with 2 workers on a
throwaway PostgreSQL database, the production settings (through ``bench/settings.py``, which adds
only the bare view's URL), ``collectstatic`` done, the cache in Redis (under a key prefix of its
own), the rate limits raised out of the way. The demo's data is seeded (``seed_demo``) and one open invoice
gets a fresh link. Then ``wrk -c8 -t2`` on 127.0.0.1, one after the other in the same run:

- the bare view (``bench/urls.py``): a constant through the same middleware, the yardstick;
- the pay page GET of that open invoice, on its website's host;
- a well-formed token that no link has: the pay page's 404.

Prints each one's throughput, p50 and p99, and the ratio to the bare view; and the SQL queries one
request of the pay page and of the 404 runs, counted in this process with Django's test client on
the same database, cache warm. The issue's goals: the pay page at least 10 % of the bare view's
throughput with at most 5 queries; the 404 at least 25 % with at most 2 (stretch: 25 % and 50 %).

``--profile`` prints instead where one pay-page GET and one 404 spend their time (through the test
client, cache warm): their SQL queries, then cProfile's top 20 functions by own time, by cumulative
time, and the project's own top 20 by cumulative time.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import django

from bench.results import Row

REPO = Path(__file__).resolve().parent.parent

CONNECTIONS, THREADS = 8, 2
SECONDS, WARM_UP_SECONDS = 10, 2
GOALS = {  # the least share of the bare view's throughput, the most SQL queries per request
    "pay page": (0.10, 5),
    "404": (0.25, 2),
}
STRETCH = {"pay page": 0.25, "404": 0.50}
# A token of the right shape (``invoicing.core.redaction.TOKEN_PATTERN``) that no link has.
UNKNOWN_TOKEN = "INV-ACME-2026-99999-" + "A" * 43
# Every request as the TLS-terminating proxy in front of a deployment passes it on.
FORWARDED_PROTO = "https"
# wrk's summary as one line of JSON, with a count of each status (every thread keeps its own).
WRK_SCRIPT = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) statuses = {} end
response = function(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
done = function(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + count end
  end
  local parts = {}
  for status, count in pairs(counts) do table.insert(parts, string.format('"%d": %d', status, count)) end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d, "statuses": {%s}}\\n',
    summary.requests, summary.duration, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(parts, ", ")))
end
"""


@dataclass(frozen=True)
class Load:
    """What wrk measured for one URL."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    statuses: dict[int, int]  # how many answers had each status
    socket_errors: int


def wrk(url: str, host: str, seconds: int, script: Path) -> Load:
    command = [
        shutil.which("wrk"),
        f"-c{CONNECTIONS}",
        f"-t{THREADS}",
        f"-d{seconds}s",
        "--timeout=10s",
        f"--script={script}",
        f"--header=Host: {host}",
        f"--header=X-Forwarded-Proto: {FORWARDED_PROTO}",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    summary = json.loads(next(line for line in reversed(output.splitlines()) if line.startswith("{")))
    return Load(
        requests_per_second=summary["requests"] / (summary["duration_us"] / 1e6),
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        requests=summary["requests"],
        statuses={int(status): count for status, count in summary["statuses"].items()},
        socket_errors=summary["socket_errors"],
    )


def query_count(client, path: str, status: int) -> int:
    """The SQL queries of one GET, after one that warms the caches."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(path).status_code == status
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == status
    return len(queries.captured_queries)


def print_profile(client, path: str, status: int, title: str) -> None:
    """Where one GET spends its time, caches warm: its SQL queries, then the top 20 functions by own
    time, by cumulative time, and the project's own top 20 by cumulative time (what calls the slow parts)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(path).status_code == status  # caches warm, as in a worker that has served a while
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == status
    print(f"\n--- {title}: {len(queries.captured_queries)} SQL queries")
    for query in queries.captured_queries:
        print(f"  {query['time']} s  {shorten(query['sql'], 150)}")
    profiler = cProfile.Profile()
    profiler.enable()
    response = client.get(path)
    profiler.disable()
    assert response.status_code == status
    # Shorter lines: paths from site-packages, the standard library and the checkout.
    prefixes = (f"{Path(django.__file__).parent.parent}/", f"{sysconfig.get_paths()['stdlib']}/", f"{REPO}/")
    for heading, sort, restriction in (
        ("own time", "tottime", ()),
        ("cumulative time", "cumulative", ()),
        ("cumulative time, the project's own functions", "cumulative", (rf"^{REPO}/(invoicing|home|site_config)/",)),
    ):
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(sort).print_stats(*restriction, 20)
        text = stream.getvalue()
        for prefix in prefixes:
            text = text.replace(prefix, "")
        print(f"\n--- {title}: top 20 by {heading}")
        print("\n".join(line for line in text.splitlines() if line.strip() and "due to restriction" not in line))


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def seed_open_invoice() -> dict:
    """In the stack, before the servers take requests: the demo's websites and invoices, and a new
    link to its open invoice on the first website. Returns the link's path and the Host to send."""
    from django.core.management import call_command
    from wagtail.models import Site

    from home import demo
    from invoicing.core.redaction import TOKEN_PATTERN
    from invoicing.models import Invoice
    from invoicing.services.tokens import rotate_payment_link

    assert TOKEN_PATTERN.fullmatch(UNKNOWN_TOKEN), "the 404's token must be well-formed, or it measures another path"
    call_command("seed_demo", stdout=io.StringIO())
    site = Site.objects.get(is_default_site=True)
    invoice = Invoice.objects.get(site=site, title=demo.LINK_INVOICE_TITLE)
    link = rotate_payment_link(invoice)
    url = urlsplit(link.url)
    unknown_path = url.path.rsplit("/invoice/", 1)[0] + f"/invoice/{UNKNOWN_TOKEN}/"
    return {"path": url.path, "unknown_path": unknown_path, "host": url.netloc}


def bench_stack(*, web: int):
    """gunicorn (``web`` instances of 2 workers) on a throwaway PostgreSQL database, Redis, no task
    worker (it would poll the database while we measure), the demo seeded; not started yet."""
    from home import demo
    from tests.stack import Stack

    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        # The Host that wrk and the test client send is the demo website's.
        "ALLOWED_HOSTS": ",".join(["127.0.0.1", "localhost", *(site["hostname"] for site in demo.SITES)]),
        "INVOICING_RATE_LIMIT_PER_IP": str(10**9),
        "INVOICING_RATE_LIMIT_PER_LINK": str(10**9),
        "DB_CONN_MAX_AGE": "600",
    }
    seed = "bench.pay_page:seed_open_invoice"
    return Stack(web=web, web_workers=2, task_workers=0, seed=seed, env=env, name="bench_pay")


def setup_django(stack):
    """Django in this process, on the stack's settings, database and cache; a test client that sends
    what wrk sends."""
    os.environ.update(stack.env)
    django.setup()
    from django.test import Client

    return Client(headers={"host": stack.seeded["host"], "x-forwarded-proto": FORWARDED_PROTO})


def check_status(url: str, host: str, status: int) -> None:
    import requests

    response = requests.get(url, headers={"Host": host, "X-Forwarded-Proto": FORWARDED_PROTO}, timeout=30)
    if response.status_code != status:
        raise RuntimeError(f"GET {url} (Host: {host}) answered {response.status_code}, not {status}")


def share(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.1%}"


def run(seconds: int = SECONDS) -> list[Row]:
    """Measures, prints the details and returns the rows of ``make bench``'s table."""
    if shutil.which("wrk") is None:
        raise SystemExit("bench/pay_page.py needs wrk: `make bench` installs Debian's as root, or apt-get install wrk")
    load = os.getloadavg()[0]  # other work on the machine skews every number below
    with bench_stack(web=1) as stack:
        client = setup_django(stack)
        host, paths = stack.seeded["host"], {"bare view": "/bench/bare/"}
        paths["pay page"], paths["404"] = stack.seeded["path"], stack.seeded["unknown_path"]
        statuses = {"bare view": 200, "pay page": 200, "404": 404}
        queries = {name: query_count(client, paths[name], statuses[name]) for name in GOALS}
        loads = {}
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "summary.lua"
            script.write_text(WRK_SCRIPT)
            for name, path in paths.items():
                check_status(stack.url + path, host, statuses[name])
                wrk(stack.url + path, host, WARM_UP_SECONDS, script)
                loads[name] = wrk(stack.url + path, host, seconds, script)
        from django.db import connection

        postgres = f"PostgreSQL {connection.pg_version // 10000}"

    bare = loads["bare view"]
    command = f"wrk -c{CONNECTIONS} -t{THREADS} -d{seconds}s"
    print(
        f"Pay page load test: {command} on 127.0.0.1, gunicorn (2 workers) on {postgres}, Redis cache, "
        f"production settings; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {load:.2f} before the run"
    )
    rows = [
        Row(
            operation=f"GET a bare Django view (the reference), {command}",
            ours=bare.requests_per_second,
            unit="req/s",
            p50=bare.p50_ms,
            p99=bare.p99_ms,
            notes=answers_note(bare, 200) or "a constant, through the same middleware",
        )
    ]
    print(f"  {'bare view (the reference)':<40} {describe(bare)}")
    verdicts = []
    for name, label in (("pay page", "pay page GET, one open invoice"), ("404", "pay page, unknown token: 404")):
        result, (least_share, most_queries) = loads[name], GOALS[name]
        ratio = Row.ratio_of(result.requests_per_second, bare.requests_per_second)
        wrong_answers = answers_note(result, statuses[name])
        met = ratio >= least_share and queries[name] <= most_queries and not wrong_answers
        stretch = ratio >= STRETCH[name] and met
        print(f"  {label:<40} {describe(result)}, {share(ratio)} of the bare view, {queries[name]} SQL queries")
        verdicts.append(
            f"{name} >= {least_share:.0%} with <= {most_queries} queries: {'met' if met else 'MISSED'}"
            f" (stretch {STRETCH[name]:.0%}: {'met' if stretch else 'not yet'})"
        )
        rows.append(
            Row(
                operation=f"{label}, {command}",
                ours=result.requests_per_second,
                reference=bare.requests_per_second,
                ratio=ratio,
                goal=f">= {least_share:.0%} of the bare view, <= {most_queries} queries",
                met=met,
                unit="req/s",
                p50=result.p50_ms,
                p99=result.p99_ms,
                notes=f"{share(ratio)} of the bare view; {queries[name]} SQL queries; "
                f"stretch {STRETCH[name]:.0%}: {'met' if stretch else 'not yet'}"
                + (f"; {wrong_answers}" if wrong_answers else ""),
            )
        )
    print("  goals: " + "; ".join(verdicts))
    return rows


def describe(load: Load) -> str:
    return f"{load.requests_per_second:,.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms"


def answers_note(load: Load, status: int) -> str:
    """What went wrong under load, if anything: answers other than ``status``, or socket errors."""
    problems = [f"{count} answers {other}" for other, count in sorted(load.statuses.items()) if other != status]
    if load.socket_errors:
        problems.append(f"{load.socket_errors} socket errors")
    return ", ".join(problems)


def profile() -> None:
    """The before/after picture of the issue: where one pay-page GET and one 404 spend their time."""
    with bench_stack(web=0) as stack:
        client = setup_django(stack)
        print_profile(client, stack.seeded["path"], 200, "pay page GET, one open invoice")
        print_profile(client, stack.seeded["unknown_path"], 404, "pay page, unknown token (404)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pay_page", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true", help="profile one GET of each instead of the load test")
    parser.add_argument("--seconds", type=int, default=SECONDS, help=f"of each wrk run (default {SECONDS})")
    args = parser.parse_args()
    if args.profile:
        profile()
    else:
        run(args.seconds)


if __name__ == "__main__":
    main()
