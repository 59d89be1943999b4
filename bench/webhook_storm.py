"""A storm of Stripe webhooks: ``python -m bench.webhook_storm`` (or ``make bench``).

The whole system as processes (``tests/stack.py``): two gunicorn hosts on production settings,
PostgreSQL, Redis, localstripe, two ``manage.py db_worker`` processes and a local SMTP server (aiosmtpd).
500 open invoices, each with a PaymentIntent started as the pay page starts one and paid at
localstripe; then localstripe's 500 ``payment_intent.succeeded`` events, each signed and delivered
twice (1,000 deliveries, half of them duplicates, the two copies at the same moment to different
hosts), from 16 threads at once.

The issue's goal: 500 payments and 500 receipts, no answer 5xx. Reported: deliveries per second,
and the latency of one delivery (p50, p99) under that load.
"""

import os
import sys
import time

from bench.results import Row
from tests.cluster import scenarios
from tests.stack import Stack

INVOICES, COPIES, THREADS = 500, 2, 16
WEB, WEB_WORKERS, TASK_WORKERS = 2, 2, 2
# The whole benchmark stays within about 3 minutes: receipts still missing by then are reported.
BUDGET_SECONDS = 160


def run() -> list[Row]:
    load = os.getloadavg()[0]  # other work on the machine skews every number below
    began = time.perf_counter()
    with Stack(
        web=WEB,
        web_workers=WEB_WORKERS,
        task_workers=TASK_WORKERS,
        seed="tests.cluster.scenarios:seed_paid_intents",
        seed_args=(INVOICES,),
        name="bench_webhook_storm",
    ) as stack:
        deliveries = scenarios.deliveries(stack.seeded["events"], COPIES)
        storm = scenarios.webhook_storm(stack.urls, deliveries, secret=stack.webhook_secret, threads=THREADS)
        # The receipts go out through the worker meanwhile; their emails are counted too.
        waited = max(20, BUDGET_SECONDS - (time.perf_counter() - began))
        receipts_arrived = stack.smtp.wait_for(INVOICES, seconds=waited, settle=1.0)
        tally = stack.call("tests.cluster.scenarios:tally_payments", stack.seeded["invoices"])
        recipients = stack.smtp.by_recipient()
        timings = dict(stack.timings)

    summary = scenarios.summary(storm)
    problems = []
    if storm.server_errors:
        problems.append(f"{len(storm.server_errors)} answers 5xx")
    if set(storm.statuses) - {200}:
        problems.append(f"answers {sorted(set(storm.statuses))}")
    if (tally["paid_invoices"], tally["payments"], tally["payments_not_once"]) != (INVOICES, INVOICES, {}):
        problems.append(f"{tally['payments']} payments, {tally['paid_invoices']} invoices paid")
    if (tally["receipts"], tally["receipts_not_once"]) != (INVOICES, {}):
        problems.append(f"{tally['receipts']} receipts")
    if tally["events_by_status"] != {"processed": INVOICES} or tally["events_applied_more_than_once"]:
        problems.append(f"events {tally['events_by_status']}, {tally['events_applied_more_than_once']} applied twice")
    if receipts_arrived != INVOICES or set(recipients.values()) != {1}:
        problems.append(f"{receipts_arrived} receipt emails at SMTP, {len(recipients)} recipients")

    setup = f"{WEB} gunicorn hosts x {WEB_WORKERS} workers, PostgreSQL, Redis, {TASK_WORKERS} db_workers"
    print(
        f"Webhook storm benchmark: {len(deliveries):,} signed payment_intent.succeeded deliveries for "
        f"{INVOICES} invoices ({COPIES} copies each), {THREADS} threads; {setup}; production settings; "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.2f} before the run"
    )
    print(f"  stack: started in {timings['start']:.1f} s (seeding {timings['setup']:.1f} s)")
    print(
        f"  {summary['deliveries']:,} deliveries in {summary['seconds']:.1f} s: {summary['per_second']:.1f}/s, "
        f"p50 {summary['p50_ms']:.0f} ms, p99 {summary['p99_ms']:.0f} ms, {summary['server_errors']} answers 5xx"
    )
    print(
        f"  payments {tally['payments']}, receipts {tally['receipts']} ({receipts_arrived} emailed), "
        f"events {tally['events_by_status']}" + (f"; {'; '.join(problems)}" if problems else "")
    )
    return [
        Row(
            operation=(
                f"{len(deliveries):,} signed payment_intent.succeeded webhooks, {INVOICES} invoices x {COPIES}, "
                f"{THREADS} threads, {WEB} gunicorn hosts x {WEB_WORKERS} workers"
            ),
            ours=storm.throughput,
            goal=f"{INVOICES} payments, {INVOICES} receipts, 0 answers 5xx",
            met=not problems,
            unit="deliveries/s",
            p50=summary["p50_ms"],
            p99=summary["p99_ms"],
            notes="; ".join(problems)
            or f"{tally['payments']} payments, {tally['receipts']} receipts "
            f"({receipts_arrived} emailed), 0 answers 5xx",
        )
    ]


if __name__ == "__main__":
    run()
