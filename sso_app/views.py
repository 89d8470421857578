"""SSO endpoints (sign-in, token checks, sign-out) and the per-pod request log they guard."""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.tasks import task_publish
from sso_app.authentication import LocalSSOTokenAuthentication, SSOTokenAuthentication, bearer_token
from sso_app.errors import INVALID_TOKEN, InvalidCredentials, InvalidLoginCode, InvalidPodName
from sso_app.permissions import CanReadLogs
from sso_app.principal import SSOPrincipal
from sso_app.selectors import request_log_page
from sso_app.serializers import (
    LoginCodeRedeemSerializer,
    LoginCodeRequestSerializer,
    LoginRequestSerializer,
    LoginResponseSerializer,
    RequestLogEntrySerializer,
    RequestLogPageSerializer,
    SessionSerializer,
    ValidationResponseSerializer,
)
from sso_app.services import (
    IssuedToken,
    login_code_redeem,
    principal_payload,
    token_check,
    token_issue,
    token_revoke,
    tokens_revoke_all,
)
from sso_app.tasks import login_code_request_task
from sso_app.throttles import LoginIPThrottle, LoginUsernameThrottle, client_ip

SERVICE_KEY_HEADER = "X-Service-Key"
SERVICE_KEY_REFUSED = "This endpoint is for FacePass services: a valid X-Service-Key is required."
MISSING_TOKEN = "Missing Authorization: Bearer <token>"  # noqa: S105 (a message)
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="facepass"'}
# RFC 1123 label; compared lower-case, since DNS names are case-insensitive.
DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
LOG_PAGE_DEFAULT = 100
LOG_PAGE_MAX = 1000
LIMIT_PATTERN = re.compile(r"[0-9]{1,6}")
TOKEN_ERRORS = {401: OpenApiResponse(description="Missing, malformed, unknown, expired or revoked token.")}
SIGN_IN_ERRORS = {
    400: OpenApiResponse(description="Missing or malformed fields."),
    401: OpenApiResponse(description="Wrong credentials (one message whether or not the account exists)."),
    429: OpenApiResponse(description="Too many attempts from this address or for this account."),
}


def service_key_valid(request: Request) -> bool:
    """Whether the caller presented SSO_SERVICE_KEY; nobody passes while it is unset."""
    expected = settings.SSO_SERVICE_KEY
    presented = request.headers.get(SERVICE_KEY_HEADER, "")
    return bool(expected) and hmac.compare_digest(
        presented.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


def sign_in_answer(issued: IssuedToken) -> Response:
    return Response(
        {
            "token": issued.token,
            "token_type": "Bearer",
            "expires_at": issued.record.expires_at,
            "user": principal_payload(issued.principal),
        }
    )


def inactive(detail: str) -> Response:
    return Response({"active": False, "detail": detail}, status=HTTPStatus.UNAUTHORIZED, headers=WWW_AUTHENTICATE)


class LoginView(APIView):
    authentication_classes: list = []
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(request=LoginRequestSerializer, responses={200: LoginResponseSerializer, **SIGN_IN_ERRORS})
    def post(self, request: Request) -> Response:
        serializer = LoginRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request._request, **serializer.validated_data)
        if user is None:
            raise InvalidCredentials()
        return sign_in_answer(
            token_issue(user=user, user_agent=request.headers.get("User-Agent", ""), ip=client_ip(request))
        )


