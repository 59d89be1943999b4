"""Recurring schedules as snippets, per website: the listing says each one's interval in words, its
next run and its last invoice; the inspect view lists the invoices it created. Pausing, resuming
and ending go through ``services.recurring`` (see ``schedule_actions``); the form never sets the
status."""

import django_filters
from babel.dates import format_interval
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.contrib.humanize.templatetags.humanize import ordinal
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import get_language, ngettext, to_locale
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.widgets import Button, HeaderButton, ListingButton
from wagtail.snippets.views.snippets import EditView, IndexView, InspectView, SnippetViewSet

from ..models import Invoice, RecurringSchedule
from ..services.recurring import last_invoice, next_run_date
from .access import SiteScopedViewSetMixin
from .filters import user_sites
from .schedule_actions import available_schedule_actions, schedule_action_urlpatterns

Interval = RecurringSchedule.Interval
Status = RecurringSchedule.Status
# The schedule's page lists this many invoices, newest period first.
RECENT_INVOICES = 50

EVERY = {
    Interval.WEEK: lambda count: ngettext("Every week on %(on)s", "Every %(count)d weeks on %(on)s", count),
    Interval.MONTH: lambda count: ngettext("Every month on the %(on)s", "Every %(count)d months on the %(on)s", count),
    Interval.QUARTER: lambda count: ngettext(
        "Every quarter on the %(on)s", "Every %(count)d quarters on the %(on)s", count
    ),
    Interval.YEAR: lambda count: ngettext("Every year on %(on)s", "Every %(count)d years on %(on)s", count),
}


def describe_interval(schedule):
    """The schedule's cadence for people: "Every 2 months on the 31st", "Every week on Monday"."""
    first = schedule.cadence.start(0)
    if schedule.interval == Interval.WEEK:
        on = date_format(first, "l")
    elif schedule.interval == Interval.YEAR:
        on = date_format(first, "MONTH_DAY_FORMAT")
    else:
        on = ordinal(schedule.anchor_day or schedule.start_date.day)
    count = schedule.interval_count
    return EVERY[schedule.interval](count) % {"count": count, "on": on}


def describe_period(start, end):
    """An invoice's period for people, in the admin's language: "1–31 March 2026"."""
    return format_interval(start, end, "yMMMMd", locale=to_locale(get_language() or "en"))


def schedule_url(schedule):
    return reverse(RecurringSchedule.snippet_viewset.get_url_name("inspect"), args=[quote(schedule.pk)])


def invoice_url(invoice):
    return reverse(Invoice.snippet_viewset.get_url_name("inspect"), args=[quote(invoice.pk)])


class LinkColumn(Column):
    """A value linking to ``get_url(instance)``, or plain when there is no URL."""

    cell_template_name = "invoicing/admin/link_cell.html"

    def __init__(self, name, *, get_url, **kwargs):
        super().__init__(name, **kwargs)
        self.get_url = get_url

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["url"] = self.get_url(instance)
        return context


def last_invoice_label(schedule):
    invoice = schedule.last_invoice
    if invoice is None:
        return ""
    number = invoice.number or _("Draft")
    return f"{number} · {describe_period(invoice.period_start, invoice.period_end)}"


class ScheduleFilterSet(WagtailFilterSet):
    site = django_filters.ModelChoiceFilter(label=_("Website"), queryset=user_sites)
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("All"), widget=forms.RadioSelect
    )
    interval = django_filters.ChoiceFilter(
        label=_("Interval"), choices=Interval.choices, empty_label=_("All"), widget=forms.RadioSelect
    )

    class Meta:
        model = RecurringSchedule
        fields = []


def action_buttons(schedule, user, *, next_url, button_class, priority=10):
    return [
        button_class(action.label, url, icon_name=action.icon, priority=priority + position)
        for position, (action, url) in enumerate(available_schedule_actions(schedule, user, next_url=next_url))
    ]


