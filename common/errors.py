"""Error types for dependencies that fail, and the one place API errors are rendered."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.db import InterfaceError, OperationalError
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class ServiceUnavailable(APIException):
    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    default_detail = "A service FacePass depends on is unavailable. Try again shortly."
    default_code = "service_unavailable"


class TaskQueueUnavailable(ServiceUnavailable):
    default_detail = "The task queue is unavailable; nothing was queued. Try again shortly."
    default_code = "task_queue_unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    default_detail = "The database is unavailable. Try again shortly."
    default_code = "database_unavailable"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus a 503 for databases that can't be reached (logged, never a traceback)."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        view = context.get("view")
        logger.error("database unavailable in %s: %s", type(view).__name__, exc)
        exc = DatabaseUnavailable()
    return exception_handler(exc, context)
