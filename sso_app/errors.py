"""Declared errors of the SSO endpoints."""

from __future__ import annotations

from http import HTTPStatus

from rest_framework.exceptions import APIException, AuthenticationFailed

from common.errors import ServiceUnavailable

INVALID_TOKEN = "Invalid or expired token"  # noqa: S105 (a message)
INVALID_CREDENTIALS = "Invalid username or password"


class InvalidToken(AuthenticationFailed):
    default_detail = INVALID_TOKEN
    default_code = "invalid_token"


class MalformedAuthorization(AuthenticationFailed):
    default_detail = "Authorization header must be 'Bearer <token>'"
    default_code = "malformed_authorization"


INVALID_CLIENT = "Client authentication failed: no, unknown or disabled client, or a wrong secret."
SERVICE_KEY_REFUSED = "This endpoint is for FacePass services: a valid X-Service-Key is required."


class ServiceKeyRefused(AuthenticationFailed):
    default_detail = SERVICE_KEY_REFUSED
    default_code = "service_key_refused"


class InvalidClient(AuthenticationFailed):
    """RFC 6749 §5.2's `invalid_client`, in the RFC's shape rather than DRF's `detail`."""

    def __init__(
        self, description: str = "Client authentication failed: unknown client, wrong secret or disabled."
    ) -> None:
        super().__init__({"error": "invalid_client", "error_description": description})


class InvalidRequest(APIException):
    """RFC 6749 §5.2's `invalid_request` (400), in the RFC's shape."""

    status_code = HTTPStatus.BAD_REQUEST

    def __init__(self, description: str) -> None:
        super().__init__({"error": "invalid_request", "error_description": description})


# Plain APIExceptions: DRF turns AuthenticationFailed into a 403 on views without an authentication class.
class InvalidCredentials(APIException):
    status_code = HTTPStatus.UNAUTHORIZED
    default_detail = INVALID_CREDENTIALS
    default_code = "invalid_credentials"


class InvalidLoginCode(APIException):
    status_code = HTTPStatus.UNAUTHORIZED
    default_detail = "Invalid or expired code"
    default_code = "invalid_code"


class AuthServiceUnavailable(ServiceUnavailable):
    default_detail = "The authentication service is unavailable. Try again shortly."
    default_code = "auth_service_unavailable"