class ScheduleIndexView(IndexView):
    def get_list_buttons(self, instance):
        return action_buttons(
            instance, self.request.user, next_url=self.request.get_full_path(), button_class=ListingButton
        ) + super().get_list_buttons(instance)

    def get_edit_url(self, instance):
        return None if instance.status == Status.ENDED else super().get_edit_url(instance)

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = schedules = list(object_list)
        for schedule in schedules:
            schedule.next_run = next_run_date(schedule)
            schedule.last_invoice = last_invoice(schedule)
        return paginator, page, schedules, is_paginated


class ScheduleEditView(EditView):
    """An ended schedule is over: its page opens instead (only the service's rules move a status)."""

    def dispatch(self, request, *args, **kwargs):
        schedule = self.get_object()
        if schedule.status == Status.ENDED:
            messages.warning(
                request, _("Schedule “%(schedule)s” has ended and can no longer be edited.") % {"schedule": schedule}
            )
            return redirect(schedule_url(schedule))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def header_more_buttons(self):
        return (
            action_buttons(self.object, self.request.user, next_url=self.request.path, button_class=Button)
            + super().header_more_buttons
        )


class ScheduleInspectView(InspectView):
    template_name = "invoicing/admin/schedule_inspect.html"

    @cached_property
    def header_buttons(self):
        return action_buttons(self.object, self.request.user, next_url=self.request.path, button_class=HeaderButton)

    def get_edit_url(self):
        return None if self.object.status == Status.ENDED else super().get_edit_url()

    def get_fields(self):
        return []  # The template lays the schedule out itself.

    def get_context_data(self, **kwargs):
        schedule = self.object
        invoices = list(schedule.invoices.order_by("-period_start", "-id")[:RECENT_INVOICES])
        for invoice in invoices:
            invoice.inspect_url = invoice_url(invoice)
            invoice.period = describe_period(invoice.period_start, invoice.period_end)
        return super().get_context_data(
            schedule=schedule,
            interval=describe_interval(schedule),
            next_run=next_run_date(schedule),
            template_url=reverse(
                schedule.template.snippet_viewset.get_url_name("inspect"), args=[quote(schedule.template_id)]
            ),
            invoices=invoices,
            invoice_count=schedule.invoices.count(),
            **kwargs,
        )


class RecurringScheduleViewSet(SiteScopedViewSetMixin, SnippetViewSet):
    model = RecurringSchedule
    icon = "calendar-alt"
    menu_label = _("Recurring")
    menu_order = 201
    add_to_admin_menu = True
    index_view_class = ScheduleIndexView
    edit_view_class = ScheduleEditView
    inspect_view_class = ScheduleInspectView
    inspect_view_enabled = True
    list_display = [
        "name",
        Column("client", label=_("Client"), accessor="client.name", sort_key="client__name"),
        Column("site", label=_("Website"), accessor="site.site_name", sort_key="site__site_name"),
        Column("interval", label=_("Interval"), accessor=describe_interval),
        StatusTagColumn("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        Column(
            "next_run",
            label=_("Next run"),
            accessor=lambda schedule: date_format(schedule.next_run) if schedule.next_run else "–",
        ),
        LinkColumn(
            "last_invoice",
            label=_("Last invoice"),
            accessor=last_invoice_label,
            get_url=lambda schedule: schedule.last_invoice and invoice_url(schedule.last_invoice),
        ),
    ]
    filterset_class = ScheduleFilterSet
    search_backend_name = None
    search_fields = ["name", "client__name", "template__name"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("site"),
                    FieldPanel("name"),
                    FieldRowPanel([FieldPanel("template"), FieldPanel("client")]),
                ],
                heading=_("Schedule"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("interval_count"), FieldPanel("interval"), FieldPanel("anchor_day")]),
                    FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date"), FieldPanel("max_invoices")]),
                ],
                heading=_("When"),
            ),
            MultiFieldPanel([FieldPanel("action"), FieldPanel("auto_charge")], heading=_("Each period")),
        ]
    )

    def get_queryset(self, request):
        return RecurringSchedule.objects.select_related("client", "site", "template")

    def get_urlpatterns(self):
        return super().get_urlpatterns() + schedule_action_urlpatterns(self)
