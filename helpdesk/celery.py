"""The Celery application.

With ``REDIS_URL`` set, Redis is the broker. Without it (a developer's laptop) the broker
is kombu's filesystem transport under ``var/celery``: a real worker process consumes real
messages, so development behaves like production without a Redis server.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
