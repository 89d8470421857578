"""The Celery app of FacePass: `celery -A project_config worker -Q search,index`, `celery -A project_config beat`.

Configured from Django's settings (the CELERY_* names in settings.py); tasks are found in each app's tasks.py.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_config.settings")

app = Celery("facepass")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