class LoginCodeRequestView(APIView):
    authentication_classes: list = []
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(
        request=LoginCodeRequestSerializer,
        responses={
            202: inline_serializer("LoginCodeRequested", {"detail": serializers.CharField()}),
            400: SIGN_IN_ERRORS[400],
            429: SIGN_IN_ERRORS[429],
            503: OpenApiResponse(description="The task queue that sends the codes is unavailable."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = LoginCodeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task_publish(login_code_request_task, serializer.validated_data["email"])
        return Response(
            {"detail": "If an account uses this address, a sign-in code has been sent to it."},
            status=HTTPStatus.ACCEPTED,
        )


class LoginCodeRedeemView(APIView):
    authentication_classes: list = []
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(request=LoginCodeRedeemSerializer, responses={200: LoginResponseSerializer, **SIGN_IN_ERRORS})
    def post(self, request: Request) -> Response:
        serializer = LoginCodeRedeemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = login_code_redeem(**serializer.validated_data)
        if user is None:
            raise InvalidLoginCode()
        return sign_in_answer(
            token_issue(user=user, user_agent=request.headers.get("User-Agent", ""), ip=client_ip(request))
        )


class TokenValidateView(APIView):
    authentication_classes: list = []

    @extend_schema(
        request=None,
        responses={
            200: ValidationResponseSerializer,
            401: ValidationResponseSerializer,
            403: OpenApiResponse(description="No valid X-Service-Key: validation is for FacePass services only."),
        },
    )
    def post(self, request: Request) -> Response:
        if not service_key_valid(request):
            return Response({"active": False, "detail": SERVICE_KEY_REFUSED}, status=HTTPStatus.FORBIDDEN)
        try:
            token = bearer_token(request)
        except AuthenticationFailed as exc:
            return inactive(str(exc.detail))
        if token is None:
            return inactive(MISSING_TOKEN)
        checked = token_check(token=token)
        if checked is None:
            return inactive(INVALID_TOKEN)
        principal, _ = checked
        return Response({"active": True, **principal_payload(principal), "expires_at": principal.expires_at})


class TokenIntrospectView(APIView):
    """RFC 7662 token introspection, for OAuth resource servers."""

    authentication_classes: list = []
    parser_classes = [FormParser]

    @extend_schema(
        request={
            "application/x-www-form-urlencoded": inline_serializer("Introspect", {"token": serializers.CharField()})
        },
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        if not service_key_valid(request):
            return Response({"active": False, "detail": SERVICE_KEY_REFUSED}, status=HTTPStatus.FORBIDDEN)
        token = request.data.get("token")
        if not token:
            return Response(
                {"error": "invalid_request", "error_description": "The token parameter is required."},
                status=HTTPStatus.BAD_REQUEST,
            )
        checked = token_check(token=token) if len(token) <= 256 else None
        if checked is None:
            return Response({"active": False})
        principal, record = checked
        return Response(
            {
                "active": True,
                "token_type": "Bearer",
                "username": principal.username,
                "scope": " ".join(sorted(principal.permissions)),
                "permissions": sorted(principal.permissions),
                "iat": int(record.created_at.timestamp()),
                "exp": int(record.expires_at.timestamp()),
            }
        )


class LogoutView(APIView):
    authentication_classes = [LocalSSOTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, **TOKEN_ERRORS})
    def post(self, request: Request) -> Response:
        token_revoke(record=request.auth)
        return Response(status=HTTPStatus.NO_CONTENT)


class LogoutAllView(APIView):
    authentication_classes = [LocalSSOTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, **TOKEN_ERRORS})
    def post(self, request: Request) -> Response:
        tokens_revoke_all(user_id=request.user.user_id)
        return Response(status=HTTPStatus.NO_CONTENT)


class SessionView(APIView):
    authentication_classes = [LocalSSOTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: SessionSerializer, **TOKEN_ERRORS})
    def get(self, request: Request) -> Response:
        principal: SSOPrincipal = request.user
        record = request.auth
        return Response(
            {
                **principal_payload(principal),
                "created_at": record.created_at,
                "expires_at": record.expires_at,
                "last_used_at": record.last_used_at,
                "ip": record.ip,
                "user_agent": record.user_agent,
            }
        )


def limit_from_query(value: str | None) -> int:
    if value is None:
        return LOG_PAGE_DEFAULT
    if not LIMIT_PATTERN.fullmatch(value) or not 1 <= int(value) <= LOG_PAGE_MAX:
        raise ValidationError({"limit": [f"A whole number from 1 to {LOG_PAGE_MAX}."]})
    return int(value)


def before_from_query(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        before = parse_datetime(value)
    except ValueError:
        before = None
    if before is None:
        raise ValidationError({"before": ["An ISO 8601 timestamp such as 2026-01-31T12:00:00Z."]})
    return before if timezone.is_aware(before) else before.replace(tzinfo=UTC)


class RequestLogView(APIView):
    authentication_classes = [SSOTokenAuthentication]
    permission_classes = [CanReadLogs]

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description=f"Entries per page, 1 to {LOG_PAGE_MAX} (default 100)."),
            OpenApiParameter("before", OpenApiTypes.DATETIME, description="Only entries older than this."),
        ],
        responses={
            200: RequestLogPageSerializer,
            400: OpenApiResponse(description="Pod name not a DNS label, or a bad limit or before."),
            **TOKEN_ERRORS,
            403: OpenApiResponse(description="The token's user lacks sso_app.read_logs."),
            503: OpenApiResponse(description="The auth service or the database is unavailable."),
        },
    )
    def get(self, request: Request, pod_name: str) -> Response:
        pod = pod_name.lower()
        if not DNS_LABEL.fullmatch(pod):
            raise InvalidPodName()
        limit = limit_from_query(request.query_params.get("limit"))
        before = before_from_query(request.query_params.get("before"))
        entries = list(request_log_page(pod=pod, limit=limit, before=before))
        body: dict[str, Any] = {
            "status": "success",
            "pod_name": pod,
            "entries": RequestLogEntrySerializer(entries, many=True).data,
            "next_before": entries[-1].created_at if len(entries) == limit else None,
        }
        return Response(body)
