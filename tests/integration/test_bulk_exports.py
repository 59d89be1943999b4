"""Bulk exports (a ZIP of invoice PDFs): kept in private storage, never under MEDIA_ROOT, served
only to their owner while they still bill for every website in the archive, and purged after
INVOICING_EXPORT_MAX_AGE_HOURS."""

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from invoicing.admin.jobs import BulkJobDownloadView
from invoicing.checks import check_exports_are_private
from invoicing.models import BulkJob, SiteBillingAccess
from invoicing.services import bulk
from tests.factories import EVERY_BILLING_PERMISSION, billing_staff, draft_invoice, open_invoice
from tests.integration.test_admin_bulk_actions import run


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    settings.INVOICING_EXPORTS_ROOT = tmp_path / "exports"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.INVOICING_EXPORTS_ROOT


def export(invoices, *, by):
    """A PDF export run to its end by the task, as the admin's bulk action would start it."""
    job = bulk.start_bulk_job(bulk.DOWNLOAD_PDFS, invoices, by=by)
    bulk.run_bulk_job(job.pk)
    job.refresh_from_db()
    return job


def download_url(job):
    return reverse("invoicing_jobs:download", args=[job.pk])


def progress_page(client, job):
    return client.get(reverse("invoicing_jobs:detail", args=[job.pk])).content.decode()


class TestPrivateStorage:
    def test_the_zip_is_kept_outside_media_root_with_no_url(self, client, settings, site_a, admin_user, exports_root):
        job = export([open_invoice(site_a)[0]], by=admin_user)
        name = job.params["archive"]
        stored = Path(bulk.exports_storage().path(name))
        assert stored.is_file() and stored.is_relative_to(exports_root)
        assert not stored.is_relative_to(settings.MEDIA_ROOT) and not default_storage.exists(name)
        with pytest.raises(ValueError, match="no URL"):
            bulk.exports_storage().url(name)
        assert client.get(settings.MEDIA_URL + name).status_code == 404

    def test_a_project_storage_alias_is_used(self, settings, tmp_path):
        settings.STORAGES = {
            **settings.STORAGES,
            bulk.EXPORTS_STORAGE: {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": tmp_path / "bucket"},
            },
        }
        assert bulk.exports_storage().location == str(tmp_path / "bucket")


class TestDownload:
    def test_the_owner_downloads_a_zip_of_each_pdf(self, admin_client, site_a):
        invoices = [open_invoice(site_a)[0] for _ in range(2)] + [draft_invoice(site_a)]
        job, page = run(admin_client, "download_pdfs", invoices)
        assert download_url(job) in page and job.succeeded == 3
        response = admin_client.get(download_url(job))
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        expected = {f"invoice-{i.number}.pdf" for i in invoices[:2]} | {f"invoice-draft-{invoices[2].pk}.pdf"}
        assert set(archive.namelist()) == expected
        for invoice in invoices[:2]:
            text = PdfReader(io.BytesIO(archive.read(f"invoice-{invoice.number}.pdf"))).pages[0].extract_text()
            assert invoice.number in text

    def test_the_view_itself_forbids_caching(self, rf, site_a, admin_user):
        # Wagtail's admin URLs add never_cache; the view must not depend on where it is mounted.
        job = export([open_invoice(site_a)[0]], by=admin_user)
        request = rf.get(download_url(job))
        request.user = admin_user
        response = BulkJobDownloadView.as_view()(request, pk=job.pk)
        assert response["Cache-Control"] == "private, no-store"
        response.close()

    def test_anonymous_is_sent_to_the_login_page(self, client, site_a, admin_user):
        job = export([open_invoice(site_a)[0]], by=admin_user)
        response = client.get(download_url(job))
        assert response.status_code == 302 and response["Location"].startswith(reverse("wagtailadmin_login"))
        assert not getattr(response, "streaming", False)

    def test_another_staff_user_of_the_same_website_gets_404(self, client, site_a, acme_clerk):
        job = export([open_invoice(site_a)[0]], by=acme_clerk)
        client.force_login(billing_staff(site_a, username="colleague", permissions=EVERY_BILLING_PERMISSION))
        assert client.get(download_url(job)).status_code == 404
        assert client.get(reverse("invoicing_jobs:detail", args=[job.pk])).status_code == 404

    def test_access_withdrawn_from_one_website_in_the_zip_withdraws_the_zip(self, client, site_a, site_b):
        clerk = billing_staff(site_a, site_b, username="both-sites", permissions=EVERY_BILLING_PERMISSION)
        job = export([open_invoice(site_a)[0], open_invoice(site_b)[0]], by=clerk)
        client.force_login(clerk)
        assert client.get(download_url(job)).status_code == 200
        SiteBillingAccess.objects.filter(group__user=clerk, site=site_b).delete()
        assert client.get(download_url(job)).status_code == 404
        assert download_url(job) not in progress_page(client, job)


class TestPurge:
    def test_old_zips_are_deleted_and_new_ones_kept(self, settings, client, site_a, admin_user):
        settings.INVOICING_EXPORT_MAX_AGE_HOURS = 2
        old, new = (export([open_invoice(site_a)[0]], by=admin_user) for _ in range(2))
        BulkJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(hours=3))
        BulkJob.objects.filter(pk=new.pk).update(finished_at=timezone.now() - timedelta(hours=1))
        storage = bulk.exports_storage()
        out = io.StringIO()
        call_command("purge_invoicing_exports", stdout=out)
        assert out.getvalue().strip() == "1 export(s) deleted."
        assert not storage.exists(old.params["archive"]) and storage.exists(new.params["archive"])
        old.refresh_from_db()
        assert "archive" not in old.params

    def test_zips_an_older_release_left_in_the_public_storage_are_deleted(self, db):
        legacy = default_storage.save(f"{bulk.EXPORTS_DIR}/invoices-7-abc.zip", ContentFile(b"PK"))
        logo = default_storage.save("images/logo.png", ContentFile(b"png"))
        assert bulk.purge_expired_archives() == 1
        assert not default_storage.exists(legacy) and default_storage.exists(logo)

    def test_an_expired_zip_is_not_found_and_its_page_says_so(self, admin_client, site_a, admin_user):
        job = export([open_invoice(site_a)[0]], by=admin_user)
        BulkJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=25))
        assert bulk.purge_expired_archives() == 1
        assert admin_client.get(download_url(job)).status_code == 404
        page = progress_page(admin_client, job)
        assert "The ZIP file has expired" in page and download_url(job) not in page


class TestSystemCheck:
    def test_exports_inside_media_root_are_an_error(self, settings):
        settings.INVOICING_EXPORTS_ROOT = Path(settings.MEDIA_ROOT) / "exports"
        assert [error.id for error in check_exports_are_private()] == ["invoicing.E005"]

    def test_a_storage_alias_inside_media_root_is_an_error(self, settings):
        settings.STORAGES = {
            **settings.STORAGES,
            bulk.EXPORTS_STORAGE: {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": settings.MEDIA_ROOT},
            },
        }
        assert [error.id for error in check_exports_are_private()] == ["invoicing.E005"]

    def test_exports_beside_media_root_pass(self):
        assert check_exports_are_private() == []
