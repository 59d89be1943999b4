"""Bulk actions on invoices, from the listing to the job's progress page. Tasks run at once here
(django-tasks' Immediate backend), so the page shows the finished job."""

from dataclasses import replace

from django.contrib.auth.models import Permission
from django.urls import reverse

from invoicing.models import BulkJob, Invoice, OutboundEmail, Payment
from invoicing.services import bulk
from invoicing.services import invoices as invoice_services
from invoicing.services.payments import record_manual_payment
from tests.factories import ACCESS_ADMIN, billing_staff, draft_invoice, open_invoice


def bulk_url(action, invoices):
    url = reverse("wagtail_bulk_action", args=["invoicing", "invoice", action])
    return url + "?" + "&".join(f"id={invoice.pk}" for invoice in invoices)


def statuses(invoices):
    return [Invoice.objects.get(pk=invoice.pk).status for invoice in invoices]


def run(client, action, invoices, data=None):
    """Confirm the bulk action, follow to its progress page; return (job, page body)."""
    response = client.post(bulk_url(action, invoices), data or {})
    assert response.status_code == 302, response.content.decode()[:1000]
    job = BulkJob.objects.latest("pk")
    assert response["Location"] == reverse("invoicing_jobs:detail", args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    return job, page.content.decode()


class TestBulkActions:
    def test_issue_issues_the_drafts_and_reports_the_rest(self, admin_client, site_a, admin_user):
        drafts = [draft_invoice(site_a) for _ in range(2)]
        already, _ = open_invoice(site_a)
        confirm = admin_client.get(bulk_url("issue", [*drafts, already])).content.decode()
        assert "3 invoices are selected" in confirm
        job, page = run(admin_client, "issue", [*drafts, already])
        assert statuses(drafts) == ["open", "open"]
        assert (job.status, job.total, job.succeeded, job.failed, job.created_by) == ("done", 3, 2, 1, admin_user)
        assert job.failures == [
            {
                "invoice": already.pk,
                "label": f"{already.number} · Acme",
                "reason": f"Invoice {already.number} is open and cannot become open.",
            }
        ]
        assert "3 of 3 invoices processed" in page and "2 done" in page and "1 failed" in page
        assert f"Invoice {already.number} is open and cannot become open." in page
        assert reverse("wagtailsnippets_invoicing_invoice:inspect", args=[already.pk]) in page
        assert 'http-equiv="refresh"' not in page  # finished: no more reloading

    def test_void_needs_a_reason_then_skips_paid_invoices(self, admin_client, site_a):
        voidable = [open_invoice(site_a)[0] for _ in range(2)]
        paid, _ = open_invoice(site_a)
        record_manual_payment(paid, reason="Transfer", by=None)
        response = admin_client.post(bulk_url("void", [*voidable, paid]), {"reason": ""})
        assert response.status_code == 200 and "This field is required." in response.content.decode()
        assert not BulkJob.objects.exists()
        job, page = run(admin_client, "void", [*voidable, paid], {"reason": "Duplicates"})
        assert statuses(voidable) == ["void", "void"] and statuses([paid]) == ["paid"]
        assert Invoice.objects.get(pk=voidable[0].pk).close_reason == "Duplicates"
        assert (job.succeeded, job.failed) == (2, 1)
        assert f"Invoice {paid.number} is paid and cannot become void." in page

    def test_mark_paid_records_the_balance_and_skips_processing_card_payments(self, admin_client, site_a, admin_user):
        payable, _ = open_invoice(site_a)
        processing, _ = open_invoice(site_a)
        Payment.objects.create(
            invoice=processing, method="stripe", status="processing", amount="100.00", currency="EUR",
            provider_reference="pi_processing",
        )  # fmt: skip
        draft = draft_invoice(site_a)
        job, page = run(admin_client, "mark_paid", [payable, processing, draft], {"reason": "Bank statement 12"})
        assert statuses([payable, processing, draft]) == ["paid", "open", "draft"]
        payment = Payment.objects.get(invoice=payable)
        assert (payment.method, payment.note, payment.recorded_by) == ("manual", "Bank statement 12", admin_user)
        assert (job.succeeded, job.failed) == (1, 2)
        assert "still processing" in page and "A draft cannot receive payments; issue it first." in page

    def test_mark_uncollectible(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        draft = draft_invoice(site_a)
        job, page = run(admin_client, "mark_uncollectible", [invoice, draft], {"reason": ""})
        assert statuses([invoice, draft]) == ["uncollectible", "draft"]
        assert (job.succeeded, job.failed) == (1, 1)

    def test_send_email_issues_drafts_resends_open_ones_and_skips_void(self, admin_client, site_a):
        draft = draft_invoice(site_a)
        invoice, _ = open_invoice(site_a)
        void, _ = open_invoice(site_a)
        invoice_services.void_invoice(void, reason="Duplicate")
        job, page = run(admin_client, "send_email", [draft, invoice, void])
        assert statuses([draft]) == ["open"]
        assert sorted(OutboundEmail.objects.values_list("invoice_id", "kind")) == sorted(
            [(draft.pk, "invoice"), (invoice.pk, "invoice")]
        )
        assert (job.succeeded, job.failed) == (2, 1)
        assert "is void; only open invoices are sent or reminded." in page


VOIDER = (ACCESS_ADMIN, "view_invoice", "void_invoice")


class TestScoping:
    def test_another_websites_invoices_are_not_found(self, client, site_a, site_b):
        theirs, _ = open_invoice(site_b)
        client.force_login(billing_staff(site_a))
        assert client.get(bulk_url("void", [theirs])).status_code == 404
        assert client.post(bulk_url("void", [theirs]), {"reason": "x"}).status_code == 404
        assert statuses([theirs]) == ["open"] and not BulkJob.objects.exists()

    def test_mixed_selection_acts_on_own_website_only(self, client, site_a, site_b):
        ours, _ = open_invoice(site_a)
        theirs, _ = open_invoice(site_b)
        client.force_login(billing_staff(site_a, permissions=VOIDER))
        job, _ = run(client, "void", [ours, theirs], {"reason": "Duplicate"})
        assert statuses([ours, theirs]) == ["void", "open"] and job.invoice_ids == [ours.pk]

    def test_access_withdrawn_before_the_job_runs(self, site_a):
        invoice, _ = open_invoice(site_a)
        staff = billing_staff(site_a, permissions=VOIDER)
        job = bulk.start_bulk_job("void", [invoice], by=staff, params={"reason": "x"})
        staff.groups.clear()
        bulk.run_bulk_job(job.pk)
        job.refresh_from_db()
        assert job.failed == 1 and "you may no longer do this to it" in job.failures[0]["reason"]
        assert statuses([invoice]) == ["open"]

    def test_the_permission_withdrawn_before_the_job_runs(self, site_a):
        """Still billing for the website, but no longer allowed to void there: nothing is voided."""
        invoice, _ = open_invoice(site_a)
        staff = billing_staff(site_a, permissions=VOIDER)
        job = bulk.start_bulk_job("void", [invoice], by=staff, params={"reason": "x"})
        staff.groups.get().permissions.remove(Permission.objects.get(codename="void_invoice"))
        bulk.run_bulk_job(job.pk)
        job.refresh_from_db()
        assert job.failed == 1 and "you may no longer do this to it" in job.failures[0]["reason"]
        assert statuses([invoice]) == ["open"]


class TestJobRunner:
    def test_counts_are_saved_as_each_invoice_is_done(self, site_a, admin_user, monkeypatch):
        invoices = [draft_invoice(site_a) for _ in range(3)]
        seen = []

        def probe(invoice, *, by):
            seen.append(BulkJob.objects.get(pk=job.pk).processed)  # what the progress page would read

        monkeypatch.setitem(bulk.BULK_ACTIONS, "issue", replace(bulk.BULK_ACTIONS["issue"], run=probe))
        job = bulk.start_bulk_job("issue", invoices, by=admin_user)
        bulk.run_bulk_job(job.pk)
        assert seen == [0, 1, 2]

    def test_an_unexpected_error_fails_one_invoice_only(self, site_a, admin_user, monkeypatch):
        invoices = [draft_invoice(site_a) for _ in range(2)]

        def explode_on_first(invoice, *, by):
            if invoice.pk == invoices[0].pk:
                raise RuntimeError("disk full")
            invoice_services.issue_invoice(invoice, by=by)

        monkeypatch.setitem(bulk.BULK_ACTIONS, "issue", replace(bulk.BULK_ACTIONS["issue"], run=explode_on_first))
        job = bulk.start_bulk_job("issue", invoices, by=admin_user)
        bulk.run_bulk_job(job.pk)
        job.refresh_from_db()
        assert (job.succeeded, job.failed) == (1, 1) and "disk full" not in job.failures[0]["reason"]
        assert statuses(invoices) == ["draft", "open"]

    def test_a_job_runs_once(self, site_a, admin_user):
        invoice = draft_invoice(site_a)
        job = bulk.start_bulk_job("issue", [invoice], by=admin_user)
        bulk.run_bulk_job(job.pk)
        assert bulk.run_bulk_job(job.pk) is None
        job.refresh_from_db()
        assert (job.succeeded, job.failed) == (1, 0)

    def test_a_running_job_page_refreshes_itself(self, admin_client, site_a, admin_user):
        job = bulk.start_bulk_job("issue", [draft_invoice(site_a)], by=admin_user)
        page = admin_client.get(reverse("invoicing_jobs:detail", args=[job.pk])).content.decode()
        assert 'http-equiv="refresh"' in page and "0 of 1 invoices processed" in page
