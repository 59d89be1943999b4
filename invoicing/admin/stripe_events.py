"""The Stripe webhook inbox, read-only: every event received, what became of it, and a "replay"
that applies a stored event again through the same service as the webhook. Staff see their
websites' events, where they may read the inbox (``view_stripeevent``), and replay an event where
they may replay (``replay_stripeevent``): both on the event's own website. Events that could not be
tied to a website are for superusers only."""

import django_filters
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton, ListingButton
from wagtail.snippets.views.snippets import IndexView, InspectView, SnippetViewSet

from ..core.exceptions import InvoicingError
from ..models import StripeEvent
from ..models.access import scope_to_user, sites_granting
from ..services.stripe_events import replay_stripe_event
from .access import SiteScopedViewSetMixin

# Replaying applies money to invoices: a permission of its own, on the event's website.
REPLAY = "replay"


def replay_url(event):
    return reverse(StripeEvent.snippet_viewset.get_url_name("replay"), args=[quote(event.pk)])


def event_types():
    return [(kind, kind) for kind in StripeEvent.objects.order_by("type").values_list("type", flat=True).distinct()]


class StripeEventFilterSet(WagtailFilterSet):
    type = django_filters.ChoiceFilter(label=_("Type"), choices=event_types)

    class Meta:
        model = StripeEvent
        fields = ["status", "type"]


class StripeEventIndexView(IndexView):
    def get_base_queryset(self):
        # Only the events of the websites where the user may read the inbox.
        events, user = super().get_base_queryset(), self.request.user
        if user.is_superuser:
            return events
        return events.filter(site__in=sites_granting(user, self.permission_policy._get_permission_name("view")))

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission_for_instance(REPLAY, instance):
            buttons.append(ListingButton(_("Replay"), replay_url(instance), icon_name="resubmit", priority=30))
        return buttons


class StripeEventInspectView(InspectView):
    @cached_property
    def header_buttons(self):
        if not self.user_has_permission(REPLAY):
            return []
        return [HeaderButton(_("Replay"), replay_url(self.object), icon_name="resubmit")]


class ReplayView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Confirm, then apply the stored event again. Applying an event twice is harmless: the
    services count each payment and each refund once."""

    permission_required = REPLAY
    template_name = "invoicing/admin/stripe_event_replay.html"
    header_icon = "resubmit"
    model = index_url_name = inspect_url_name = None

    def setup(self, request, pk, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        events = scope_to_user(StripeEvent.objects.select_related("invoice", "site"), request.user)
        self.event = get_object_or_404(events, pk=unquote(str(pk)))

    def get_page_title(self):
        return _("Replay")

    def get_page_subtitle(self):
        return str(self.event)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": capfirst(StripeEvent._meta.verbose_name_plural)},
            {"url": self.inspect_url(), "label": str(self.event)},
            {"url": "", "label": self.get_page_title()},
        ]

    def inspect_url(self):
        return reverse(self.inspect_url_name, args=[quote(self.event.pk)])

    def get_context_data(self, **kwargs):
        return super().get_context_data(event=self.event, cancel_url=self.inspect_url(), **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            # The service stores a failure on the event (and logs it) instead of raising.
            event = replay_stripe_event(self.event, by=request.user)
        except InvoicingError as exc:
            messages.error(request, exc.message)
            return redirect(self.inspect_url())
        if event.status == StripeEvent.Status.FAILED:
            messages.error(
                request, _("The event could not be applied: %(error)s") % {"error": event.error or _("unknown")}
            )
        else:
            messages.success(
                request,
                _("Event %(event)s replayed: %(status)s.")
                % {"event": event.event_id, "status": event.get_status_display().lower()},
            )
        return redirect(self.inspect_url())


class StripeEventViewSet(SiteScopedViewSetMixin, SnippetViewSet):
    model = StripeEvent
    icon = "history"
    menu_label = _("Stripe events")
    menu_order = 230
    add_to_admin_menu = True
    index_view_class = StripeEventIndexView
    inspect_view_class = StripeEventInspectView
    inspect_view_enabled = True
    list_display = ["type", "event_id", "status", "error", "received_at", "invoice"]
    filterset_class = StripeEventFilterSet
    search_backend_name = None
    search_fields = ["event_id", "type", "invoice__number"]
    inspect_view_fields = [
        "type",
        "event_id",
        "status",
        "error",
        "attempts",
        "livemode",
        "site",
        "invoice",
        "received_at",
        "processed_at",
        "payload",
    ]

    def get_queryset(self, request):
        return StripeEvent.objects.select_related("invoice", "site")

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("replay/<str:pk>/", self.construct_view(ReplayView), name="replay"),
        ]
