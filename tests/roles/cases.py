"""The admin's doors, one row each: the URL on an object of either website, the form a browser
posts, and the state that tells whether anything changed. Read by ``test_role_matrix``."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.admin.utils import quote
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from invoicing.models import BillingSettings, Client, Invoice, OutboundEmail, StripeEvent
from tests.page_forms import page_form_data, posted_form_data

from .matrix import INVALID, NOT_FOUND, REFUSED


def invoice_url(name, invoice):
    return reverse(f"wagtailsnippets_invoicing_invoice:{name}", args=[quote(invoice.pk)])


def invoice_state(invoice):
    """Everything an invoice action changes: ``None`` once deleted."""
    fresh = Invoice.objects.filter(pk=invoice.pk).first()
    if fresh is None:
        return None
    return (
        fresh.status,
        fresh.title,
        fresh.payment_link_id,
        fresh.payments.count(),
        fresh.credit_notes.count(),
        OutboundEmail.objects.filter(invoice=fresh).count(),
    )


def invoice_form(site, client, **fields):
    return nested_form_data(
        {
            "site": site.pk,
            "client": client.pk,
            "title": "Made by a role",
            "description": "",
            "currency": "",
            "due_date": "",
            "lines": inline_formset([{"description": "Work", "quantity": "1", "unit_price": "50.00", "tax_rate": "0"}]),
            **fields,
        }
    )


def client_form(client, **fields):
    return {
        "site": client.site_id,
        "name": client.name,
        "email": client.email,
        "billing_address": client.billing_address,
        "postal_code": client.postal_code,
        "city": client.city,
        "country": client.country,
        "buyer_reference": "",
        "electronic_address": "",
        "tax_id": "",
        "tax_treatment": client.tax_treatment,
        "tax_exemption_reason": "",
        **fields,
    }


def settings_url(site):
    return reverse("wagtailsettings:edit", args=["invoicing", "billingsettings", site.pk])


def settings_form(world, site, **changes):
    """Settings → Billing as a superuser's browser would post it back, with ``changes``."""
    from django.test import Client as Browser

    browser = Browser()
    browser.force_login(world.user("superuser"))
    return posted_form_data(browser.get(settings_url(site)).context["form"], **changes)


def page_url(name, page):
    return reverse(f"wagtailadmin_pages:{name}", args=[page.pk])


def page_state(page):
    fresh = Page.objects.get(pk=page.pk)
    return (fresh.title, fresh.live_revision_id)


def is_ok(response):
    return response.status_code == 200


def is_download(content_type):
    return lambda response: response.status_code == 200 and response["Content-Type"].startswith(content_type)


def preview_is_valid(response):
    return response.status_code == 200 and response.json().get("is_valid") is True


@dataclass(frozen=True)
class Door:
    """One admin URL on one object of a website. ``data`` (world, website) → the POST body, or
    ``None`` for a GET; ``state`` (world, website) → what the action changes; ``check`` (response)
    → whether an allowed GET (or a preview) got what it asked for."""

    name: str
    url: Callable
    data: Callable = None
    state: Callable = None
    check: Callable = is_ok
    other: str = NOT_FOUND  # the answer on another website's object


def _invoice_door(name, url_name, kind, data=None, **kwargs):
    return Door(
        name,
        url=lambda world, website: invoice_url(url_name, getattr(world, kind)(website)),
        data=data,
        state=lambda world, website: invoice_state(getattr(world, kind)(website)),
        **kwargs,
    )


def _confirm_and_post(name, url_name, kind, data):
    """The confirm page (GET) and the action itself (POST) of an invoice action."""
    return [_invoice_door(f"{name}_confirm", url_name, kind), _invoice_door(name, url_name, kind, data=data)]


def _client_state(world, website):
    return Client.objects.get(pk=world.client_of(website).pk).name


def _event_state(world, website):
    event = StripeEvent.objects.get(pk=world.event(website).pk)
    return (event.status, event.attempts)


def _settings_state(world, website):
    return BillingSettings.objects.get(site=world.sites[website]).payment_terms_days


