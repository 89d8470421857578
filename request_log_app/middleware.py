"""Recording the requests of views marked `logged`: one tuple and one deque append on the request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from request_log_app.pods import pod_name
from request_log_app.writer import BUFFER, PendingEntry

logger = logging.getLogger(__name__)

PATH_MAX = 2048
LOGGED_ATTRIBUTE = "request_logged"
View = TypeVar("View", bound=Callable[..., HttpResponse])


def logged(view: View) -> View:
    """Mark a view (as urls.py routes to it) for the request log."""
    setattr(view, LOGGED_ATTRIBUTE, True)
    return view


class RequestLogMiddleware:
    """Appends an entry for each request routed to a `logged` view, whatever its answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.pod = pod_name()
        BUFFER.background = getattr(settings, "REQUEST_LOG_BACKGROUND_FLUSH", True)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        try:
            match = getattr(request, "resolver_match", None)
            if match is not None and getattr(match.func, LOGGED_ATTRIBUTE, False):
                BUFFER.append(
                    PendingEntry(
                        pod=self.pod,
                        created_at=timezone.now(),
                        method=request.method or "",
                        path=request.path[:PATH_MAX],
                        url_name=match.url_name or "",
                        status=response.status_code,
                        duration_ms=round((time.perf_counter() - started) * 1000, 3),
                        request_id=getattr(request, "request_id", "")[:128],
                    )
                )
        except Exception:  # recording must never fail the request it records
            logger.exception("request log: could not record a request")
        return response
