"""Gateway side: asking the auth service whether a token is valid, with a short cache of positive answers."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import partial
from http import HTTPStatus

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime

from common.http import pooled_session
from sso_app.errors import AuthServiceUnavailable, InvalidToken
from sso_app.principal import SSOPrincipal
from sso_app.services import token_digest

logger = logging.getLogger(__name__)

VALIDATE_PATH = "/api/v1/auth/validate"
AUTH_SESSION_NAME = "auth-service"
CACHE_MAX_ENTRIES = 10_000


class ValidationCache:
    """Positive validations by token digest, each until min(now + window, token expiry); bounded, oldest out first."""

    def __init__(self, max_entries: int = CACHE_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, SSOPrincipal]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> SSOPrincipal | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.time():
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: str, principal: SSOPrincipal, window_seconds: float) -> None:
        until = min(time.time() + window_seconds, principal.expires_at.timestamp())
        if until <= time.time():
            return
        with self._lock:
            self._entries[key] = (until, principal)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


VALIDATION_CACHE = ValidationCache()


def principal_from_answer(body: object) -> SSOPrincipal:
    """The principal described by a 200 from validate; anything unexpected is the auth service failing."""
    if not isinstance(body, dict) or body.get("active") is not True:
        raise AuthServiceUnavailable()
    username, permissions = body.get("username"), body.get("permissions")
    expires_at = parse_datetime(body["expires_at"]) if isinstance(body.get("expires_at"), str) else None
    if (
        not isinstance(username, str)
        or not isinstance(permissions, list)
        or not all(isinstance(perm, str) for perm in permissions)
        or not isinstance(expires_at, datetime)
        or expires_at.tzinfo is None
    ):
        raise AuthServiceUnavailable()
    return SSOPrincipal(username=username, permissions=frozenset(permissions), expires_at=expires_at)


def principal_cached(token: str, look_up: Callable[[str], SSOPrincipal]) -> SSOPrincipal:
    """`look_up`'s principal for this token, reused for SSO_VALIDATION_CACHE_SECONDS (0: not at all) and never past
    the token's expiry; a refusal (whatever `look_up` raises) is never cached."""
    window = settings.SSO_VALIDATION_CACHE_SECONDS
    if window <= 0:
        return look_up(token)
    key = token_digest(token)
    if (cached := VALIDATION_CACHE.get(key)) is not None:
        return cached
    principal = look_up(token)
    VALIDATION_CACHE.put(key, principal, window)
    return principal


def token_validate_remote(*, token: str, request_id: str | None = None) -> SSOPrincipal:
    """The principal for this token according to the auth service (cached); InvalidToken, or a 503 when it can't
    answer."""
    return principal_cached(token, partial(_token_validate_at_auth_service, request_id=request_id))


def _token_validate_at_auth_service(token: str, *, request_id: str | None) -> SSOPrincipal:
    headers = {"Authorization": f"Bearer {token}", "X-Service-Key": settings.SSO_SERVICE_KEY}
    if request_id:
        headers["X-Request-ID"] = request_id
    timeout = (settings.SSO_CONNECT_TIMEOUT, settings.SSO_READ_TIMEOUT)
    try:
        response = pooled_session(AUTH_SESSION_NAME, timeout=timeout).post(
            settings.AUTH_SERVICE_URL.rstrip("/") + VALIDATE_PATH,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        logger.error("auth service unreachable: %s", exc)
        raise AuthServiceUnavailable() from exc
    if response.status_code == HTTPStatus.UNAUTHORIZED:
        raise InvalidToken()
    if response.status_code != HTTPStatus.OK:
        # 403 means our SSO_SERVICE_KEY is not the auth service's: a misconfiguration, never a user's fault.
        logger.error("auth service answered %s to a validation", response.status_code)
        raise AuthServiceUnavailable()
    try:
        body = response.json()
    except ValueError as exc:
        logger.error("auth service answered something that is not JSON")
        raise AuthServiceUnavailable() from exc
    return principal_from_answer(body)
