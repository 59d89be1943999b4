"""The progress page of a bulk action (a ``BulkJob``): counts, the failures with their reasons, and
for a PDF export, the ZIP to download. Only the job's creator, or a superuser, may see it."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from ..conf import invoicing_settings
from ..models import BulkJob, Invoice
from ..services.bulk import action_label, archive_expired, archive_for, exports_storage

REFRESH_SECONDS = 2


def job_for(user, pk):
    """Another person's job answers 404, as if it did not exist (superusers see every job)."""
    jobs = BulkJob.objects.all() if user.is_superuser else BulkJob.objects.filter(created_by=user)
    return get_object_or_404(jobs, pk=pk)


class BulkJobView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "invoicing/admin/job_progress.html"
    header_icon = "tasks"

    def setup(self, request, pk, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.job = job_for(request.user, pk)

    def get_page_title(self):
        return _("Bulk action: %(action)s") % {"action": action_label(self.job.action)}

    def get_page_subtitle(self):
        return self.job.get_status_display()

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(Invoice.snippet_viewset.get_url_name("list")),
                "label": capfirst(Invoice._meta.verbose_name_plural),
            },
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        job = self.job
        inspect_url_name = Invoice.snippet_viewset.get_url_name("inspect")
        failures = [
            {**failure, "url": reverse(inspect_url_name, args=[failure["invoice"]])} for failure in job.failures
        ]
        finished = job.status == BulkJob.Status.DONE
        downloadable = archive_for(job, self.request.user)
        return super().get_context_data(
            job=job,
            failures=failures,
            remaining=job.total - job.processed,
            refresh_seconds=None if finished else REFRESH_SECONDS,
            download_url=reverse("invoicing_jobs:download", args=[job.pk]) if downloadable else None,
            archive_expired=archive_expired(job),
            export_max_age_hours=invoicing_settings.INVOICING_EXPORT_MAX_AGE_HOURS,
            invoices_url=reverse(Invoice.snippet_viewset.get_url_name("list")),
            **kwargs,
        )


class BulkJobDownloadView(View):
    """The ZIP of a PDF job, from the private exports storage: to its owner (or a superuser) while
    they bill for every website in it, and never kept by a browser's or a proxy's cache."""

    def get(self, request, pk):
        name = archive_for(job_for(request.user, pk), request.user)
        storage = exports_storage()
        if not name or not storage.exists(name):
            raise Http404
        response = FileResponse(storage.open(name), as_attachment=True, filename=f"invoices-{pk}.zip")
        response["Cache-Control"] = "private, no-store"
        return response


class BulkJobViewSet(ViewSet):
    name = "invoicing_jobs"
    url_prefix = "invoicing/jobs"

    def get_urlpatterns(self):
        return [
            path("<int:pk>/", BulkJobView.as_view(), name="detail"),
            path("<int:pk>/download/", BulkJobDownloadView.as_view(), name="download"),
        ]
