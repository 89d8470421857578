"""Sign-in throttles: per client IP and per username (or email), through the degrading cache."""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from common.cache import cache_get, cache_set


class DegradingCache:
    """The two calls DRF throttles make, through common.cache: a cache that is down throttles nobody."""

    def get(self, key: str, default: Any = None) -> Any:
        value = cache_get(key)
        return default if value is None else value

    def set(self, key: str, value: Any, timeout: float) -> None:
        cache_set(key, value, timeout)


class LoginIPThrottle(SimpleRateThrottle):
    scope = "login_ip"
    cache = DegradingCache()

    def get_ident(self, request: Request) -> str:
        # DRF trusts any X-Forwarded-For when NUM_PROXIES is unset, which would let a client pick its own key.
        if api_settings.NUM_PROXIES is not None:
            return super().get_ident(request)
        return request.META.get("REMOTE_ADDR", "")

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(SimpleRateThrottle):
    """Per account name, whoever tries it: guessing one person's password from many addresses is throttled too."""

    scope = "login_username"
    cache = DegradingCache()
    fields = ("username", "email")

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data = request.data if isinstance(request.data, dict) else {}
        for field in self.fields:
            value = data.get(field)
            if isinstance(value, str) and value:
                ident = hashlib.sha256(f"{field}:{value.strip().lower()}".encode("utf-8", "surrogatepass")).hexdigest()
                return self.cache_format % {"scope": self.scope, "ident": ident}
        return None


def client_ip(request: Request) -> str | None:
    """The peer address, or the one DRF's NUM_PROXIES picks from X-Forwarded-For when that is configured."""
    if api_settings.NUM_PROXIES is not None:
        return LoginIPThrottle().get_ident(request) or None
    return request.META.get("REMOTE_ADDR") or None
