"""Bulk actions on many invoices, run as a ``BulkJob`` by a background task. Each invoice goes
through the same service as the single action, in its own transaction: one invoice's failure is
recorded with its reason, and the others still go through.

Each invoice is handled exactly once, even when a worker dies: the action on an invoice and the
job's cursor commit together, a running job is leased to one worker that keeps a heartbeat, and
``resume_stalled_jobs`` (run every minute by ``manage.py send_due_emails``) queues a silent job
again, to resume at its cursor. The PDF export is the exception: it restarts from scratch."""

import logging
import secrets
import tempfile
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.db import transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..conf import invoicing_settings
from ..core.exceptions import InvoicingError
from ..models import BulkJob, Invoice
from ..models.access import billing_sites, scope_to_user, sites_granting
from .actions import ACTIONS
from .documents import invoice_pdf, pdf_filename
from .invoices import describe

logger = logging.getLogger(__name__)

EXPORTS_DIR = "invoicing/exports"
# A project may keep the exports elsewhere (a bucket without public access, say) under this alias.
EXPORTS_STORAGE = "invoicing_exports"


# The archive of PDFs is the one bulk action that is not an action on each invoice (``ACTIONS``).
DOWNLOAD_PDFS = "download_pdfs"
BULK_ACTIONS = {
    name: ACTIONS[name]
    for name in ("issue", "send_email", "mark_paid", "void", "mark_uncollectible")
    + ("pause_reminders", "resume_reminders")
}


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
        action=action,
        created_by=by,
        params=params or {},
        invoice_ids=invoice_ids,
        total=len(invoice_ids),
        heartbeat_at=timezone.now(),
    )


def _label(invoice):
    return f"{describe(invoice)} · {invoice.site.site_name or invoice.site.hostname}"


def _permission(job):
    """The invoice permission the job's action needs, on each invoice's website."""
    return ACTIONS["pdf" if job.action == DOWNLOAD_PDFS else job.action].permission


def _invoices(job, invoice_ids):
    """``invoice_ids`` by id, looked up again through the starter's access and their permission
    for the action on each invoice's website: either withdrawn since the job was queued also
    withdraws the invoices (missing from the answer)."""
    invoices = scope_to_user(Invoice.objects.select_related("site", "client"), job.created_by)
    allowed = sites_granting(job.created_by, f"invoicing.{_permission(job)}_invoice")
    return invoices.filter(site__in=allowed).in_bulk(invoice_ids)


def _record(job, invoice_pk, invoice, error=None):
    """Count one invoice as done, in memory; ``_handle_next`` saves it with the cursor."""
    if error is None:
        job.succeeded += 1
        return
    job.failed += 1
    job.failures.append(
        {"invoice": invoice_pk, "label": _label(invoice) if invoice else _("Invoice #%s") % invoice_pk, "reason": error}
    )


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


class LeaseLost(Exception):
    """The job is no longer this run's: the sweep took it back after a silence longer than the
    lease, and another run may hold it now. This run stops without touching it."""


def _leased(job_id, token):
    """The job under a row lock, if ``token``'s run still holds it."""
    job = (
        BulkJob.objects.select_for_update(of=("self",))
        .filter(pk=job_id, status=BulkJob.Status.RUNNING, lease_token=token)
        .first()
    )
    if job is None:
        raise LeaseLost(job_id)
    return job


def _handle_next(job_id, token, invoices, each):
    """The invoice at the cursor through ``each``, and the job's progress (counts, failures,
    cursor, heartbeat), in one transaction: a worker that dies before the commit leaves both
    undone, one that dies after leaves both done. Returns ``False`` when no invoice is left.

    The job's row lock is held throughout, so a run that lost its lease waits here and then finds
    its token gone: two runs never handle the same invoice."""
    with transaction.atomic():
        job = _leased(job_id, token)
        if job.cursor >= len(job.invoice_ids):
            return False
        invoice_pk = job.invoice_ids[job.cursor]
        invoice = invoices.get(invoice_pk)
        if invoice is None:
            error = _("This invoice no longer exists, or you may no longer do this to it.")
        else:
            error = _run_one(job, invoice, each)
        _record(job, invoice_pk, invoice, error)
        job.cursor += 1
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["succeeded", "failed", "failures", "cursor", "heartbeat_at"])
    return True


def _each_invoice(job, token, each):
    invoices = _invoices(job, job.invoice_ids[job.cursor :])
    while _handle_next(job.pk, token, invoices, each):
        pass


def _claim(job_id):
    """Compare-and-set from queued to running, with a new lease token: of two workers given the
    same job, one gets the token, the other nothing. Returns the token, or ``None``."""
    token = secrets.token_hex(16)
    now = timezone.now()
    claimed = BulkJob.objects.filter(pk=job_id, status=BulkJob.Status.QUEUED).update(
        status=BulkJob.Status.RUNNING,
        lease_token=token,
        heartbeat_at=now,
        runs=F("runs") + 1,
        started_at=Coalesce(F("started_at"), Value(now, output_field=DateTimeField())),
    )
    return token if claimed else None


