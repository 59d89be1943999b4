"""Bulk actions on many invoices, run as a ``BulkJob`` by a background task. Each invoice goes
through the same service as the single action, in its own transaction: one invoice's failure is
recorded with its reason, and the others still go through."""

import logging
import secrets
import tempfile
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..conf import invoicing_settings
from ..core.exceptions import InvoicingError
from ..models import BulkJob, Invoice
from ..models.access import billing_sites, scope_to_user
from .actions import ACTIONS
from .documents import invoice_pdf, pdf_filename
from .invoices import describe

logger = logging.getLogger(__name__)

EXPORTS_DIR = "invoicing/exports"
# A project may keep the exports elsewhere (a bucket without public access, say) under this alias.
EXPORTS_STORAGE = "invoicing_exports"


# The archive of PDFs is the one bulk action that is not an action on each invoice (``ACTIONS``).
DOWNLOAD_PDFS = "download_pdfs"
BULK_ACTIONS = {name: ACTIONS[name] for name in ("issue", "send_email", "mark_paid", "void", "mark_uncollectible")}


def action_label(action):
    if action == DOWNLOAD_PDFS:
        return gettext_lazy("Download PDFs")
    return BULK_ACTIONS[action].label if action in BULK_ACTIONS else action


def start_bulk_job(action, invoices, *, by, params=None):
    """Record a job for ``action`` on ``invoices`` (already narrowed to ``by``'s websites); the
    caller enqueues the task that runs it."""
    if action not in BULK_ACTIONS and action != DOWNLOAD_PDFS:
        raise ValueError(f"Unknown bulk action {action!r}")
    invoice_ids = [invoice.pk for invoice in invoices]
    return BulkJob.objects.create(
        action=action, created_by=by, params=params or {}, invoice_ids=invoice_ids, total=len(invoice_ids)
    )


def _label(invoice):
    return f"{describe(invoice)} · {invoice.site.site_name or invoice.site.hostname}"


def _invoices(job):
    """The job's invoices in the order chosen, looked up again through the starter's access: access
    withdrawn since the job was queued also withdraws the invoices."""
    found = scope_to_user(Invoice.objects.select_related("site", "client"), job.created_by).in_bulk(job.invoice_ids)
    return [(pk, found.get(pk)) for pk in job.invoice_ids]


def _record(job, invoice_pk, invoice, error=None):
    """Count one invoice as done, saved at once so that the progress page sees the counts grow."""
    if error is None:
        job.succeeded += 1
        job.save(update_fields=["succeeded"])
        return
    job.failed += 1
    job.failures.append(
        {"invoice": invoice_pk, "label": _label(invoice) if invoice else _("Invoice #%s") % invoice_pk, "reason": error}
    )
    job.save(update_fields=["failed", "failures"])


def _run_one(job, invoice, each):
    """One invoice through its service: ``None`` when it went through, else the reason for people."""
    try:
        with transaction.atomic():
            each(invoice)
    except InvoicingError as exc:
        return exc.message
    except Exception:
        # Whatever breaks for one invoice must not stop the others: logged in full, shown briefly.
        logger.exception("Bulk job %s: %s failed for invoice %s", job.pk, job.action, invoice.pk)
        return _("An unexpected error occurred; it has been logged for the administrators.")
    return None


def _each_invoice(job, each):
    for invoice_pk, invoice in _invoices(job):
        if invoice is None:
            _record(job, invoice_pk, None, _("This invoice no longer exists, or you no longer have access to it."))
            continue
        _record(job, invoice_pk, invoice, _run_one(job, invoice, each))


class PrivateExportStorage(FileSystemStorage):
    """A directory that no URL leads to: a ZIP holds many clients' invoices, so it leaves only
    through the download view, which checks who asks."""

    def url(self, name):
        raise ValueError("Bulk exports have no URL; the admin's download view serves them.")


def exports_storage():
    """Where the ZIPs of PDF jobs are kept: the project's ``invoicing_exports`` storage if it
    defines one, else ``INVOICING_EXPORTS_ROOT``. Never the default storage, whose files production
    serves to anyone under MEDIA_URL; the system check ``invoicing.E005`` keeps the two apart."""
    if EXPORTS_STORAGE in settings.STORAGES:
        return storages[EXPORTS_STORAGE]
    return PrivateExportStorage(
        location=invoicing_settings.exports_root, file_permissions_mode=0o600, directory_permissions_mode=0o700
    )


