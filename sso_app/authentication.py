"""DRF authentication by `Authorization: Bearer <token>`: against the local database, or the auth service."""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from sso_app.errors import InvalidToken, MalformedAuthorization
from sso_app.models import SSOToken
from sso_app.principal import SSOPrincipal
from sso_app.remote import token_validate_remote
from sso_app.services import token_check

# What token_urlsafe makes, with room to spare; anything else is refused before any lookup.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,256}")
SCHEME = "Bearer"


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

    def authenticate(self, request: Request) -> tuple[SSOPrincipal, SSOToken] | None:
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

    def authenticate(self, request: Request) -> tuple[SSOPrincipal, str] | tuple[SSOPrincipal, SSOToken] | None:
        if not settings.AUTH_SERVICE_URL:
            return super().authenticate(request)
        token = bearer_token(request)
        if token is None:
            return None
        return token_validate_remote(token=token, request_id=getattr(request, "request_id", None)), token
