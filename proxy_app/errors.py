"""How a call to the Pixora API can fail, each with the status and JSON body the client gets."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from rest_framework.exceptions import APIException


class PixoraError(APIException):
    """`{"detail": {"error": ..., "message": ..., ...}}`; the upstream's own body is never shown."""

    error = "Bad gateway"
    status_code: int = HTTPStatus.BAD_GATEWAY
    default_code = "bad_gateway"
    outcome = "bad_gateway"
    # Failures that say Pixora itself is in trouble, counted by the circuit breaker.
    counts_against_pixora = False

    def __init__(self, message: str, *, upstream_status: int | None = None, **extra: Any) -> None:
        super().__init__({"detail": {"error": self.error, "message": message, **extra}})
        self.message = message
        self.upstream_status = upstream_status


class PixoraServerError(PixoraError):
    """Pixora answered 5xx."""

    outcome = "upstream_error"
    counts_against_pixora = True


class PixoraNotConfigured(PixoraError):
    error = "Not configured"
    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    default_code = "not_configured"
    outcome = "not_configured"


class PixoraSessionNotFound(PixoraError):
    error = "Session not found"
    status_code = HTTPStatus.NOT_FOUND
    default_code = "session_not_found"
    outcome = "not_found"


class PixoraClientError(PixoraError):
    """Another 4xx from Pixora, passed on with its status."""

    error = "Pixora API refused the request"
    default_code = "upstream_client_error"
    outcome = "client_error"

    def __init__(self, message: str, *, upstream_status: int, **extra: Any) -> None:
        super().__init__(message, upstream_status=upstream_status, **extra)
        self.status_code = upstream_status


class PixoraNetworkError(PixoraError):
    error = "Network error"
    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    default_code = "network_error"
    outcome = "network_error"
    counts_against_pixora = True


class PixoraTimeout(PixoraError):
    error = "Request timeout"
    status_code = HTTPStatus.GATEWAY_TIMEOUT
    default_code = "timeout"
    outcome = "timeout"
    counts_against_pixora = True


class PixoraCircuitOpen(PixoraError):
    error = "Pixora API unavailable"
    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    default_code = "circuit_open"
    outcome = "circuit_open"


class PixoraBusy(PixoraError):
    error = "Pixora API busy"
    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    default_code = "busy"
    outcome = "busy"
