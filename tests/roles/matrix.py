"""The expected answers of the role matrix, written from the roles' rules (issue #18), never read
back from the code: what each role may do on its own website. On another website every object is
a 404; the marketing editor bills for no website, so billing answers it 404 or "permission denied".

Outcomes:
- ``ALLOW``: a page answers 200 (a download, its file); a change is made.
- ``DENY``: 403, or Wagtail's answer to ``PermissionDenied`` (the admin home, with its message);
  nothing changes.
- ``NOT_FOUND``: 404; nothing changes.
- ``REFUSED``: ``DENY`` or ``NOT_FOUND``, for the marketing editor on billing and for what has no
  object of its own on the other website; nothing changes.
- ``INVALID``: a form naming another website (making an invoice there): the form's error, or any
  refusal above; nothing changes.
"""

from django.contrib.messages import get_messages
from django.urls import reverse

from .conftest import OTHER, OWN, SUPERUSER

ALLOW, DENY, NOT_FOUND, REFUSED, INVALID = "allow", "deny", "not found", "refused", "invalid"

CLERK, MANAGER, EDITOR = "clerk", "manager", "marketing_editor"
ROLES = [CLERK, MANAGER, EDITOR, SUPERUSER]
WEBSITES = [OWN, OTHER]

# What a clerk may do on its own website: see, make and edit drafts and clients, issue and send,
# record manual payments, manage the pay link, download documents. Not: delete (no
# ``delete_invoice``), void, write off, credit, the ledger, Stripe events, reports, exports, settings.
CLERK_MAY = {
    "inspect",
    "edit_get",
    "edit_post",
    "create_get",
    "create_post",
    "issue",
    "send_email",
    "mark_paid",
    "rotate_link",
    "revoke_link",
    "pdf",
    "einvoice",
    "client_inspect",
    "client_edit_get",
    "client_edit_post",
}

# The invoice email page's Wagtail views: only the marketing editor of its website (and superusers).
PAGE_ACTIONS = {"page_edit", "page_publish", "page_preview"}


def may(role, action):
    """Whether ``role`` may do ``action`` on its own website. An action's confirm page ("void_confirm")
    goes with the action."""
    action = action.removesuffix("_confirm")
    if role == SUPERUSER:
        return True
    if action in PAGE_ACTIONS:
        return role == EDITOR
    return role == MANAGER or (role == CLERK and action in CLERK_MAY)


def expected(role, action, website, *, other=NOT_FOUND):
    """What ``role`` gets for ``action`` on an object of ``website``. ``other``: the answer on
    another website where it is not a 404 (the page tree and settings are not billing objects)."""
    if role == SUPERUSER:
        return ALLOW
    if action in PAGE_ACTIONS:
        return ALLOW if (role == EDITOR and website == OWN) else DENY
    if role == EDITOR:
        return REFUSED
    if website == OTHER:
        return other
    return ALLOW if may(role, action) else DENY


PERMISSION_MESSAGE = "permission"


def is_denied(response):
    """403, or the admin home with Wagtail's "you do not have permission" message."""
    if response.status_code == 403:
        return True
    if response.status_code != 302 or response["Location"] != reverse("wagtailadmin_home"):
        return False
    return any(PERMISSION_MESSAGE in str(message) for message in get_messages(response.wsgi_request))


def describe(response):
    location = response.get("Location", "")
    return f"{response.status_code} {location}".strip()


def assert_refusal(outcome, response):
    if outcome == DENY:
        assert is_denied(response), f"expected a permission refusal, got {describe(response)}"
    elif outcome == NOT_FOUND:
        assert response.status_code == 404, f"expected 404, got {describe(response)}"
    elif outcome == REFUSED:
        assert response.status_code == 404 or is_denied(response), f"expected 404 or refusal, got {describe(response)}"
    elif outcome == INVALID:
        assert response.status_code in (200, 400, 403, 404) or is_denied(response), describe(response)
    else:
        raise AssertionError(outcome)
