"""Invoicing for multi-site Wagtail. See README, "Add invoicing to your Wagtail project".

Nothing is imported here, so that a project's settings can read ``INVOICING_APPS``."""

# The apps the module needs beside those of a fresh ``wagtail start`` project, ``invoicing`` first.
# In settings: ``INSTALLED_APPS += [app for app in INVOICING_APPS if app not in INSTALLED_APPS]``.
INVOICING_APPS = [
    "invoicing",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail_modeladmin",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
]
