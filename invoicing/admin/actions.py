"""Actions on one invoice, beside its snippet views: issue, email, mark paid, void, write off,
rotate or revoke its payment link, download its PDF. Each one confirms on a page of its own, then
calls one service; a domain error comes back as Wagtail's error message, never as a 500."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.functional import classproperty
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, View
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from ..core.exceptions import InvoicingError
from ..core.lifecycle import COLLECTIBLE_STATES, InvoiceStatus
from ..core.money import format_money
from ..mail.kinds import EmailKind
from ..models import Invoice
from ..models.access import scope_to_user
from ..pay.headers import download_response
from ..services.actions import ACTIONS
from ..services.amounts_due import early_price
from ..services.documents import pdf_filename
from .discount_codes import DiscountCodeActionForm
from .forms import ManualPaymentForm, OptionalReasonForm, ReasonForm


def invoice_for(user, pk):
    """The invoice, if one of ``user``'s websites owns it; another website's invoice is a 404."""
    invoices = scope_to_user(Invoice.objects.select_related("site", "client", "payment_link"), user)
    return get_object_or_404(invoices, pk=unquote(str(pk)))


class DeclaredActionMixin:
    """A view of one action of ``services.actions.ACTIONS``: its label, permission and states."""

    action = None
    icon = ""

    @classproperty
    def label(cls):
        return cls.action.label

    @classproperty
    def permission_required(cls):
        return cls.action.permission

    @classmethod
    def applies_to(cls, invoice):
        return cls.action.applies_to(invoice)


class InvoicePdfView(DeclaredActionMixin, PermissionCheckedMixin, View):
    """The PDF of one invoice, as the admin sees it (without the pay link: its token is not stored)."""

    model = None
    action, icon = ACTIONS["pdf"], "download"

    def get(self, request, pk):
        invoice = invoice_for(request.user, pk)
        return download_response(self.action.run(invoice, by=request.user), pdf_filename(invoice))


class InvoiceActionView(DeclaredActionMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Confirm, then run the action's service with the form's fields. Subclasses say what the
    outcome means to people."""

    model = None
    index_url_name = None
    inspect_url_name = None
    template_name = "invoicing/admin/action_confirm.html"
    form_class = forms.Form
    intro = submit_label = ""

    def perform(self, form):
        """Run the service; return the success message, or a response to show instead."""
        return self.done(self.action.run(self.invoice, by=self.request.user, **form.cleaned_data))

    def done(self, outcome):
        raise NotImplementedError

    def setup(self, request, pk, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.invoice = invoice_for(request.user, pk)

    def get_page_title(self):
        return self.label

    def get_page_subtitle(self):
        return str(self.invoice)

    def get_header_icon(self):
        return self.icon

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": capfirst(Invoice._meta.verbose_name_plural)},
            {"url": self.get_success_url(), "label": str(self.invoice)},
            {"url": "", "label": self.label},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            invoice=self.invoice,
            intro=self.intro,
            submit_label=self.submit_label or self.label,
            cancel_url=self.get_success_url(),
            **kwargs,
        )

    def get_success_url(self):
        if next_url := get_valid_next_url_from_request(self.request):
            return next_url
        if self.inspect_url_name:
            return reverse(self.inspect_url_name, args=[quote(self.invoice.pk)])
        return reverse(self.index_url_name)

    def form_valid(self, form):
        try:
            outcome = self.perform(form)
        except InvoicingError as exc:
            messages.error(self.request, exc.message)
            return redirect(self.get_success_url())
        if hasattr(outcome, "status_code"):
            return outcome
        messages.success(self.request, outcome)
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        messages.error(self.request, _("Nothing was changed: please correct the errors below."))
        return super().form_invalid(form)


class IssueView(InvoiceActionView):
    action, icon = ACTIONS["issue"], "doc-full"
    intro = _("The invoice gets its number and a payment link. After that, it can no longer be edited.")

    def done(self, link):
        return _("Invoice %(number)s issued.") % {"number": self.invoice.number}


class SendEmailView(InvoiceActionView):
    """A draft is issued and sent, an open invoice is sent again or reminded (with a fresh link),
    a paid one gets its receipt again."""

    action, icon = ACTIONS["send_email"], "mail"
    template_name = "invoicing/admin/send_email.html"

    def kinds(self):
        if self.invoice.status == InvoiceStatus.DRAFT:
            return [(EmailKind.INVOICE, _("Issue the invoice and send it"))]
        if self.invoice.status in COLLECTIBLE_STATES:
            return [(EmailKind.INVOICE, _("Send the invoice again")), (EmailKind.REMINDER, _("Send a reminder"))]
        if self.invoice.payment is not None:
            return [(EmailKind.RECEIPT, _("Send the receipt again"))]
        return []

    def get_context_data(self, **kwargs):
        return super().get_context_data(kinds=self.kinds(), **kwargs)

    def post(self, request, *args, **kwargs):
        if request.POST.get("kind") not in dict(self.kinds()):
            messages.error(request, _("Choose what to send."))
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        return self.done(self.action.run(self.invoice, by=self.request.user, kind=self.request.POST["kind"]))

    def done(self, email):
        return _("%(kind)s for %(invoice)s is on its way to %(to)s.") % {
            "kind": email.get_kind_display(),
            "invoice": self.invoice,
            "to": email.to_email,
        }


