"""The project's URLs plus ``/bench/bare/``: a view that returns a constant through the same middleware,
the yardstick of the pay page's load test (``bench/pay_page.py``). Only ``bench/settings.py`` uses it."""

from django.http import HttpResponse
from django.urls import path

from site_config.urls import urlpatterns as project_urlpatterns


def bare(request):
    return HttpResponse(b"bare", content_type="text/plain")


# Before the project's: Wagtail's page URLs at the end of those would take any path.
urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *project_urlpatterns]
