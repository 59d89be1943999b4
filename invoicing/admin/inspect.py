"""One invoice, everything about it: lines and totals, payments and refunds, the payment link,
the emails and the timeline. A fixed number of queries, however long its history grows."""

from django.contrib.admin.utils import quote, unquote
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import Button, HeaderButton
from wagtail.snippets.views.snippets import InspectView

from ..core.lifecycle import InvoiceStatus
from ..core.money import from_minor_units
from ..models import AutoCharge, Client, Invoice, InvoiceEvent, InvoiceLine, OutboundEmail, Payment, PaymentLink, Refund
from ..models.access import scope_to_user
from ..services.amounts_due import instalment_states
from ..services.reminder_schedule import reminder_outlook
from .actions import available_actions
from .credit_notes import credit_notes_of
from .einvoices import einvoice_buttons
from .schedules import describe_period, schedule_url

# Actions shown as header buttons; the rest go to the header's "more" menu.
HEADER_ACTIONS = 2


def link_state(link, invoice):
    """What a payment-link version is now, for people: the pay page's rules, in words."""
    if link.ended_at is not None:
        return link.get_end_reason_display() or _("Ended")
    if link.pk != invoice.payment_link_id:
        return _("Replaced by a new link")
    if link.is_expired:
        return _("Expired")
    if link.currency != invoice.currency or link.amount_due_minor != invoice.amount_due_minor:
        return _("No longer matches the amount due")
    return _("Active")


def event_details(event):
    """An event's data as (label, value) pairs: ``{"amount_paid": "10.00"}`` reads "Amount paid: 10.00"."""
    return [(capfirst(key.replace("_", " ")), value) for key, value in (event.data or {}).items()]


def plan_schedule(invoice):
    """The payment plan's instalments with what is paid, open and overdue of each; [] without a plan."""
    today = timezone.localdate()
    return [{"state": state, "overdue": state.is_overdue(today)} for state in instalment_states(invoice)]


class InvoiceInspectView(InspectView):
    template_name = "invoicing/admin/invoice_inspect.html"

    def get_object(self, queryset=None):
        invoices = scope_to_user(
            Invoice.objects.select_related("site", "client", "issued_by", "payment_link", "schedule"), self.request.user
        )
        return get_object_or_404(invoices, pk=unquote(str(self.pk)))

    def get_fields(self):
        return []  # The template lays the invoice out itself.

    def get_delete_url(self):
        return super().get_delete_url() if self.user_has_permission_for_instance("delete", self.object) else None

    @cached_property
    def actions(self):
        return available_actions(self.object, self.request.user, next_url=self.request.path)

    @cached_property
    def header_buttons(self):
        # The first actions of the invoice's state in the header, the others in its "more" menu.
        return [
            HeaderButton(action.label, action.url, icon_name=action.icon, priority=10 + position)
            for position, action in enumerate(self.actions[:HEADER_ACTIONS])
        ]

    @cached_property
    def header_more_buttons(self):
        more = [
            Button(action.label, action.url, icon_name=action.icon, priority=10 + position)
            for position, action in enumerate(self.actions[HEADER_ACTIONS:])
        ]
        return more + einvoice_buttons(self.object) + super().header_more_buttons

    def get_edit_url(self):
        # An issued invoice is read-only: no "Edit" in the header or the breadcrumbs.
        return super().get_edit_url() if self.object.status == InvoiceStatus.DRAFT else None

    def get_context_data(self, **kwargs):
        invoice = self.object
        lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("sort_order", "id"))
        for line in lines:
            line.invoice = invoice  # its total needs the currency: no query per line
        payments = list(
            Payment.objects.filter(invoice=invoice)
            .select_related("recorded_by")
            .prefetch_related(Prefetch("refunds", queryset=Refund.objects.select_related("created_by")))
        )
        links = list(PaymentLink.objects.filter(invoice=invoice).select_related("created_by").order_by("-version"))
        for link in links:
            link.state = link_state(link, invoice)
            link.bound_amount = from_minor_units(link.amount_due_minor, link.currency)
        emails = list(OutboundEmail.objects.filter(invoice=invoice))
        email_inspect = OutboundEmail.snippet_viewset.get_url_name("inspect")
        for email in emails:
            email.inspect_url = reverse(email_inspect, args=[quote(email.pk)])
        events = list(
            InvoiceEvent.objects.filter(invoice=invoice).select_related("actor").order_by("-created_at", "-id")
        )
        for event in events:
            event.details = event_details(event)
        return super().get_context_data(
            invoice=invoice,
            client_url=reverse(Client.snippet_viewset.get_url_name("inspect"), args=[quote(invoice.client_id)]),
            lines=lines,
            payments=payments,
            refunds=[refund for payment in payments for refund in payment.refunds.all()],
            links=links,
            current_link=next((link for link in links if link.pk == invoice.payment_link_id), None),
            emails=emails,
            events=events,
            link_actions={action.name: action.url for action in self.actions if action.name.endswith("_link")},
            schedule_url=schedule_url(invoice.schedule) if invoice.schedule_id else None,
            period=describe_period(invoice.period_start, invoice.period_end) if invoice.period_start else None,
            reminder=reminder_outlook(invoice),
            auto_charge=AutoCharge.objects.filter(invoice=invoice).select_related("saved_card").first(),
            plan=plan_schedule(invoice),
            plan_url=next((action.url for action in self.actions if action.name == "set_plan"), None),
            credit_notes=credit_notes_of(invoice),
            credit_note_url=next((action.url for action in self.actions if action.name == "credit_note"), None),
            **kwargs,
        )
