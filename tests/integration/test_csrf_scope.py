"""Rule 27: public POSTs keep CSRF protection. Only the webhooks are exempt, and their signature
(Stripe's) or secret (the ESP's basic auth, ANYMAIL's WEBHOOK_SECRET) protects them.

The POSTs themselves are tried with CSRF checks on in test_pay_page_states.py (the pay page),
tests/api/test_pay_link.py and tests/api/test_access.py (the API); this file makes sure no other
URL quietly leaves the middleware's protection.
"""

from django.urls import URLResolver, get_resolver
from rest_framework.authentication import BasicAuthentication, SessionAuthentication, TokenAuthentication
from rest_framework.views import APIView
from wagtail import views as wagtail_views

from invoicing.api.public import PayLinkView
from invoicing.api.webhooks import stripe_webhook


def every_view():
    """``(route, view)`` for every URL of the project."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.callback

    return list(walk(get_resolver().url_patterns, ""))


def api_view_class(view):
    cls = getattr(view, "cls", None)
    return cls if isinstance(cls, type) and issubclass(cls, APIView) else None


def test_only_the_webhooks_leave_the_csrf_middleware():
    exempt = [(route, view) for route, view in every_view() if getattr(view, "csrf_exempt", False)]
    # DRF exempts every API view from the middleware and checks CSRF in the view (next test).
    plain = [(route, view) for route, view in exempt if api_view_class(view) is None]
    assert [view for _, view in plain if view.__module__.startswith("invoicing.")] == [stripe_webhook]
    others = sorted(route for route, view in plain if not view.__module__.startswith("invoicing."))
    assert others and all(route.startswith("anymail/") for route in others), others


def test_the_pages_wagtail_serves_keep_csrf():
    serving = [view for _, view in every_view() if view is wagtail_views.serve]
    assert serving and not any(getattr(view, "csrf_exempt", False) for view in serving)


def test_every_api_view_of_the_module_checks_csrf_when_a_cookie_could_authenticate():
    views = {api_view_class(view) for _, view in every_view() if view.__module__.startswith("invoicing.")} - {None}
    assert PayLinkView in views
    cookie_free = (TokenAuthentication, BasicAuthentication)  # a header another site's page cannot send
    for view in views:
        authentication = [cls() for cls in view.authentication_classes]
        for scheme in authentication:
            if isinstance(scheme, SessionAuthentication):
                assert type(scheme).enforce_csrf is SessionAuthentication.enforce_csrf, view
            else:
                assert isinstance(scheme, cookie_free), (view, scheme)
        if not authentication and hasattr(view, "post"):
            # Anonymous and writing: only the pay link's view, which checks CSRF itself (test_pay_link.py).
            assert view is PayLinkView
