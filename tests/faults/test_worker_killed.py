"""A real ``manage.py db_worker`` killed with SIGKILL mid-work, on PostgreSQL, then a new worker
and the periodic sweep (``manage.py send_due_emails``, with a lease of a few seconds).

- Mid bulk "send_email" job of 30 invoices: every invoice is handled once, every email reaches the
  SMTP server once, and the job ends done with the right counts.
- Mid hand-off of one email (the server has the message, the worker awaits its answer): the
  email ends failed for a person to check, and is not sent again.
- Before the hand-off (connected, the server has not even greeted): the email is sent once.

Nothing here waits on a clock and hopes: the worker is stopped at a known point by a gate the
test holds (a row lock, an SMTP handler that blocks, a server that never greets), and every wait
polls the database with a deadline. The worker is a separate process that reads the test
database, so the tests are transactional. SQLite cannot share a locked database with a second
process this way, nor show who waits on a lock: they run on PostgreSQL only (CI runs them there).
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from invoicing.models import BulkJob, EmailAttempt, Invoice, OutboundEmail
from invoicing.services import bulk
from invoicing.services.delivery import STOPPED_DURING_HANDOFF
from invoicing.services.outbox import send_invoice_email
from invoicing.tasks import run_bulk_job
from tests.factories import make_website, open_invoice
from tests.integration.test_email_smtp import Inbox, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3
DEADLINE_SECONDS = 180  # a bound on a wait for something bound to happen, not a timing
INVOICES = 30
KILLED_AT = 15  # the worker dies handling the 16th invoice

# The worker's settings: the test settings, with the database task backend and a real SMTP server.
WORKER_SETTINGS = """
import json, os
from site_config.settings.test import *  # noqa: F403

DATABASES = {"default": json.loads(os.environ["WORKER_DATABASE"])}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST, EMAIL_PORT = "127.0.0.1", int(os.environ["WORKER_SMTP_PORT"])
EMAIL_USE_TLS = EMAIL_USE_SSL = False
"""


class Workers:
    """``db_worker`` processes on the test database; ``kill()`` is a SIGKILL, as the OOM killer's."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        (tmp_path / "worker_settings.py").write_text(WORKER_SETTINGS)
        database = {key: connection.settings_dict[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST")}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "worker_settings",
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
            "WORKER_DATABASE": json.dumps({**database, "PORT": connection.settings_dict["PORT"] or ""}),
        }
        self.processes = []

    def start(self, smtp_port):
        number = len(self.processes) + 1
        log = open(self.tmp_path / f"worker-{number}.log", "wb")  # noqa: SIM115 - closed at stop
        process = subprocess.Popen(
            # --skip-checks: the deployment checks (a Stripe key, a shared cache) are not this test's.
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload"]
            + ["--skip-checks"],
            cwd=REPO,
            env={**self.env, "WORKER_SMTP_PORT": str(smtp_port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process.log = log
        self.processes.append(process)
        return process

    def kill(self, process):
        process.killed = True
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def check_alive(self):
        """A worker that exits by itself (a settings error, say) fails the test at once."""
        for process in self.processes:
            if not getattr(process, "killed", False) and process.poll() is not None:
                pytest.fail(f"A worker exited with {process.returncode}\n{self.logs()}")

    def logs(self):
        return "\n".join(
            f"--- worker {n} ---\n{(self.tmp_path / f'worker-{n}.log').read_text(errors='replace')[-3000:]}"
            for n in range(1, len(self.processes) + 1)
        )

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)
            process.log.close()


@pytest.fixture
def workers(transactional_db, tmp_path, settings):
    """This process enqueues into the database too, and sweeps with a short lease."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.INVOICING_LEASE_SECONDS = LEASE_SECONDS
    pool = Workers(tmp_path)
    yield pool
    pool.stop()  # before the test database is flushed: a live worker would hold its locks


@pytest.fixture
def wait_until(workers):
    def wait_until(what, condition, *, sweep=False):
        """Poll ``condition`` until true (running the periodic sweep first, if ``sweep``)."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            if sweep:
                call_command("send_due_emails", stdout=open(os.devnull, "w"))  # noqa: SIM115
            result = condition()
            if result:
                return result
            workers.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"Gave up waiting for {what}\n{workers.logs()}")
            time.sleep(0.2)

    return wait_until


class GatedInbox(Inbox):
    """A mail server that has the whole message, then keeps its answer until the test releases
    it: the sender is mid-hand-off. Whether such a message gets delivered is the server's affair
    (aiosmtpd drops it when the client goes); it counts here as received, as it may have been."""

    def __init__(self):
        super().__init__()
        self.arrived, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        self.envelopes.append(envelope)
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, DEADLINE_SECONDS)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_servers():
    controllers = []

    def start(inbox):
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        return controller.port

    yield start
    for controller in controllers:
        if getattr(controller.handler, "release", None):
            controller.handler.release.set()
        controller.stop()


def message_ids(inbox):
    return Counter(message_from_bytes(e.content, policy=policy.default)["Message-ID"] for e in inbox.envelopes)


class RowLock:
    """Another connection holding an invoice's row lock, as a long transaction would."""

    def __init__(self, invoice):
        self.held, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=[invoice.pk])
        self.thread.start()
        assert self.held.wait(DEADLINE_SECONDS)

    def _hold(self, invoice_pk):
        try:
            with transaction.atomic():
                Invoice.objects.select_for_update().get(pk=invoice_pk)
                self.held.set()
                self.release.wait(DEADLINE_SECONDS)
        finally:
            connection.close()

    def let_go(self):
        self.release.set()
        self.thread.join()