ADMIN_DOORS = [
    _invoice_door("inspect", "inspect", "open"),
    _invoice_door("edit_get", "edit", "draft"),
    _invoice_door(
        "edit_post",
        "edit",
        "draft",
        data=lambda world, website: invoice_form(
            world.sites[website], world.client_of(website), title="Edited by a role"
        ),
    ),
    Door(
        "create_post",
        url=lambda world, website: reverse("wagtailsnippets_invoicing_invoice:add"),
        data=lambda world, website: invoice_form(world.sites[website], world.client_of(website)),
        state=lambda world, website: Invoice.objects.filter(site=world.sites[website], title="Made by a role").count(),
        other=INVALID,
    ),
    _invoice_door("delete_draft_confirm", "delete", "draft"),
    _invoice_door("delete_draft", "delete", "draft", data=lambda world, website: {}),
    *_confirm_and_post("issue", "issue", "draft", lambda world, website: {}),
    *_confirm_and_post("send_email", "send_email", "open", lambda world, website: {"kind": "invoice"}),
    *_confirm_and_post(
        "mark_paid",
        "mark_paid",
        "open",
        lambda world, website: {"amount": "100.00", "reason": "Transfer", "paid_on": date.today().isoformat()},
    ),
    *_confirm_and_post("void", "void", "open", lambda world, website: {"reason": "Sent twice"}),
    *_confirm_and_post(
        "write_off", "mark_uncollectible", "open", lambda world, website: {"reason": "The client went bust"}
    ),
    *_confirm_and_post(
        "credit_note",
        "credit_note",
        "open",
        lambda world, website: {"scope": "whole", "reason": "Cancelled", "settlement": "credit", "confirm": "1"},
    ),
    *_confirm_and_post("rotate_link", "rotate_link", "open", lambda world, website: {}),
    *_confirm_and_post("revoke_link", "revoke_link", "open", lambda world, website: {}),
    _invoice_door("pdf", "pdf", "open", check=is_download("application/pdf")),
    Door(
        "einvoice",
        url=lambda world, website: invoice_url("einvoice", world.open(website)) + "?syntax=cii",
        check=is_download("application/xml"),
    ),
    Door(
        "client_inspect",
        url=lambda world, website: reverse(
            "wagtailsnippets_invoicing_client:inspect", args=[world.client_of(website).pk]
        ),
    ),
    Door(
        "client_edit_get",
        url=lambda world, website: reverse("wagtailsnippets_invoicing_client:edit", args=[world.client_of(website).pk]),
    ),
    Door(
        "client_edit_post",
        url=lambda world, website: reverse("wagtailsnippets_invoicing_client:edit", args=[world.client_of(website).pk]),
        data=lambda world, website: client_form(world.client_of(website), name="Renamed by a role"),
        state=_client_state,
    ),
    Door(
        "ledger_inspect",
        url=lambda world, website: reverse("invoicing_payment_modeladmin_inspect", args=[world.payment(website).pk]),
    ),
    Door(
        "event_inspect",
        url=lambda world, website: reverse(
            "wagtailsnippets_invoicing_stripeevent:inspect", args=[world.event(website).pk]
        ),
    ),
    Door(
        "event_replay_confirm",
        url=lambda world, website: reverse(
            "wagtailsnippets_invoicing_stripeevent:replay", args=[world.event(website).pk]
        ),
    ),
    Door(
        "event_replay",
        url=lambda world, website: reverse(
            "wagtailsnippets_invoicing_stripeevent:replay", args=[world.event(website).pk]
        ),
        data=lambda world, website: {},
        state=_event_state,
    ),
    # Settings → Billing is one page per website, not a billing object: another website's is
    # refused, as a 404 or a permission refusal.
    Door("settings_get", url=lambda world, website: settings_url(world.sites[website]), other=REFUSED),
    Door(
        "settings_post",
        url=lambda world, website: settings_url(world.sites[website]),
        data=lambda world, website: settings_form(world, world.sites[website], payment_terms_days=45),
        state=_settings_state,
        other=REFUSED,
    ),
    Door("page_edit", url=lambda world, website: page_url("edit", world.email_page(website))),
    Door(
        "page_publish",
        url=lambda world, website: page_url("edit", world.email_page(website)),
        data=lambda world, website: {
            **page_form_data(world.email_page(website), world.user("superuser"), title="Emails, republished"),
            "action-publish": "action-publish",
        },
        state=lambda world, website: page_state(world.email_page(website)),
    ),
    Door(
        "page_preview",
        url=lambda world, website: page_url("preview_on_edit", world.email_page(website)),
        data=lambda world, website: page_form_data(world.email_page(website), world.user("superuser")),
        check=preview_is_valid,
    ),
]