def _finish(job, token, **changes):
    """Running to done, if this run still holds the lease. Returns whether it did."""
    return bool(
        BulkJob.objects.filter(pk=job.pk, status=BulkJob.Status.RUNNING, lease_token=token).update(
            status=BulkJob.Status.DONE, finished_at=timezone.now(), lease_token="", **changes
        )
    )


def run_bulk_job(job_id):
    """Run a queued job, or resume one that the sweep (``resume_stalled_jobs``) queued again after
    its worker stopped: the invoices before the cursor are done, and are not done again. A job that
    is running (a duplicate task) or done is left alone. Returns the job, or ``None``."""
    token = _claim(job_id)
    if token is None:
        return None
    job = BulkJob.objects.select_related("created_by").get(pk=job_id)
    try:
        if job.action == DOWNLOAD_PDFS:
            _build_pdf_archive(job, token)
        else:
            action = BULK_ACTIONS[job.action]
            _each_invoice(job, token, lambda invoice: action.run(invoice, by=job.created_by, **job.params))
            _finish(job, token)
    except LeaseLost:
        logger.warning("Bulk job %s: the lease expired while this worker ran it; it stops here", job_id)
        return None
    # Anything else (the database gone, say) leaves the job running: the sweep resumes it.
    job.refresh_from_db()
    return job


# A job whose worker stopped this many times (an invoice that kills the worker, say) is given up.
MAX_RUNS = 5


def resume_stalled_jobs(now=None):
    """Queue again the jobs whose worker stopped, for ``tasks.run_bulk_job`` to resume; returns
    their ids. A running job is stalled when its heartbeat is older than ``INVOICING_LEASE_SECONDS``
    (a lost worker); a queued one when it waited that long (a lost task). Each is taken back by a
    compare-and-set on the heartbeat seen, so a worker that comes back to life finds its lease gone,
    and two sweeps never both queue a job. After ``MAX_RUNS`` runs, a job is finished instead, its
    remaining invoices listed as not done."""
    now = now or timezone.now()
    cutoff = now - invoicing_settings.lease
    stalled = BulkJob.objects.filter(
        Q(status=BulkJob.Status.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=BulkJob.Status.QUEUED, heartbeat_at__lt=cutoff)
        | Q(status=BulkJob.Status.QUEUED, heartbeat_at__isnull=True, created_at__lt=cutoff)
    ).values_list("pk", "status", "heartbeat_at", "runs")
    queued = []
    for pk, status, heartbeat_at, runs in stalled:
        seen = BulkJob.objects.filter(pk=pk, status=status, heartbeat_at=heartbeat_at)
        if runs >= MAX_RUNS:
            _give_up(seen, now)
        elif seen.update(status=BulkJob.Status.QUEUED, lease_token="", heartbeat_at=now):
            logger.warning("Bulk job %s: no sign of life since %s; queued to resume", pk, heartbeat_at)
            queued.append(pk)
    return queued


def _give_up(seen, now):
    with transaction.atomic():
        job = seen.select_for_update(of=("self",)).select_related("created_by").first()
        if job is None:
            return
        remaining = job.invoice_ids[job.cursor :]
        invoices = _invoices(job, remaining)
        reason = _(
            "The task worker stopped %(runs)s times while running this action, so these invoices were "
            "not handled. Select them and run the action again."
        ) % {"runs": job.runs}
        for invoice_pk in remaining:
            _record(job, invoice_pk, invoices.get(invoice_pk), reason)
        job.cursor = len(job.invoice_ids)
        job.status, job.finished_at, job.lease_token, job.heartbeat_at = BulkJob.Status.DONE, now, "", now
        job.save()
    logger.error("Bulk job %s given up after %s runs; %s invoice(s) not handled", job.pk, job.runs, len(remaining))


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


def _build_pdf_archive(job, token):
    """Every invoice's PDF in one ZIP, kept in the private exports storage for the job's owner to
    download, with the websites it holds: the download checks the owner still bills for each.

    The ZIP grows in a temporary file that dies with its worker, so a resumed run starts again
    from the first invoice, with its counts back at zero: making a PDF changes nothing, so doing
    it twice is harmless. A worker that dies after saving the ZIP but before finishing the job
    leaves that ZIP behind, unreferenced."""
    if job.cursor:
        BulkJob.objects.filter(pk=job.pk, lease_token=token).update(cursor=0, succeeded=0, failed=0, failures=[])
        job.cursor, job.succeeded, job.failed, job.failures = 0, 0, 0, []
    sites = set()

    def add_pdf(invoice):
        archive.writestr(pdf_filename(invoice), invoice_pdf(invoice))
        sites.add(invoice.site_id)

    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            _each_invoice(job, token, add_pdf)
        job.refresh_from_db(fields=["succeeded", "params"])
        if not job.succeeded:
            _finish(job, token)
            return
        # A random name: even in the private storage, a name is never guessed from a job's id.
        name = f"{EXPORTS_DIR}/invoices-{job.pk}-{secrets.token_urlsafe(16)}.zip"
        storage = exports_storage()
        saved = storage.save(name, File(spool, name=name))
        if not _finish(job, token, params={**job.params, "archive": saved, "archive_sites": sorted(sites)}):
            storage.delete(saved)
            raise LeaseLost(job.pk)


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
