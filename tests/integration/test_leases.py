"""Leases on the work of task workers: a bulk action resumes where its dead worker stopped and
handles each invoice once; an email whose worker died before the hand-off is sent once, one whose
worker died during it is left for a person; a mail server that was down gets each email once.

A dead worker is a ``WorkerKilled`` (a ``BaseException``, as the signal's ``SystemExit`` is) raised
from inside the work: it unwinds the open transaction as a killed process's would. The real
``kill -9`` of a ``db_worker`` is in tests/faults/test_worker_killed.py (PostgreSQL)."""

import io
import zipfile
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone

from invoicing.models import BulkJob, EmailAttempt, Invoice, InvoiceEvent, OutboundEmail
from invoicing.services import bulk, delivery
from invoicing.services.invoices import issue_invoice
from invoicing.services.outbox import send_invoice_email
from invoicing.tasks import resume_stalled_jobs, retry_due_emails
from tests.factories import draft_invoice, open_invoice
from tests.integration.test_email_smtp import Inbox, free_port
from tests.threads import run_together

pytestmark = pytest.mark.django_db

LEASE = timedelta(seconds=300)  # the default of INVOICING_LEASE_SECONDS


class WorkerKilled(BaseException):
    """The worker process ends here, mid-work."""


def after_the_lease():
    return timezone.now() + LEASE + timedelta(seconds=1)


def statuses(invoices):
    return [Invoice.objects.get(pk=invoice.pk).status for invoice in invoices]


@pytest.fixture
def issue_counting(monkeypatch):
    """The bulk "issue" action, counting each invoice it issues, and killing its worker on the
    invoices listed in ``kill_on`` (each once)."""
    issued, kill_on = [], set()

    def issue(invoice, *, by):
        if invoice.pk in kill_on:
            kill_on.discard(invoice.pk)
            issue_invoice(invoice, by=by)  # its transaction is open when the worker dies
            raise WorkerKilled
        issue_invoice(invoice, by=by)
        issued.append(invoice.pk)

    monkeypatch.setitem(bulk.BULK_ACTIONS, "issue", replace(bulk.BULK_ACTIONS["issue"], run=issue))
    return issued, kill_on


