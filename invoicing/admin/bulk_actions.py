"""Bulk actions on invoices, from the snippet listing. Each one confirms, then queues a ``BulkJob``
that a task runs invoice by invoice (``services.bulk``), and shows the job's progress page."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from ..models import Invoice
from ..services.actions import ACTIONS
from ..services.bulk import DOWNLOAD_PDFS, start_bulk_job
from ..tasks import run_bulk_job
from .access import SiteScopedBulkActionMixin
from .forms import OptionalReasonForm, ReasonForm


class InvoiceJobBulkAction(SiteScopedBulkActionMixin, SnippetBulkAction):
    """The bulk form of an action declared in ``services.actions.ACTIONS`` (``action_type``)."""

    template_name = "invoicing/admin/bulk_confirm.html"
    intro = ""

    @classproperty
    def models(cls):
        return [Invoice]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if action := ACTIONS.get(cls.action_type):
            cls.display_name, cls.permission_required = action.label, action.permission

    def check_perm(self, invoice):
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, self.permission_required, invoice
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.display_name, intro=self.intro, **kwargs)

    def prepare_action(self, invoices, invoices_without_access):
        # The work happens in a task, not in this request nor in the base class's transaction
        # around ``execute_action``: queue the job, then show its progress.
        if not invoices:
            messages.error(self.request, _("None of the selected invoices can be changed by you."))
            return redirect(self.next_url)
        job = start_bulk_job(self.action_type, invoices, by=self.request.user, params=self.cleaned_form.cleaned_data)
        run_bulk_job.enqueue(job.pk)
        return redirect("invoicing_jobs:detail", job.pk)


class IssueBulkAction(InvoiceJobBulkAction):
    action_type = "issue"
    aria_label = _("Issue the selected draft invoices")
    intro = _("Each draft gets its number and a payment link. Invoices that are not drafts are reported and skipped.")
    action_priority = 10


class SendEmailBulkAction(InvoiceJobBulkAction):
    action_type = "send_email"
    aria_label = _("Email the selected invoices to their clients")
    intro = _(
        "Drafts are issued and sent; open invoices are sent again with a fresh payment link. "
        "Paid and void invoices are reported and skipped."
    )
    action_priority = 11


class MarkPaidBulkAction(InvoiceJobBulkAction):
    action_type = "mark_paid"
    aria_label = _("Record a manual payment of the balance for each selected invoice")
    intro = _("A manual payment of its balance is recorded for each invoice, with this reason.")
    form_class = ReasonForm
    action_priority = 12


class MarkUncollectibleBulkAction(InvoiceJobBulkAction):
    action_type = "mark_uncollectible"
    aria_label = _("Write the selected invoices off as uncollectible")
    intro = _("Open invoices are written off as bad debt; money that arrives later still settles them.")
    form_class = OptionalReasonForm
    action_priority = 13


class VoidBulkAction(InvoiceJobBulkAction):
    action_type = "void"
    aria_label = _("Void the selected invoices")
    intro = _("Voided invoices are cancelled for good and their payment links stop working.")
    form_class = ReasonForm
    action_priority = 14
    classes = {"serious"}


class PauseRemindersBulkAction(InvoiceJobBulkAction):
    action_type = "pause_reminders"
    aria_label = _("Pause the scheduled reminders of the selected invoices")
    intro = _("No scheduled reminder goes to these clients until resumed. Invoices that are not open are skipped.")
    action_priority = 15


class ResumeRemindersBulkAction(InvoiceJobBulkAction):
    action_type = "resume_reminders"
    aria_label = _("Resume the scheduled reminders of the selected invoices")
    intro = _("Each invoice's next step goes on its own date; steps due while paused are skipped, never sent at once.")
    action_priority = 16


class DownloadPdfsBulkAction(InvoiceJobBulkAction):
    display_name = _("Download PDFs")
    action_type = DOWNLOAD_PDFS
    aria_label = _("Download the selected invoices as PDFs in a ZIP file")
    intro = _("The PDFs are gathered into one ZIP file, offered for download when it is ready.")
    permission_required = "view"
    action_priority = 20


INVOICE_BULK_ACTIONS = [
    IssueBulkAction,
    SendEmailBulkAction,
    MarkPaidBulkAction,
    MarkUncollectibleBulkAction,
    VoidBulkAction,
    PauseRemindersBulkAction,
    ResumeRemindersBulkAction,
    DownloadPdfsBulkAction,
]
