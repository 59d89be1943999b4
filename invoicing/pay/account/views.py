"""The billing account's views, routed by ``routes.py`` below a ``BillingAccountPage``. Thin:
``services.sign_in`` signs clients in, ``services.accounts`` reads what one client may see, and
the pay page's own card and credit views take payments (``flows.AccountFlow``)."""

import logging
from functools import partial, wraps

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ...core.exceptions import SignInLinkInvalid, SignInLinkUnusable, ValidationFailed
from ...core.lifecycle import ClientRequest, client_may
from ...services import credit_note_documents, documents
from ...services.accounts import ClientAccount, InvoiceFilter
from ...services.sign_in import check_sign_in_link, redeem_sign_in_link, request_sign_in_link
from ...services.sites import account_page
from ...services.statement_files import statement_csv, statement_filename, statement_pdf
from .. import card
from ..flows import AccountFlow, einvoice_links, einvoices_offered
from ..guards import guarded, rate_limited
from ..headers import download_response
from ..views import einvoice_download, invoice_einvoice_download, pay_by_credit
from . import session
from .forms import SignInForm, StatementForm

logger = logging.getLogger(__name__)

# The account pages count in their own group: the same limits as the pay page, apart from it.
ACCOUNT_GROUP = "account"
# Asking for a sign-in link also counts per address, whoever asks.
SIGN_IN_GROUP = "sign-in"
INVOICES_PER_PAGE = 20


def account_route(*, methods=("GET",), signed_in=True):
    """An account page: rate-limited and hardened like a token route (``guarded``), a 404 where
    the website turned accounts off, and, with ``signed_in``, only for a signed-in client: the
    view gets their ``ClientAccount``, and any id that is not theirs is a 404."""

    def decorate(view):
        @guarded(methods=methods, group=ACCOUNT_GROUP)
        @wraps(view)
        def wrapper(page, request, **kwargs):
            site = page.front.site
            serving = account_page(site)
            # Off for this website, or a second account page: emails and links name only the first.
            if serving is None or serving.pk != page.pk:
                raise Http404
            visitor = session.visitor(request, site)
            request.account_visitor = visitor  # for the pages' navigation (``render``)
            if not signed_in:
                return view(page, request, visitor, **kwargs)
            if visitor.client is None:
                return signed_out(page, request, visitor)
            try:
                return view(page, request, ClientAccount(visitor.client), **kwargs)
            except ObjectDoesNotExist:
                raise Http404 from None

        return wrapper

    return decorate


def signed_out(page, request, visitor):
    message = _("You were signed out after a while without activity.") if visitor.timed_out else _("Please sign in.")
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": message, "retry": False}, status=401)
    return redirect(page.route_url("account") + ("?timed_out=1" if visitor.timed_out else ""))


def render(page, request, template, *, status=200, **context):
    context = {"visitor": request.account_visitor, "account_url": page.route_url("account"), **context}
    response = page.render(request, template=f"invoicing/pay/account/{template}", context_overrides=context)
    response.status_code = status
    return response


def render_sign_in(page, request, *, status=200, form=None, **context):
    return render(page, request, "sign_in.html", status=status, form=form or SignInForm(), **context)


@account_route(signed_in=False)
def account(page, request, visitor):
    """Signed in: the summary and the invoices. Otherwise: the sign-in form."""
    if visitor.client is None:
        return render_sign_in(
            page, request, timed_out="timed_out" in request.GET, signed_out="signed_out" in request.GET
        )
    return render_invoices(page, request, ClientAccount(visitor.client))


def invoice_list(account, request):
    show = request.GET.get("show", InvoiceFilter.ALL)
    if show not in dict(InvoiceFilter.CHOICES):
        show = InvoiceFilter.ALL
    search = request.GET.get("q", "").strip()[:64]
    return show, search, account.invoices(show=show, search=search)


def render_invoices(page, request, account, *, status=200, error=""):
    show, search, invoices = invoice_list(account, request)
    listing = Paginator(invoices, INVOICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        page,
        request,
        "home.html",
        status=status,
        account=account,
        summary=account.summary(),
        listing=listing,
        show=show,
        search=search,
        filters=InvoiceFilter.CHOICES,
        query=request.GET.copy(),
        error=error,
        credit_notes=credit_note_rows(page, account),
        credit_note_einvoices=einvoices_offered(page),
    )


def credit_note_rows(page, account):
    """Their newest credit notes, each with its e-invoice downloads where the website offers them."""
    offered = einvoices_offered(page)
    return [
        (note, einvoice_links(page.route_url("credit_note_einvoice", note.pk)) if offered else [])
        for note in account.credit_notes()[:INVOICES_PER_PAGE]
    ]


@account_route(methods=("POST",), signed_in=False)
def request_link(page, request, visitor):
    """The same answer, the same work and about the same time whether or not a client of this
    website has the address: the lookup and the email happen in a task."""
    form = SignInForm(request.POST)
    if not form.is_valid():
        return render_sign_in(page, request, status=400, form=form)
    address = form.cleaned_data["email"].strip().lower()
    limited = rate_limited(page, request, address, group=SIGN_IN_GROUP)
    if limited:
        return limited
    request_sign_in_link(page.front.site, address)
    return render(page, request, "sign_in_sent.html", address=address)