def backends_waiting_for_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_bulk_send_killed_half_way_handles_each_invoice_once(workers, wait_until, smtp_servers, admin_user):
    site = make_website("killed.test", prefix="K")
    invoices = [open_invoice(site)[0] for _ in range(INVOICES)]
    inbox = Inbox()
    smtp_port = smtp_servers(inbox)
    job = bulk.start_bulk_job("send_email", invoices, by=admin_user)
    gate = RowLock(invoices[KILLED_AT])
    try:
        run_bulk_job.enqueue(job.pk)
        first = workers.start(smtp_port)
        wait_until(
            "the worker to be stuck on the 16th invoice, 15 done",
            lambda: BulkJob.objects.get(pk=job.pk).cursor == KILLED_AT and backends_waiting_for_a_lock(),
        )
        workers.kill(first)
    finally:
        gate.let_go()
    job.refresh_from_db()
    assert (job.status, job.cursor, job.succeeded) == (BulkJob.Status.RUNNING, KILLED_AT, KILLED_AT)
    assert OutboundEmail.objects.count() == KILLED_AT  # the 16th's email went down with its worker

    workers.start(smtp_port)
    wait_until(
        "the job to resume and every email to be sent",
        lambda: (
            BulkJob.objects.get(pk=job.pk).status == BulkJob.Status.DONE
            and OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == INVOICES
        ),
        sweep=True,
    )
    job.refresh_from_db()
    assert (job.cursor, job.succeeded, job.failed, job.failures) == (INVOICES, INVOICES, 0, [])
    assert job.runs >= 2  # resumed (more than once only if this machine stalled a worker past its lease)
    assert Counter(OutboundEmail.objects.values_list("invoice", flat=True)) == {i.pk: 1 for i in invoices}
    rows = OutboundEmail.objects.all()
    assert message_ids(inbox) == {row.message_id: 1 for row in rows}
    assert not rows.exclude(status=OutboundEmail.Status.SENT).exists()


def test_a_worker_killed_during_the_handoff_leaves_the_email_for_a_person(workers, wait_until, smtp_servers):
    invoice, link = open_invoice(make_website("handoff.test"))
    inbox = GatedInbox()
    smtp_port = smtp_servers(inbox)
    email = send_invoice_email(invoice, "invoice", link=link)  # its task is enqueued on commit
    first = workers.start(smtp_port)
    assert inbox.arrived.wait(DEADLINE_SECONDS), workers.logs()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENDING and email.handoff_started_at is not None
    workers.kill(first)
    inbox.release.set()

    workers.start(smtp_port)
    wait_until(
        "the sweep to flag the email",
        lambda: OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.FAILED,
        sweep=True,
    )
    call_command("send_due_emails", stdout=open(os.devnull, "w"))  # noqa: SIM115 - a later sweep changes nothing
    wait_until("the worker to run every task", lambda: not DBTaskResult.objects.ready().exists())
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("failed", 1, str(STOPPED_DURING_HANDOFF))
    assert email.summary[1]  # shown as needing attention
    assert message_ids(inbox) == {email.message_id: 1}


def test_a_worker_killed_before_the_handoff_sends_the_email_once(workers, wait_until, smtp_servers):
    invoice, link = open_invoice(make_website("claim.test"))
    with socket.socket() as mute_server:  # accepts the connection, never greets
        mute_server.bind(("127.0.0.1", 0))
        mute_server.listen()
        mute_server.settimeout(DEADLINE_SECONDS)
        email = send_invoice_email(invoice, "invoice", link=link)
        first = workers.start(mute_server.getsockname()[1])
        connected, _address = mute_server.accept()  # the worker claimed the row, rendered it, connected
        with connected:
            email.refresh_from_db()
            assert email.status == OutboundEmail.Status.SENDING and email.handoff_started_at is None
            workers.kill(first)

    inbox = Inbox()
    workers.start(smtp_servers(inbox))
    wait_until(
        "the sweep to give the claim back and the email to be sent",
        lambda: OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.SENT,
        sweep=True,
    )
    email.refresh_from_db()
    assert message_ids(inbox) == {email.message_id: 1}
    assert list(EmailAttempt.objects.filter(email=email).values_list("number", "succeeded")) == [
        (1, False),
        (2, True),
    ]