def _build_pdf_archive(job):
    """Every invoice's PDF in one ZIP, kept in the private exports storage for the job's owner to
    download, with the websites it holds: the download checks the owner still bills for each."""
    sites = set()

    def add_pdf(invoice):
        archive.writestr(pdf_filename(invoice), invoice_pdf(invoice))
        sites.add(invoice.site_id)

    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            _each_invoice(job, add_pdf)
        if job.succeeded:
            # A random name: even in the private storage, a name is never guessed from a job's id.
            name = f"{EXPORTS_DIR}/invoices-{job.pk}-{secrets.token_urlsafe(16)}.zip"
            saved = exports_storage().save(name, File(spool, name=name))
            job.params = {**job.params, "archive": saved, "archive_sites": sorted(sites)}
            job.save(update_fields=["params"])


def run_bulk_job(job_id):
    """Run a queued job once; a job that already started (a duplicate task) is left alone."""
    claimed = BulkJob.objects.filter(pk=job_id, status=BulkJob.Status.QUEUED).update(
        status=BulkJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = BulkJob.objects.select_related("created_by").get(pk=job_id)
    try:
        if job.action == DOWNLOAD_PDFS:
            _build_pdf_archive(job)
        else:
            action = BULK_ACTIONS[job.action]
            _each_invoice(job, lambda invoice: action.run(invoice, by=job.created_by, **job.params))
    finally:
        job.status, job.finished_at = BulkJob.Status.DONE, timezone.now()
        job.save(update_fields=["status", "finished_at"])
    return job


def archive_of(job):
    """The storage name of a finished PDF job's ZIP, or ``None`` (none was made, or it expired)."""
    if job.action != DOWNLOAD_PDFS or job.status != BulkJob.Status.DONE:
        return None
    return job.params.get("archive")


def archive_expired(job):
    """Whether a finished PDF job's ZIP was made, then purged (``purge_expired_archives``)."""
    finished_pdf_job = job.action == DOWNLOAD_PDFS and job.status == BulkJob.Status.DONE
    return finished_pdf_job and job.succeeded > 0 and not archive_of(job)


def archive_for(job, user):
    """``job``'s ZIP if ``user`` still bills for every website whose invoices it holds, else
    ``None``: access withdrawn after the export withdraws the archive too."""
    name = archive_of(job)
    held = set(job.params.get("archive_sites", []))
    if name and held <= set(billing_sites(user).filter(pk__in=held).values_list("pk", flat=True)):
        return name
    return None


def purge_expired_archives():
    """Delete the ZIPs of PDF jobs that finished more than ``INVOICING_EXPORT_MAX_AGE_HOURS`` ago:
    a batch of invoices must not outlive its use on disk. Returns how many were deleted."""
    finished_before = timezone.now() - timedelta(hours=invoicing_settings.INVOICING_EXPORT_MAX_AGE_HOURS)
    expired = BulkJob.objects.filter(
        action=DOWNLOAD_PDFS, status=BulkJob.Status.DONE, finished_at__lt=finished_before, params__has_key="archive"
    )
    storage = exports_storage()
    for job in expired:
        storage.delete(job.params.pop("archive"))
        job.save(update_fields=["params"])
    return len(expired) + _delete_public_exports(storage)


def _delete_public_exports(storage):
    """Releases before the private storage left their ZIPs under ``EXPORTS_DIR`` in the default
    storage, which production serves publicly: the first purge after an upgrade deletes them."""
    if getattr(storage, "location", None) == getattr(default_storage, "location", None):
        return 0  # one and the same place: these are the private ZIPs (and check E005 says so)
    try:
        _directories, files = default_storage.listdir(EXPORTS_DIR)
    except FileNotFoundError:
        return 0
    for file in files:
        default_storage.delete(f"{EXPORTS_DIR}/{file}")
    logger.warning("Deleted %s bulk-export ZIP(s) that an older release left in the public storage", len(files))
    return len(files)
