"""Bulk actions on clients, from the snippet listing. "Send sign-in links" emails each selected
client a one-time link to their billing account: each send only queues a task, so it runs in the
request, and the listing then says how many went out and which did not, and why."""

from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from ..core.exceptions import InvoicingError
from ..models import Client
from ..services.sign_in import ensure_accounts_open
from .access import SiteScopedBulkActionMixin
from .clients import SEND_SIGN_IN_LINK_PERMISSION, send_sign_in_link_from_admin

# A refusal names at most this many clients, then how many more: a website with accounts turned
# off must not fill the screen with every one of its clients.
NAMES_PER_REFUSAL = 10


def describe_clients(clients):
    names = ", ".join(client.name for client in clients[:NAMES_PER_REFUSAL])
    more = len(clients) - NAMES_PER_REFUSAL
    if more > 0:
        names += " " + ngettext("and %(count)d more", "and %(count)d more", more) % {"count": more}
    return names


class SendSignInLinksBulkAction(SiteScopedBulkActionMixin, SnippetBulkAction):
    display_name = _("Send sign-in links")
    action_type = "send_sign_in_links"
    aria_label = _("Email each selected client a link that signs them in to their billing account")
    template_name = "invoicing/admin/client_bulk_sign_in_confirm.html"
    permission_required = SEND_SIGN_IN_LINK_PERMISSION
    action_priority = 10

    @classproperty
    def models(cls):
        return [Client]

    def __init__(self, request, model):
        super().__init__(request, model)
        if not get_valid_next_url_from_request(request):
            # Not back to this confirmation, which would offer to send them all again.
            self.next_url = reverse(Client.snippet_viewset.get_url_name("list"))
        self.sent = 0
        self.refusals = defaultdict(list)  # {reason: [client, …]}
        self.refusal_by_site = {}

    def dispatch(self, request, *args, **kwargs):
        # Checked before anything is listed: the confirmation alone would show names and addresses.
        if not self.permission_policy.user_has_permission(request.user, self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self, model, object_ids):
        # Stricter than the mixin, which drops what is out of scope: any id that is not a client of
        # the user's websites (another website's, or none at all) makes the whole request a 404.
        requested = {str(pk) for pk in object_ids}
        try:
            clients = list(self.scope(model._default_manager.filter(pk__in=requested)).select_related("site"))
        except (ValueError, ValidationError):
            raise Http404 from None
        if not clients or {str(client.pk) for client in clients} != requested:
            raise Http404
        return clients

    def check_perm(self, client):
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, self.permission_required, client
        )

    def refusal(self, client):
        """Why the client's website would refuse, said on the confirmation; "" when it would not."""
        if client.site_id not in self.refusal_by_site:
            try:
                ensure_accounts_open(client.site)
            except InvoicingError as exc:
                self.refusal_by_site[client.site_id] = exc.message
            else:
                self.refusal_by_site[client.site_id] = ""
        return self.refusal_by_site[client.site_id]

    def object_context(self, client):
        return {**super().object_context(client), "refusal": self.refusal(client)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.display_name, **kwargs)

    def prepare_action(self, clients, clients_without_access):
        if not clients:
            messages.error(self.request, _("None of the selected clients can be changed by you."))
            return redirect(self.next_url)

    @classmethod
    def execute_action(cls, clients, self=None, **kwargs):
        for client in clients:
            try:
                send_sign_in_link_from_admin(client, by=self.request.user)
            except InvoicingError as exc:
                self.refusals[exc.message].append(client)
            else:
                self.sent += 1
        return self.sent, 0

    def get_success_message(self, sent, _child_count):
        if not sent:
            return None
        return ngettext(
            "A sign-in link is on its way to %(count)d client.",
            "Sign-in links are on their way to %(count)d clients.",
            sent,
        ) % {"count": sent}

    def form_valid(self, form):
        response = super().form_valid(form)
        for reason, clients in self.refusals.items():
            messages.error(
                self.request,
                _("Not sent to %(clients)s: %(reason)s") % {"clients": describe_clients(clients), "reason": reason},
            )
        return response