@account_route(methods=("GET", "POST"), signed_in=False)
def sign_in_link(page, request, visitor, token):
    """GET only shows a button, so that a mail scanner that opens every link cannot use it up;
    the POST (CSRF-protected) signs in, once."""
    site = page.front.site
    try:
        if request.method == "GET":
            check_sign_in_link(token, site=site)
            return render(page, request, "sign_in_link.html", token=token)
        client = redeem_sign_in_link(token, site=site)
    except SignInLinkInvalid:
        raise Http404 from None
    except SignInLinkUnusable as error:
        return render_sign_in(page, request, status=410, link_error=error.message)
    session.sign_in(request, client)
    return redirect(page.route_url("account"))


@account_route(methods=("POST",), signed_in=False)
def sign_out(page, request, visitor):
    session.sign_out(request, page.front.site)
    return redirect(page.route_url("account") + "?signed_out=1")


@account_route()
def download_all(page, request, account):
    """A ZIP of the PDFs of the list as filtered and searched."""
    show, search, invoices = invoice_list(account, request)
    try:
        archive = account.pdf_archive(invoices)
    except ValidationFailed as error:
        return render_invoices(page, request, account, status=400, error=error.message)
    name = f"invoices-{slugify(account.site.site_name or account.site.hostname)}-{timezone.localdate():%Y-%m-%d}.zip"
    response = FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def account_flow(page, request, account, pk):
    return AccountFlow(page, request, account.invoice(pk), account)


@account_route()
def invoice(page, request, account, pk):
    return account_flow(page, request, account, pk).render_invoice()


@account_route()
def invoice_pdf(page, request, account, pk):
    invoice = account.invoice(pk)
    # The PDF's pay link leads back here (the raw payment-link token is never stored).
    pay_url = (
        page.full_route_url(account.site, "invoice", invoice.pk) if client_may(invoice, ClientRequest.PAY) else None
    )
    return download_response(documents.invoice_pdf(invoice, pay_url=pay_url), documents.pdf_filename(invoice))


@account_route()
def invoice_einvoice(page, request, account, pk):
    return invoice_einvoice_download(account_flow(page, request, account, pk))


@account_route(methods=("POST",))
def card_start(page, request, account, pk):
    return card.start_payment(request, account_flow(page, request, account, pk))


@account_route(methods=("POST",))
def card_confirm_offline(page, request, account, pk):
    return card.confirm_payment_offline(request, account_flow(page, request, account, pk))


@account_route()
def card_return(page, request, account, pk):
    return card.card_returned(request, account_flow(page, request, account, pk))


@account_route(methods=("POST",))
def credit_payment(page, request, account, pk):
    return pay_by_credit(request, account_flow(page, request, account, pk))


@account_route()
def receipt(page, request, account, pk):
    payment = account.payment(pk)
    return render(page, request, "receipt.html", account=account, payment=payment, invoice=payment.invoice)


@account_route()
def receipt_pdf(page, request, account, pk):
    payment = account.payment(pk)
    return download_response(documents.receipt_pdf(payment), documents.pdf_filename(payment.invoice, receipt=True))


@account_route()
def credit_note_pdf(page, request, account, pk):
    note = account.credit_note(pk)
    return download_response(
        credit_note_documents.credit_note_pdf(note), credit_note_documents.credit_note_filename(note)
    )


@account_route()
def credit_note_einvoice(page, request, account, pk):
    """Found as its PDF is; one that cannot be made is the account's page with a message."""
    note = account.credit_note(pk)
    message = _(
        "This credit note has no e-invoice at the moment; the PDF is the credit note. Please contact us for it."
    )
    unavailable = partial(render_invoices, page, request, account, error=message)
    return einvoice_download(request, note, offered=einvoices_offered(page), unavailable=unavailable)


def statement_form(request):
    return StatementForm(request.GET or None, initial=StatementForm.initial_range())


@account_route()
def statement(page, request, account):
    form = statement_form(request)
    shown = account.statement(**form.cleaned_data) if form.is_bound and form.is_valid() else None
    return render(
        page,
        request,
        "statement.html",
        status=400 if form.is_bound and form.errors else 200,
        account=account,
        form=form,
        statement=shown,
    )


STATEMENT_FORMATS = {"pdf": (statement_pdf, "application/pdf"), "csv": (statement_csv, "text/csv; charset=utf-8")}


@account_route()
def statement_download(page, request, account, fmt):
    if fmt not in STATEMENT_FORMATS:
        raise Http404
    form = StatementForm(request.GET)
    if not form.is_valid():
        return render(page, request, "statement.html", status=400, account=account, form=form, statement=None)
    built = account.statement(**form.cleaned_data)
    make, content_type = STATEMENT_FORMATS[fmt]
    return download_response(make(built), statement_filename(built, fmt), content_type=content_type)