class TestBulkJobs:
    def test_a_job_resumed_after_its_worker_died_handles_each_invoice_once(
        self, site_a, admin_user, issue_counting, admin_client
    ):
        issued, kill_on = issue_counting
        invoices = [draft_invoice(site_a) for _ in range(4)]
        kill_on.add(invoices[2].pk)
        job = bulk.start_bulk_job("issue", invoices, by=admin_user)
        with pytest.raises(WorkerKilled):
            bulk.run_bulk_job(job.pk)
        job.refresh_from_db()
        # The third invoice's action and its progress went down together.
        assert (job.status, job.cursor, job.succeeded) == (BulkJob.Status.RUNNING, 2, 2)
        assert statuses(invoices) == ["open", "open", "draft", "draft"]

        assert bulk.resume_stalled_jobs() == []  # its lease has not run out yet
        assert bulk.resume_stalled_jobs(now=after_the_lease()) == [job.pk]
        assert bulk.resume_stalled_jobs(now=after_the_lease()) == []  # queued once
        job = bulk.run_bulk_job(job.pk)
        assert (job.status, job.cursor, job.succeeded, job.failed, job.runs) == (BulkJob.Status.DONE, 4, 4, 0, 2)
        assert sorted(issued) == sorted(invoice.pk for invoice in invoices)  # each once
        assert statuses(invoices) == ["open"] * 4
        page = admin_client.get(reverse("invoicing_jobs:detail", args=[job.pk])).content.decode()
        assert "4 of 4 invoices processed" in page and "resumed where it stopped" in page

    def test_a_worker_that_died_recording_the_progress_leaves_the_invoice_undone_too(
        self, site_a, admin_user, issue_counting, monkeypatch
    ):
        invoices = [draft_invoice(site_a) for _ in range(3)]
        real_record, records = bulk._record, []

        def dies_recording_the_second(*args, **kwargs):
            records.append(args[1])
            if len(records) == 2:
                raise WorkerKilled  # the second invoice is issued; its progress is not saved yet
            real_record(*args, **kwargs)

        monkeypatch.setattr(bulk, "_record", dies_recording_the_second)
        job = bulk.start_bulk_job("issue", invoices, by=admin_user)
        with pytest.raises(WorkerKilled):
            bulk.run_bulk_job(job.pk)
        assert statuses(invoices) == ["open", "draft", "draft"]  # the action went down with the progress
        bulk.resume_stalled_jobs(now=after_the_lease())
        job = bulk.run_bulk_job(job.pk)
        assert (job.succeeded, job.failed) == (3, 0) and statuses(invoices) == ["open"] * 3
        issue_events = InvoiceEvent.objects.filter(kind=InvoiceEvent.Kind.ISSUED).values_list("invoice", flat=True)
        assert Counter(issue_events) == {invoice.pk: 1 for invoice in invoices}

    def test_the_sweep_task_queues_the_stalled_job_and_it_resumes(self, site_a, admin_user, issue_counting):
        issued, kill_on = issue_counting
        invoices = [draft_invoice(site_a) for _ in range(3)]
        kill_on.add(invoices[1].pk)
        job = bulk.start_bulk_job("issue", invoices, by=admin_user)
        with pytest.raises(WorkerKilled):
            bulk.run_bulk_job(job.pk)
        BulkJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - LEASE - timedelta(seconds=1))
        assert resume_stalled_jobs.call() == 1  # the immediate backend runs the resumed job at once
        job.refresh_from_db()
        assert (job.status, job.succeeded, job.runs) == (BulkJob.Status.DONE, 3, 2)
        assert sorted(issued) == sorted(invoice.pk for invoice in invoices)

    def test_a_queued_job_whose_task_was_lost_is_queued_again(self, site_a, admin_user):
        job = bulk.start_bulk_job("issue", [draft_invoice(site_a)], by=admin_user)  # never enqueued
        assert bulk.resume_stalled_jobs() == []
        assert bulk.resume_stalled_jobs(now=after_the_lease()) == [job.pk]

    def test_a_worker_whose_lease_was_taken_back_stops_without_touching_the_job(self, site_a, admin_user):
        invoices = [draft_invoice(site_a) for _ in range(2)]
        job = bulk.start_bulk_job("issue", invoices, by=admin_user)
        stale_token = bulk._claim(job.pk)
        assert bulk._claim(job.pk) is None  # claimed once
        bulk.resume_stalled_jobs(now=after_the_lease())  # the worker went silent for too long
        job = bulk.run_bulk_job(job.pk)  # another worker resumes it and finishes it
        assert (job.status, job.succeeded) == (BulkJob.Status.DONE, 2)
        action = bulk.BULK_ACTIONS["issue"]
        with pytest.raises(bulk.LeaseLost):  # the first worker comes back to life
            bulk._handle_next(job.pk, stale_token, {i.pk: i for i in invoices}, lambda i: action.run(i, by=None))
        job.refresh_from_db()
        assert (job.cursor, job.succeeded, job.failed) == (2, 2, 0)

    def test_a_job_whose_worker_keeps_dying_is_given_up_with_the_rest_listed(self, site_a, admin_user, monkeypatch):
        def always_kills(invoice, *, by):
            raise WorkerKilled

        monkeypatch.setitem(bulk.BULK_ACTIONS, "issue", replace(bulk.BULK_ACTIONS["issue"], run=always_kills))
        invoices = [draft_invoice(site_a) for _ in range(2)]
        job = bulk.start_bulk_job("issue", invoices, by=admin_user)
        for _ in range(bulk.MAX_RUNS):
            with pytest.raises(WorkerKilled):
                bulk.run_bulk_job(job.pk)
            bulk.resume_stalled_jobs(now=after_the_lease())
        job.refresh_from_db()
        assert (job.status, job.runs, job.failed, job.cursor) == (BulkJob.Status.DONE, bulk.MAX_RUNS, 2, 2)
        assert [failure["invoice"] for failure in job.failures] == [invoice.pk for invoice in invoices]
        assert "stopped 5 times" in job.failures[0]["reason"]
        assert bulk.run_bulk_job(job.pk) is None

    def test_a_pdf_export_restarts_from_scratch_with_correct_counts(
        self, site_a, admin_user, settings, tmp_path, monkeypatch
    ):
        settings.INVOICING_EXPORTS_ROOT = tmp_path / "exports"
        invoices = [open_invoice(site_a)[0] for _ in range(3)]
        job = bulk.start_bulk_job(bulk.DOWNLOAD_PDFS, invoices, by=admin_user)
        real_pdf, made = bulk.invoice_pdf, []

        def dies_on_the_second(invoice):
            made.append(invoice.pk)
            if len(made) == 2:
                raise WorkerKilled
            return real_pdf(invoice)

        monkeypatch.setattr(bulk, "invoice_pdf", dies_on_the_second)
        with pytest.raises(WorkerKilled):
            bulk.run_bulk_job(job.pk)
        assert BulkJob.objects.get(pk=job.pk).succeeded == 1
        bulk.resume_stalled_jobs(now=after_the_lease())
        job = bulk.run_bulk_job(job.pk)
        assert (job.status, job.total, job.succeeded, job.failed, job.cursor) == (BulkJob.Status.DONE, 3, 3, 0, 3)
        with bulk.exports_storage().open(bulk.archive_of(job)) as archive:
            assert len(zipfile.ZipFile(io.BytesIO(archive.read())).namelist()) == 3


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """An email written to the outbox whose task has not run yet."""

    def queued(site):
        invoice, link = open_invoice(site)
        with django_capture_on_commit_callbacks(execute=False):
            return send_invoice_email(invoice, "invoice", link=link)

    return queued


