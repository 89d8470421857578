"""DRF authentication of users by `Authorization: Bearer <token>` (against the local database, or the auth
service), and of the services that check tokens (`X-Service-Key`, or RFC 6749 client credentials)."""

from __future__ import annotations

import base64
import re
from typing import cast
from urllib.parse import unquote_plus

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from sso_app.errors import InvalidClient, InvalidRequest, InvalidToken, MalformedAuthorization, ServiceKeyRefused
from sso_app.models import SSOToken
from sso_app.principal import ServiceCaller, SSOPrincipal
from sso_app.remote import principal_cached, token_validate_remote
from sso_app.services import client_caller, service_key_caller, token_check

# What token_urlsafe makes, with room to spare; anything else is refused before any lookup.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,256}")
SCHEME = "Bearer"
SERVICE_KEY_HEADER = "X-Service-Key"
# (request.user, request.auth): auth is the token's record when checked here, the token itself when the auth
# service or the validation cache vouched for it.
Authenticated = tuple[SSOPrincipal, SSOToken] | tuple[SSOPrincipal, str]


def request_principal(request: Request) -> SSOPrincipal:
    """request.user of a request that a token authentication class here let in (its view's permissions ask that)."""
    return cast(SSOPrincipal, request.user)


def request_token_record(request: Request) -> SSOToken:
    """request.auth of a request that LocalSSOTokenAuthentication let in: the token's record."""
    return cast(SSOToken, request.auth)


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>`; None without the header; MalformedAuthorization if bad."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    # The scheme is case-insensitive (RFC 9110 §11.1); exactly one space, then a token68-like value.
    scheme, separator, token = header.partition(" ")
    if scheme.lower() != SCHEME.lower() or not separator or not token:
        raise MalformedAuthorization()
    if not TOKEN_PATTERN.fullmatch(token):
        raise InvalidToken()
    return token


class LocalSSOTokenAuthentication(BaseAuthentication):
    """Tokens checked in this service's own database (the auth service, or a single-service deployment)."""

    def authenticate(self, request: Request) -> Authenticated | None:
        token = bearer_token(request)
        if token is None:
            return None
        checked = token_check(token=token)
        if checked is None:
            raise InvalidToken()
        return checked

    def authenticate_header(self, request: Request) -> str:
        return f'{SCHEME} realm="facepass"'


class SSOTokenAuthentication(LocalSSOTokenAuthentication):
    """Tokens checked by the auth service when AUTH_SERVICE_URL is set, else locally."""

    def authenticate(self, request: Request) -> Authenticated | None:
        if not settings.AUTH_SERVICE_URL:
            return super().authenticate(request)
        token = bearer_token(request)
        if token is None:
            return None
        return token_validate_remote(token=token, request_id=getattr(request, "request_id", None)), token


class CachedSSOTokenAuthentication(SSOTokenAuthentication):
    """For a check in front of every request (nginx `auth_request`): a valid token's principal is reused for
    SSO_VALIDATION_CACHE_SECONDS and never past the token's expiry, so a revocation is seen within that window.
    On a gateway the auth service's answers are cached already (sso_app.remote)."""

    def authenticate(self, request: Request) -> Authenticated | None:
        if settings.AUTH_SERVICE_URL:
            return super().authenticate(request)
        token = bearer_token(request)
        if token is None:
            return None
        return principal_cached(token, local_principal), token


def local_principal(token: str) -> SSOPrincipal:
    """The principal of a valid token in this service's database; InvalidToken otherwise."""
    checked = token_check(token=token)
    if checked is None:
        raise InvalidToken()
    return checked[0]


class ServiceKeyAuthentication(BaseAuthentication):
    """FacePass's own form for its gateways: `X-Service-Key` holding the shared SSO_SERVICE_KEY, or a registered
    client's `client_id:client_secret`.

    Refusals are 403 without a challenge: a gateway reads them as its own misconfiguration (a 503 for its
    users), never as a user's bad token, which is validate's 401.
    """

    def authenticate(self, request: Request) -> tuple[ServiceCaller, None]:
        caller = service_key_caller(request.headers.get(SERVICE_KEY_HEADER, ""))
        if caller is None:
            raise ServiceKeyRefused()
        return caller, None


class ClientCredentialsAuthentication(ServiceKeyAuthentication):
    """RFC 6749 §2.3.1 client authentication, as RFC 7662 asks of introspection callers: HTTP Basic with the
    form-encoded client id and secret, or `client_id` and `client_secret` in the form body; `X-Service-Key` too.
    No credentials, or wrong ones, is a 401 `invalid_client` with a Basic challenge."""

    def authenticate(self, request: Request) -> tuple[ServiceCaller, None]:
        basic = basic_credentials(request.headers.get("Authorization", ""))
        data = request.data if isinstance(request.data, dict) else {}
        client_id, client_secret = data.get("client_id"), data.get("client_secret")
        if basic is not None and (client_id or client_secret):
            raise InvalidRequest("Authenticate the client one way: HTTP Basic or form fields, not both.")
        posted = (
            (client_id, client_secret)
            if isinstance(client_id, str) and client_id and isinstance(client_secret, str) and client_secret
            else None
        )
        credentials = basic or posted
        if credentials is None:
            caller = service_key_caller(request.headers.get(SERVICE_KEY_HEADER, ""))
        else:
            caller = client_caller(client_id=credentials[0], client_secret=credentials[1])
        if caller is None:
            raise InvalidClient()
        return caller, None

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="facepass"'


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(client_id, client_secret) of `Authorization: Basic ...`; None for another scheme or no header.

    RFC 6749 §2.3.1 form-encodes both before joining them with ':'; some clients don't, which decoding leaves
    unharmed for the URL-safe ids and secrets FacePass issues.
    """
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII input
        raise InvalidClient("Malformed HTTP Basic credentials.") from None
    client_id, separator, client_secret = decoded.partition(":")
    if not separator:
        raise InvalidClient("Malformed HTTP Basic credentials.")
    return unquote_plus(client_id), unquote_plus(client_secret)
