"""The production settings as a deployment runs them, with one addition: the URLconf of the bare view
that the pay page's load test measures against (``bench/urls.py``). Only ``bench/`` uses it."""

from site_config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
