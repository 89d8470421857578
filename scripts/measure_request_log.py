"""Cost of the request-log middleware on one request, in-process: median of N timed calls, with and without.

    .venv/bin/python scripts/measure_request_log.py [calls]

The request is a resolved session validation (a URL name that is recorded) and the view is a stub returning a
ready response, so what is timed is the middleware alone: the clock reads, the entry object and the deque append.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_config.settings_test")

import django  # noqa: E402

django.setup()

from django.http import HttpRequest, HttpResponse, HttpResponseBase  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import resolve  # noqa: E402

from request_log_app.middleware import RequestLogMiddleware  # noqa: E402
from request_log_app.writer import BUFFER  # noqa: E402

PATH = "/api/v1/sessions/validate/11111111-1111-4111-8111-111111111111"


def timed(call: Callable[[HttpRequest], HttpResponseBase], request: HttpRequest, calls: int) -> list[int]:
    samples: list[int] = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        call(request)
        samples.append(time.perf_counter_ns() - started)
    return samples


def main(calls: int) -> None:
    response = HttpResponse(b"{}", content_type="application/json")

    def view(request: HttpRequest) -> HttpResponse:
        return response

    request = RequestFactory().get(PATH)
    request.resolver_match = resolve(PATH)
    request.request_id = "0" * 32  # type: ignore[attr-defined]  # as RequestIdMiddleware sets it
    BUFFER.background = False
    middleware = RequestLogMiddleware(view)

    timed(middleware, request, 10_000)  # warm up
    bare = statistics.median(timed(view, request, calls))
    logged = statistics.median(timed(middleware, request, calls))
    buffered = len(BUFFER.entries)
    print(f"calls: {calls}, entries buffered: {buffered} (bounded at {BUFFER.entries.maxlen})")
    print(f"median without middleware: {bare / 1000:.2f} µs")
    print(f"median with middleware:    {logged / 1000:.2f} µs")
    print(f"median overhead:           {(logged - bare) / 1000:.2f} µs per recorded request")

    other = RequestFactory().get("/api/healthz/")
    other.resolver_match = resolve("/api/healthz/")
    unrecorded = statistics.median(timed(middleware, other, calls))
    print(f"median overhead:           {(unrecorded - bare) / 1000:.2f} µs per request not recorded (healthz)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
