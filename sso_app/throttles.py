"""Sign-in throttles: per client IP and per username (or email), counted atomically across workers."""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from common.cache import CACHE_ERRORS, cache_get, counter_add

logger = logging.getLogger(__name__)


class SignInThrottle(SimpleRateThrottle):
    """Counts sign-in attempts with one atomic addition in the shared cache, as a sliding window.

    DRF's throttle reads a list of timestamps, appends and writes it back: two workers at once both write their
    own list and one attempt is lost. Here each attempt is an INCR on its window's counter, and the estimate adds
    the previous window's count in proportion to how much of it still lies within the last `duration` seconds.
    When the cache is down each process counts on its own (its workers' share of attempts is still limited):
    password guessing must not get easier during a cache outage.
    """

    # Set by DRF's __init__ from the scope's rate (both None when the rate is None); its stubs leave them out.
    num_requests: int | None
    duration: int | None

    def allow_request(self, request: Request, view: APIView) -> bool:
        key = self.get_cache_key(request, view)
        num_requests, duration = self.num_requests, self.duration
        if key is None or num_requests is None or duration is None:
            return True
        now = self.timer()
        window, elapsed = divmod(now, duration)
        current, previous = f"{key}:{int(window)}", f"{key}:{int(window) - 1}"
        try:
            count = counter_add(current, 1, 2 * duration + 1)
            before: int = cache_get(previous) or 0
        except CACHE_ERRORS as exc:
            logger.warning("sign-in throttle %s counting in this process only, cache unavailable: %s", self.scope, exc)
            count, before = _local_counts.add(current, previous, expires=now + 2 * duration)
        estimate = count + before * (1 - elapsed / duration)
        self.wait_seconds: float = duration - elapsed
        return estimate <= num_requests

    def wait(self) -> float:
        return self.wait_seconds


class LocalCounts:
    """Per-process counters for when the shared cache is down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def add(self, current: str, previous: str, *, expires: float) -> tuple[int, int]:
        """This process's count in the current window after adding one, and its count in the previous one."""
        with self._lock:
            now = time.time()
            if len(self._counts) > 10_000:
                self._counts = {key: entry for key, entry in self._counts.items() if entry[1] > now}
            count = self._counts.get(current, (0, expires))[0] + 1
            self._counts[current] = (count, expires)
            before = self._counts.get(previous, (0, 0.0))
            return count, before[0] if before[1] > now else 0

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


_local_counts = LocalCounts()


def sign_in_local_counts_clear() -> None:
    """Forget this process's fallback counts (tests start each from a clean slate)."""
    _local_counts.clear()


class LoginIPThrottle(SignInThrottle):
    scope = "login_ip"

    def get_ident(self, request: Request | HttpRequest) -> str:
        # DRF trusts any X-Forwarded-For when NUM_PROXIES is unset, which would let a client pick its own key.
        if api_settings.NUM_PROXIES is not None:
            return super().get_ident(request)  # type: ignore[arg-type]  # DRF reads only META, a Django request's too
        remote_addr: str = request.META.get("REMOTE_ADDR", "")
        return remote_addr

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(SignInThrottle):
    """Per account name, whoever tries it: guessing one person's password from many addresses is throttled too."""

    scope = "login_username"
    fields = ("username", "email")

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data = request.data if isinstance(request.data, dict) else {}
        for field in self.fields:
            value = data.get(field)
            if isinstance(value, str) and value:
                ident = hashlib.sha256(f"{field}:{value.strip().lower()}".encode("utf-8", "surrogatepass")).hexdigest()
                return self.cache_format % {"scope": self.scope, "ident": ident}
        return None


def client_ip(request: Request | HttpRequest) -> str | None:
    """The peer address, or the one DRF's NUM_PROXIES picks from X-Forwarded-For when that is configured (for a
    DRF request or a plain Django one: both are read through META)."""
    if api_settings.NUM_PROXIES is not None:
        return LoginIPThrottle().get_ident(request) or None
    return request.META.get("REMOTE_ADDR") or None
