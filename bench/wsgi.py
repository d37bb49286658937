"""Beffroi's WSGI application with the benchmarks' bare view added (``bench/urls.py``)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beffroi.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

settings.ROOT_URLCONF = "bench.urls"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
