"""Prometheus metrics, shared by every server worker through PROMETHEUS_MULTIPROC_DIR when it is set."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

# Methods counted by name; any other a client sends is counted as "other", never as a new series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

PROXY_CALLS = Counter("facepass_pixora_calls_total", "Calls for Pixora services, by outcome.", ["outcome"])
PROXY_LATENCY = Histogram(
    "facepass_pixora_call_seconds", "Time Pixora's API took to answer a services call.", buckets=LATENCY_BUCKETS
)
HTTP_REQUESTS = Counter("facepass_http_requests_total", "Requests FacePass answered.", ["route", "method", "status"])
HTTP_LATENCY = Histogram(
    "facepass_http_request_seconds", "Time FacePass took to answer, by route.", ["route"], buckets=LATENCY_BUCKETS
)


def _exposition_registry() -> CollectorRegistry:
    """Under the server (PROMETHEUS_MULTIPROC_DIR set) every worker's files summed; else this process's registry."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
    return registry


# Decided once: prometheus_client picks file-backed or in-memory values at import time, the same way.
EXPOSITION_REGISTRY = _exposition_registry()


def metrics_text() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(EXPOSITION_REGISTRY), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts and times requests by URL route (the pattern, never the raw path: ids would explode the labels)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        route = (match.url_name or match.route) if match else "unmatched"
        method = request.method if request.method in KNOWN_METHODS else "other"
        request_counter(route, method, response.status_code).inc()
        latency_histogram(route).observe(time.perf_counter() - started)
        return response


# labels() takes a lock and builds its key on every call; the children it returns are kept instead.
@functools.lru_cache(maxsize=1024)
def request_counter(route: str, method: str | None, status: int) -> Counter:
    return HTTP_REQUESTS.labels(route=route, method=method, status=status)


@functools.lru_cache(maxsize=256)
def latency_histogram(route: str) -> Histogram:
    return HTTP_LATENCY.labels(route=route)
