"""Request throttling that degrades: a cache that is down lets requests through (logged), never fails them."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from common.cache import CACHE_ERRORS, counter_add

logger = logging.getLogger(__name__)

# A process adds its requests to the shared count at most this many at a time, and one at a time near the limit.
SYNC_BATCH_MAX = 100
SYNC_BATCH_SHARE_OF_LIMIT = 50


def sync_batch(limit: int) -> int:
    """Requests a process may count on its own before adding them to the shared count: 2 % of the limit."""
    return max(1, min(SYNC_BATCH_MAX, limit // SYNC_BATCH_SHARE_OF_LIMIT))


class WindowCounts:
    """One process's counts in the current window of one scope, added to the shared count in batches.

    Per key: [the shared count when this process last added to it, requests counted here since]. A client
    can pass its limit by at most a batch per worker process (2 %), and not at all once the shared count
    is within a batch of the limit, where every request is added at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window: int | None = None
        self._counts: dict[str, list[int]] = {}

    def count(self, key: str, *, window: int, limit: int, timeout: float, cost: int = 1) -> int:
        """The client's estimated count in this window, after counting this request (as `cost` requests)."""
        batch = sync_batch(limit)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            counts = self._counts.setdefault(key, [0, 0])
            counts[1] += cost
            if counts[1] < batch and counts[0] + counts[1] + batch <= limit:
                return counts[0] + counts[1]
            unshared, counts[1] = counts[1], 0
        try:
            shared = counter_add(key, unshared, timeout)
        except CACHE_ERRORS:
            with self._lock:
                counts[1] += unshared
            raise
        with self._lock:
            counts[0] = max(counts[0], shared)
            return counts[0] + counts[1]


_window_counts: dict[str, WindowCounts] = {}


def window_counts_clear() -> None:
    """Forget this process's unshared counts (tests start each from a clean cache)."""
    _window_counts.clear()


class ResilientScopedRateThrottle(ScopedRateThrottle):
    """A per-client scoped throttle counting in fixed windows, open while the cache is unavailable.

    Fixed windows, not DRF's sliding history: DRF keeps every request's timestamp in one cached list and
    unpickles and pickles it on every request. One shared counter per client and window costs the same at any
    rate; a client can at most double the rate across a window boundary, enough to stop enumeration. Each
    process counts on its own between additions to the shared counter (WindowCounts): a round trip to Redis
    on every request would cost a cached validation as much CPU as everything else it does.

    Open, not closed: the throttle only slows enumeration, and refusing every client while Redis is down
    would turn a cache outage into a full outage of the public API. The databases still bound the work.
    """

    wait_seconds = 0.0

    def wait(self) -> float:
        return self.wait_seconds

    def get_ident(self, request: Request) -> str:
        # With NUM_PROXIES unset DRF keys on the whole X-Forwarded-For, which a client could vary at will.
        if api_settings.NUM_PROXIES is None:
            remote_addr: str = request.META.get("REMOTE_ADDR", "")
            return remote_addr
        return super().get_ident(request)

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        num_requests, duration = self.parse_rate(self.rate)
        self.num_requests, self.duration = num_requests, duration
        if num_requests is None or duration is None:
            return True  # a scope whose rate is None is not throttled, as in DRF
        now = self.timer()
        window = int(now // duration)
        key = self.cache_format % {"scope": self.scope, "ident": f"{self.get_ident(request)}:{window}"}
        counts = _window_counts.get(self.scope) or _window_counts.setdefault(self.scope, WindowCounts())
        cost = view.throttle_cost(request) if hasattr(view, "throttle_cost") else 1
        try:
            count = counts.count(key, window=window, limit=num_requests, timeout=duration + 1, cost=cost)
        except CACHE_ERRORS as exc:
            logger.warning("throttle skipped, cache unavailable: %s", exc)
            return True
        self.wait_seconds = (window + 1) * duration - now
        return count <= num_requests


def throttle_wait(request: HttpRequest, *, scope: str) -> float | None:
    """For a plain Django view: None while the client is within the scope's rate, else the seconds to wait."""
    throttle = ResilientScopedRateThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):  # type: ignore[arg-type]
        return None
    return throttle.wait()
