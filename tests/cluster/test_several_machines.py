"""Several machines, for real: two gunicorn hosts, two task workers, one PostgreSQL and one Redis
(``tests/stack.py``), on production settings. A storm of duplicated Stripe webhooks spread over both
hosts, and a bulk send from the admin worked off by both workers (each email's delivery task
queued twice), at the same time: each payment, receipt and email happens exactly once, nothing
answers 5xx; and the pay page's rate limit is one count across the hosts, not one per host.

About a minute on a 2-core machine. PostgreSQL only: the stack runs on a PostgreSQL
server (the one ``DATABASE_URL`` names), as several machines must.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.cluster import scenarios
from tests.stack import Stack

PAID = 100  # invoices paid by card, each reported by two webhook deliveries
DRAFTS = 100  # invoices emailed by the admin's bulk action
RATE_LIMIT = 20  # pay-page requests per minute per client IP, for this stack

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="Needs PostgreSQL (DATABASE_URL=postgres://...): several hosts and workers share one database server.",
    ),
]


@pytest.fixture(scope="module")
def cluster():
    with Stack(
        web=2,
        web_workers=1,
        task_workers=2,
        seed="tests.cluster.scenarios:seed_cluster",
        seed_args=(PAID, DRAFTS),
        env={"INVOICING_RATE_LIMIT_PER_IP": str(RATE_LIMIT), "INVOICING_RATE_LIMIT_PER_LINK": "1000"},
        name="cluster",
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def workload(cluster):
    """The bulk send posted to the second host, then each of its emails given a second delivery
    task; meanwhile the webhook storm over both hosts. Then everything the workers owe (receipts and
    invoice emails) waited for."""
    paid, drafts = cluster.seeded["paid"], cluster.seeded["drafts"]
    with ThreadPoolExecutor(1) as background:
        bulk = background.submit(bulk_send_and_deliver_again, cluster, drafts)
        storm = scenarios.webhook_storm(
            cluster.urls, scenarios.deliveries(paid["events"]), secret=cluster.webhook_secret, threads=8
        )
        bulk_seconds, again = bulk.result()
    assert again == DRAFTS
    # Returns as soon as all are in; the bound is for a machine busy with the rest of the suite.
    arrived = cluster.smtp.wait_for(PAID + DRAFTS, seconds=180, settle=1.0)
    print(f"stack {cluster.timings}; storm {scenarios.summary(storm)}; bulk POST {bulk_seconds:.2f} s")
    tally = cluster.call("tests.cluster.scenarios:tally_cluster", paid["invoices"], drafts)
    return {"storm": storm, "bulk_seconds": bulk_seconds, "arrived": arrived, **tally}


def bulk_send_and_deliver_again(cluster, drafts):
    """The bulk send, then a second delivery task for each of its emails (``deliver_again``)."""
    bulk_seconds, _job_url = scenarios.bulk_send(cluster, drafts, url=cluster.urls[1])
    return bulk_seconds, cluster.call("tests.cluster.scenarios:deliver_again", drafts)


def test_a_webhook_storm_over_two_hosts_counts_each_payment_once(cluster, workload):
    storm, tally = workload["storm"], workload["payments"]
    assert len(storm.statuses) == 2 * PAID
    assert storm.server_errors == [], scenarios.summary(storm)
    assert set(storm.statuses) == {200}
    assert all(count == PAID for count in storm.by_host.values()), storm.by_host
    assert tally["paid_invoices"] == PAID and tally["payments"] == PAID, tally
    assert tally["payments_not_once"] == {}, tally
    assert tally["events"] == PAID and tally["events_by_status"] == {"processed": PAID}, tally
    assert tally["events_applied_more_than_once"] == 0, tally
    assert tally["receipts"] == PAID and tally["receipts_not_once"] == {} and tally["receipts_sent"] == PAID, tally
    receipts = [recipients for _id, recipients, subject in cluster.smtp.messages if recipients[0].startswith("payer")]
    assert len(receipts) == PAID and len(set(receipts)) == PAID


def test_a_bulk_send_is_worked_off_by_both_workers_each_email_once(cluster, workload):
    tally = workload["emails"]
    assert workload["bulk_seconds"] < 5
    assert tally["job"] == {"status": "done", "succeeded": DRAFTS, "failed": 0, "total": DRAFTS}, tally
    assert tally["emails"] == DRAFTS and tally["emails_not_once"] == {}, tally
    assert tally["emails_by_status"] == {"sent": DRAFTS} and tally["attempts"] == DRAFTS, tally
    assert len(tally["deliveries_by_worker"]) == 2, tally  # both workers sent some
    invoices = [recipients for _id, recipients, subject in cluster.smtp.messages if recipients[0].startswith("bulk")]
    assert sorted(invoices) == sorted((f"bulk{n}@example.com",) for n in range(DRAFTS))
    # Every message reached the sink once, and nothing else did.
    assert workload["arrived"] == PAID + DRAFTS
    assert set(cluster.smtp.by_message_id().values()) == {1}


def test_the_pay_pages_rate_limit_counts_across_both_hosts(cluster):
    statuses = scenarios.probe_rate_limit(cluster.urls, 2 * RATE_LIMIT + 4)
    allowed = [status for status in statuses if status != 429]
    assert 500 not in statuses
    # Each host saw about half of the requests: separate counts would let 2 x RATE_LIMIT through.
    assert len(allowed) == RATE_LIMIT, statuses
    assert statuses[RATE_LIMIT:] == [429] * (len(statuses) - RATE_LIMIT), statuses
