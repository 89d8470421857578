"""Request throttling that degrades: a cache that is down lets requests through (logged), never fails them."""

from __future__ import annotations

import logging

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from common.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)


class ResilientScopedRateThrottle(ScopedRateThrottle):
    """A per-client scoped throttle counting in fixed windows, open while the cache is unavailable.

    Fixed windows, not DRF's sliding history: DRF keeps every request's timestamp in one cached list and
    unpickles and pickles it on every request, which was 39 % of a cached validation's CPU under load
    (bench/results/profile-validate-hot.md). One counter per client and window (an atomic increment) costs the
    same at any rate; a client can at most double the rate across a window boundary, enough to stop enumeration.

    Open, not closed: the throttle only slows enumeration, and refusing every client while Redis is down
    would turn a cache outage into a full outage of the public API. The databases still bound the work.
    """

    wait_seconds = 0.0

    def throttle_count(self, key: str) -> int:
        """This window's count for the key, after counting this request."""
        if self.cache.add(key, 1, int(self.duration) + 1):
            return 1
        try:
            return self.cache.incr(key)
        except ValueError:  # the window ended between add and incr
            self.cache.set(key, 1, int(self.duration) + 1)
            return 1

    def wait(self) -> float:
        return self.wait_seconds

    def get_ident(self, request: Request) -> str:
        # With NUM_PROXIES unset DRF keys on the whole X-Forwarded-For, which a client could vary at will.
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR", "")
        return super().get_ident(request)

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        now = self.timer()
        window = int(now // self.duration)
        key = self.cache_format % {"scope": self.scope, "ident": f"{self.get_ident(request)}:{window}"}
        try:
            count = self.throttle_count(key)
        except CACHE_ERRORS as exc:
            logger.warning("throttle skipped, cache unavailable: %s", exc)
            return True
        self.wait_seconds = (window + 1) * self.duration - now
        return count <= self.num_requests
