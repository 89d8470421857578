"""Settings for pytest: the real settings, with a throwaway secret key when none is set."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret")

from project_config.settings import *  # noqa: E402, F403

# Tests render admin pages without running collectstatic first.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# The request log is written by tests that ask for it (request_log_app.writer.BUFFER.flush()), not by a thread
# racing the test's transaction.
REQUEST_LOG_BACKGROUND_FLUSH = False
# Tasks are published to memory and run by no one: tests that need a worker start a real one.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