def attempts(email):
    return [(attempt.number, attempt.succeeded) for attempt in EmailAttempt.objects.filter(email=email)]


class TestEmails:
    def test_a_claim_that_never_reached_the_handoff_is_sent_once_after_the_lease(self, site_a, queued, anymail_outbox):
        email = queued(site_a)
        delivery._claim(email.pk)  # then the worker died, rendering
        assert retry_due_emails.call() == 0  # still leased
        OutboundEmail.objects.filter(pk=email.pk).update(claimed_at=timezone.now() - LEASE - timedelta(seconds=1))
        assert retry_due_emails.call() == 1
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.SENT and len(anymail_outbox) == 1
        assert attempts(email) == [(1, False), (2, True)]
        assert retry_due_emails.call() == 0 and len(anymail_outbox) == 1

    def test_a_worker_that_died_during_the_handoff_leaves_the_email_for_a_person(
        self, site_a, queued, anymail_outbox, admin_client
    ):
        email = queued(site_a)
        claimed = delivery._claim(email.pk)
        assert delivery._start_handoff(claimed)  # then the worker died, talking to the mail server
        assert delivery.release_stalled_claims() == (0, 0)  # a hand-off within the lease is left alone
        assert delivery.release_stalled_claims(now=after_the_lease()) == (0, 1)
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.FAILED and email.summary[1]  # needs attention
        assert "may have been sent" in email.last_error and "Resend it" in email.last_error
        assert email.pay_url == ""  # as any failed row: a resend is a new email with a new link
        assert InvoiceEvent.objects.filter(invoice=email.invoice, kind=InvoiceEvent.Kind.EMAIL_FAILED).exists()
        assert retry_due_emails.call() == 0 and anymail_outbox == []  # never sent again by itself
        listing = admin_client.get("/admin/snippets/invoicing/outboundemail/?status=failed").content.decode()
        assert email.subject in listing

    def test_a_worker_paused_past_its_lease_does_not_send_what_another_will(
        self, site_a, queued, anymail_outbox, monkeypatch
    ):
        email = queued(site_a)
        real_build = delivery.build_message

        def slow_render(row):
            # Rendering took longer than the lease: the sweep gives the claim back meanwhile.
            OutboundEmail.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - LEASE - timedelta(seconds=1))
            assert delivery.release_stalled_claims() == (1, 0)
            return real_build(row)

        monkeypatch.setattr(delivery, "build_message", slow_render)
        assert delivery.deliver(email.pk) is None
        assert anymail_outbox == []
        monkeypatch.setattr(delivery, "build_message", real_build)
        delivery.deliver(email.pk)
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.SENT and len(anymail_outbox) == 1

    def test_a_hand_off_that_finished_after_the_sweep_is_recorded_as_sent(self, site_a, queued, anymail_outbox):
        email = queued(site_a)
        claimed = delivery._claim(email.pk)
        delivery._start_handoff(claimed)
        delivery.release_stalled_claims(now=after_the_lease())
        delivery._record_success(claimed, delivery.build_message(claimed))  # the slow send went through
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.SENT and email.last_error == ""

    def test_a_hand_off_that_failed_after_the_sweep_stays_for_a_person(self, site_a, queued, anymail_outbox):
        email = queued(site_a)
        claimed = delivery._claim(email.pk)
        delivery._start_handoff(claimed)
        delivery.release_stalled_claims(now=after_the_lease())
        # The slow send then fails: it may still have reached the server, and the token is gone.
        assert delivery._record_failure(claimed, "SMTPServerDisconnected", permanent=False) is None
        email.refresh_from_db()
        assert (email.status, email.last_error) == ("failed", str(delivery.STOPPED_DURING_HANDOFF))
        assert retry_due_emails.call() == 0 and anymail_outbox == []

    def test_every_attempt_carries_the_same_message_id(self, site_a, queued, anymail_outbox):
        email = queued(site_a)
        header = delivery.build_message(email).extra_headers["Message-ID"]
        assert header == email.message_id == f"<invoice-email-{email.pk}.{email.created_at:%Y%m%d%H%M%S}@example.com>"
        delivery.deliver(email.pk)
        assert anymail_outbox[0].extra_headers["Message-ID"] == header


