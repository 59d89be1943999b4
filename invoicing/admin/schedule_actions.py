"""Pause, resume and end a recurring schedule: each confirms on a page of its own, then calls its
service in ``services.recurring``, which decides whether the move is allowed; a refused move comes
back as Wagtail's error message."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.log_actions import log

from ..core.exceptions import InvoicingError
from ..models import RecurringSchedule
from ..services.recurring import ALLOWED_MOVES, end_schedule, pause_schedule, resume_schedule

Status = RecurringSchedule.Status
PERMISSION = "change"


@dataclass(frozen=True)
class ScheduleAction:
    name: str
    label: Promise
    icon: str
    target: str  # the status the schedule moves to
    intro: Promise
    done: Promise
    service: object
    logged_as: Promise  # the line in the schedule's history

    @property
    def log_action(self):
        return f"invoicing.schedule.{self.name}"


SCHEDULE_ACTIONS = [
    ScheduleAction(
        "pause",
        _("Pause"),
        "lock",
        Status.PAUSED,
        _(
            "No invoice is created while the schedule is paused. "
            "Periods that start meanwhile are skipped, not billed later."
        ),
        _("Schedule “%(schedule)s” paused."),
        pause_schedule,
        _("Paused"),
    ),
    ScheduleAction(
        "resume",
        _("Resume"),
        "lock-open",
        Status.ACTIVE,
        _("The schedule bills again from the first period that starts today or later."),
        _("Schedule “%(schedule)s” resumed."),
        resume_schedule,
        _("Resumed"),
    ),
    ScheduleAction(
        "end",
        _("End"),
        "circle-xmark",
        Status.ENDED,
        _("An ended schedule creates no more invoices, for good: it cannot be resumed. Its invoices stay as they are."),
        _("Schedule “%(schedule)s” ended."),
        end_schedule,
        _("Ended"),
    ),
]


def available_schedule_actions(schedule, user, *, next_url=None):
    """(action, url) for the moves ``user`` may make on ``schedule`` from its current status."""
    viewset = RecurringSchedule.snippet_viewset
    if not viewset.permission_policy.user_has_permission_for_instance(user, PERMISSION, schedule):
        return []
    query = "?" + urlencode({"next": next_url}) if next_url else ""
    return [
        (action, reverse(viewset.get_url_name(action.name), args=[quote(schedule.pk)]) + query)
        for action in SCHEDULE_ACTIONS
        if action.target in ALLOWED_MOVES[schedule.status]
    ]


class ScheduleActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET shows what the move does; the POST (CSRF-protected) calls the service. The schedule is
    looked up among the user's websites only (the viewset's scoping answers 404 before this runs)."""

    model = None
    index_url_name = None
    inspect_url_name = None
    permission_required = PERMISSION
    template_name = "invoicing/admin/schedule_action_confirm.html"
    action = None

    def setup(self, request, pk, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.schedule = get_object_or_404(self.scope(RecurringSchedule.objects.select_related("client", "site")), pk=pk)

    def get_page_title(self):
        return self.action.label

    def get_page_subtitle(self):
        return str(self.schedule)

    def get_header_icon(self):
        return self.action.icon

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": capfirst(RecurringSchedule._meta.verbose_name_plural)},
            {"url": self.get_success_url(), "label": str(self.schedule)},
            {"url": "", "label": self.action.label},
        ]

    def get_success_url(self):
        return get_valid_next_url_from_request(self.request) or reverse(
            self.inspect_url_name, args=[quote(self.schedule.pk)]
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            schedule=self.schedule, action=self.action, cancel_url=self.get_success_url(), **kwargs
        )

    def post(self, request, *args, **kwargs):
        try:
            self.action.service(self.schedule, by=request.user)
        except InvoicingError as exc:
            messages.error(request, exc.message)
        else:
            log(instance=self.schedule, action=self.action.log_action, user=request.user)
            messages.success(request, self.action.done % {"schedule": self.schedule})
        return redirect(self.get_success_url())


def schedule_action_urlpatterns(viewset):
    return [
        path(
            f"{action.name}/<str:pk>/",
            viewset.construct_view(ScheduleActionView, action=action),
            name=action.name,
        )
        for action in SCHEDULE_ACTIONS
    ]