class ApplyDiscountView(InvoiceActionView):
    action, icon = ACTIONS["apply_discount"], "tag"
    form_class = DiscountCodeActionForm
    intro = _("The draft's totals are computed again with the code's discount, shown as a line with the code.")
    submit_label = _("Apply the code")

    def done(self, invoice):
        return _("%(label)s applied to %(invoice)s.") % {"label": invoice.discount_label, "invoice": invoice}


class RemoveDiscountView(InvoiceActionView):
    action, icon = ACTIONS["remove_discount"], "bin"
    intro = _("The draft's totals are computed again without the discount; the code gets its use back.")
    submit_label = _("Remove the code")

    def done(self, invoice):
        return _("The discount code was removed from %(invoice)s.") % {"invoice": invoice}


class MarkPaidView(InvoiceActionView):
    action, icon = ACTIONS["mark_paid"], "circle-check"
    form_class = ManualPaymentForm
    intro = _("Record money received outside the card payment, such as a bank transfer or cash.")
    submit_label = _("Record the payment")

    def get_initial(self):
        # Within an early-payment discount's window, its price settles the invoice.
        return {"amount": early_price(self.invoice) or self.invoice.amount_due, "paid_on": timezone.localdate()}

    def done(self, result):
        return _("%(amount)s recorded for %(invoice)s.") % {
            "amount": format_money(result.payment.amount, result.payment.currency),
            "invoice": self.invoice,
        }


class VoidView(InvoiceActionView):
    action, icon = ACTIONS["void"], "circle-xmark"
    form_class = ReasonForm
    intro = _("A void invoice is cancelled for good: its payment link stops working, and its number stays used.")

    def done(self, outcome):
        return _("Invoice %(invoice)s voided.") % {"invoice": self.invoice.number}


class MarkUncollectibleView(InvoiceActionView):
    action, icon = ACTIONS["mark_uncollectible"], "warning"
    form_class = OptionalReasonForm
    intro = _("Write the invoice off as bad debt. Money that arrives later still settles it.")

    def done(self, outcome):
        return _("Invoice %(invoice)s marked uncollectible.") % {"invoice": self.invoice.number}


class RotateLinkView(InvoiceActionView):
    action, icon = ACTIONS["rotate_link"], "rotate"
    intro = _("The current payment link stops working, and a new one is made. It is shown once: copy it now.")
    submit_label = _("Make a new link")

    def done(self, link):
        # Only the token's hash is stored: this page is the one chance to copy the URL.
        response = TemplateResponse(
            self.request,
            "invoicing/admin/action_link_rotated.html",
            self.get_context_data(link=link, page_title=_("New payment link")),
        )
        add_never_cache_headers(response)
        return response


class RevokeLinkView(InvoiceActionView):
    action, icon = ACTIONS["revoke_link"], "lock"
    intro = _("The payment link stops working. The client can still ask for a fresh one from the old link's page.")
    submit_label = _("Revoke the link")

    def done(self, outcome):
        return _("The payment link of %(invoice)s was revoked.") % {"invoice": self.invoice.number}


class PauseRemindersView(InvoiceActionView):
    action, icon = ACTIONS["pause_reminders"], "no-view"
    intro = _("No scheduled reminder goes to the client until you resume them. Emails you send still go.")

    def done(self, outcome):
        return _("Reminders for %(invoice)s paused.") % {"invoice": self.invoice.number}


class ResumeRemindersView(InvoiceActionView):
    action, icon = ACTIONS["resume_reminders"], "resubmit"
    intro = _(
        "Reminders go on with the next step on its own date; the steps that fell due while they were "
        "paused are skipped, so the client gets no catch-up burst."
    )

    def done(self, outcome):
        return _("Reminders for %(invoice)s resumed.") % {"invoice": self.invoice.number}


# Below the base views it subclasses.
from .credit_notes import IssueCreditNoteView  # noqa: E402
from .plans import SetPlanView  # noqa: E402

# (path, view): the order is the order of the buttons; each URL is named after its action.
ACTION_VIEWS = [
    ("issue", IssueView),
    ("apply-discount", ApplyDiscountView),
    ("remove-discount", RemoveDiscountView),
    ("send", SendEmailView),
    ("mark-paid", MarkPaidView),
    ("rotate-link", RotateLinkView),
    ("revoke-link", RevokeLinkView),
    ("pause-reminders", PauseRemindersView),
    ("resume-reminders", ResumeRemindersView),
    ("uncollectible", MarkUncollectibleView),
    ("void", VoidView),
    ("plan", SetPlanView),
    ("credit-note", IssueCreditNoteView),
    ("pdf", InvoicePdfView),
]


def action_urlpatterns(viewset):
    """The URLs of the actions on one invoice, added to the invoice viewset's own."""
    return [
        path(f"{route}/<str:pk>/", viewset.construct_view(view), name=view.action.name) for route, view in ACTION_VIEWS
    ]


@dataclass(frozen=True)
class ActionButton:
    name: str
    label: str
    url: str
    icon: str


def available_actions(invoice, user, *, next_url=None):
    """The actions that ``user`` may take on ``invoice`` in its current state and on its website, for buttons."""
    viewset = Invoice.snippet_viewset
    policy = viewset.permission_policy
    query = "?" + urlencode({"next": next_url}) if next_url else ""
    return [
        ActionButton(
            name=view.action.name,
            label=str(view.label),
            url=reverse(viewset.get_url_name(view.action.name), args=[quote(invoice.pk)])
            + ("" if view is InvoicePdfView else query),
            icon=view.icon,
        )
        for _route, view in ACTION_VIEWS
        if view.applies_to(invoice) and policy.user_has_permission_for_instance(user, view.permission_required, invoice)
    ]