@pytest.fixture
def smtp_port(settings):
    """A port for a mail server that is down until the test starts one there."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return port


def test_smtp_down_then_up_delivers_every_email_exactly_once(site_a, smtp_port, django_capture_on_commit_callbacks):
    emails = []
    for _ in range(3):
        invoice, link = open_invoice(site_a)
        with django_capture_on_commit_callbacks(execute=True):  # the first attempt, while down
            emails.append(send_invoice_email(invoice, "invoice", link=link))
    for row in emails:
        row.refresh_from_db()
        assert row.status == OutboundEmail.Status.RETRYING and "ConnectionRefusedError" in row.last_error
        assert row.handoff_started_at is None  # refused at the connection: the server saw nothing

    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    try:
        OutboundEmail.objects.update(next_attempt_at=timezone.now())  # their retry is due
        assert retry_due_emails.call() == 3
        assert retry_due_emails.call() == 0  # and nothing twice
    finally:
        server.stop()
    received = [message_from_bytes(envelope.content, policy=policy.default) for envelope in inbox.envelopes]
    assert sorted(message["Message-ID"] for message in received) == sorted(row.message_id for row in emails)
    for row in emails:
        row.refresh_from_db()
        assert row.status == OutboundEmail.Status.SENT and attempts(row) == [(1, False), (2, True)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_given_the_same_job_at_once_run_it_once(site_a, admin_user, issue_counting):
    issued, _kill_on = issue_counting
    invoices = [draft_invoice(site_a) for _ in range(5)]
    job = bulk.start_bulk_job("issue", invoices, by=admin_user)
    results = run_together(lambda _: bulk.run_bulk_job(job.pk), range(6))
    assert not [r for r in results if isinstance(r, Exception)]
    assert len([r for r in results if r is not None]) == 1
    assert sorted(issued) == sorted(invoice.pk for invoice in invoices)
    assert BulkJob.objects.get(pk=job.pk).runs == 1  # claimed once, not claimed by all and raced per invoice
