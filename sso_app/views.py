"""SSO endpoints: sign-in, token checks for services and for nginx, discovery, sign-out."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import PublicAPIView
from common.tasks import task_publish
from sso_app.authentication import (
    CachedSSOTokenAuthentication,
    ClientCredentialsAuthentication,
    LocalSSOTokenAuthentication,
    ServiceKeyAuthentication,
    bearer_token,
    request_principal,
    request_token_record,
)
from sso_app.errors import INVALID_TOKEN, InvalidCredentials, InvalidLoginCode
from sso_app.models import AuditEvent
from sso_app.permissions import HoldsRequiredPermissions, IsServiceCaller
from sso_app.serializers import (
    AuthorizationServerMetadataSerializer,
    IntrospectionRequestSerializer,
    IntrospectionResponseSerializer,
    LoginCodeRedeemSerializer,
    LoginCodeRequestSerializer,
    LoginRequestSerializer,
    LoginResponseSerializer,
    SessionSerializer,
    TokenCheckSerializer,
    ValidationResponseSerializer,
)
from sso_app.services import (
    audit_record,
    login_code_redeem,
    principal_payload,
    sign_in,
    token_check,
    token_revoke,
    tokens_revoke_all,
)
from sso_app.tasks import login_code_request_task
from sso_app.throttles import LoginIPThrottle, LoginUsernameThrottle, client_ip

MISSING_TOKEN = "Missing Authorization: Bearer <token>"  # noqa: S105 (a message)
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="facepass"'}
# Longer than any token FacePass issues: not worth a lookup.
INTROSPECT_TOKEN_MAX = 256
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
TOKEN_ERRORS = {401: OpenApiResponse(description="Missing, malformed, unknown, expired or revoked token.")}
SIGN_IN_ERRORS = {
    400: OpenApiResponse(description="Missing or malformed fields."),
    401: OpenApiResponse(description="Wrong credentials (one message whether or not the account exists)."),
    429: OpenApiResponse(description="Too many attempts from this address or for this account."),
}
SERVICE_KEY_ERRORS = {403: OpenApiResponse(description="No valid X-Service-Key (shared key or client_id:secret).")}
CLIENT_ERRORS = {
    400: OpenApiResponse(description="No token parameter, or the client authenticated two ways at once."),
    401: OpenApiResponse(description="invalid_client: no, unknown, disabled or wrong client credentials."),
}


def sign_in_answer(
    request: Request, user: User | None, *, tried: str, method: str, refusal: type[APIException]
) -> Response:
    """A token for the user who proved who they are by `method`, or `refusal` for `tried` (the name or address
    given); either way a line in the audit trail."""
    ip = client_ip(request)
    if user is None:
        audit_record(AuditEvent.Kind.SIGN_IN_FAILED, username=tried, ip=ip, detail=method)
        raise refusal()
    issued = sign_in(user=user, method=method, user_agent=request.headers.get("User-Agent", ""), ip=ip)
    return Response(
        LoginResponseSerializer(
            {
                "token": issued.token,
                "token_type": "Bearer",
                "expires_at": issued.record.expires_at,
                "user": principal_payload(issued.principal),
            }
        ).data
    )


def inactive(detail: str) -> Response:
    return Response({"active": False, "detail": detail}, status=HTTPStatus.UNAUTHORIZED, headers=WWW_AUTHENTICATE)


def issuer(request: Request) -> str:
    """The issuer identifier (RFC 8414 §2): SSO_ISSUER, else this request's scheme and host."""
    return settings.SSO_ISSUER.rstrip("/") or request.build_absolute_uri("/").rstrip("/")


class LoginView(PublicAPIView):
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(request=LoginRequestSerializer, responses={200: LoginResponseSerializer, **SIGN_IN_ERRORS})
    def post(self, request: Request) -> Response:
        serializer = LoginRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request._request, **serializer.validated_data)
        return sign_in_answer(
            request, user, tried=serializer.validated_data["username"], method="password", refusal=InvalidCredentials
        )


class LoginCodeRequestView(PublicAPIView):
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


class LoginCodeRedeemView(PublicAPIView):
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(request=LoginCodeRedeemSerializer, responses={200: LoginResponseSerializer, **SIGN_IN_ERRORS})
    def post(self, request: Request) -> Response:
        serializer = LoginCodeRedeemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = login_code_redeem(**serializer.validated_data)
        return sign_in_answer(
            request, user, tried=serializer.validated_data["email"], method="email code", refusal=InvalidLoginCode
        )


class TokenValidateView(APIView):
    """FacePass's own gateways ask here, with X-Service-Key, whether a user's Bearer token is valid."""

    authentication_classes = [ServiceKeyAuthentication]
    permission_classes = [IsServiceCaller]

    @extend_schema(
        request=None,
        responses={200: ValidationResponseSerializer, 401: ValidationResponseSerializer, **SERVICE_KEY_ERRORS},
    )
    def post(self, request: Request) -> Response:
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
        return Response(
            ValidationResponseSerializer(
                {"active": True, **principal_payload(principal), "expires_at": principal.expires_at}
            ).data
        )


class TokenIntrospectView(APIView):
    """RFC 7662 token introspection, for OAuth resource servers and proxies that authenticate as clients."""

    authentication_classes = [ClientCredentialsAuthentication]
    permission_classes = [IsServiceCaller]
    parser_classes = [FormParser]

    @extend_schema(
        request={"application/x-www-form-urlencoded": IntrospectionRequestSerializer},
        responses={200: IntrospectionResponseSerializer, **CLIENT_ERRORS},
    )
    def post(self, request: Request) -> Response:
        serializer = IntrospectionRequestSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(
                {"error": "invalid_request", "error_description": "The token parameter is required."},
                status=HTTPStatus.BAD_REQUEST,
            )
        token = serializer.validated_data["token"]
        checked = token_check(token=token) if len(token) <= INTROSPECT_TOKEN_MAX else None
        if checked is None:
            # RFC 7662 §2.2: nothing about why, nor anything else, for a token that is not active.
            return Response({"active": False})
        principal, record = checked
        return Response(
            IntrospectionResponseSerializer(
                {
                    "active": True,
                    "scope": " ".join(sorted(principal.permissions)),
                    "username": principal.username,
                    "token_type": "Bearer",
                    "exp": int(record.expires_at.timestamp()),
                    "iat": int(record.created_at.timestamp()),
                    "sub": str(record.user_id),
                    "iss": issuer(request),
                    "permissions": sorted(principal.permissions),
                }
            ).data
        )


class TokenCheckView(APIView):
    """For nginx `auth_request` in front of any internal service: 200 with the user in headers, 401 or 403."""

    authentication_classes = [CachedSSOTokenAuthentication]
    permission_classes = [HoldsRequiredPermissions]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "X-Required-Permission",
                str,
                OpenApiParameter.HEADER,
                description="Permissions (app.codename, comma-separated) the token must carry; set by nginx.",
            )
        ],
        responses={
            200: TokenCheckSerializer,
            **TOKEN_ERRORS,
            403: OpenApiResponse(description="The token lacks a permission named in X-Required-Permission."),
            503: OpenApiResponse(description="The auth service or the database is unavailable."),
        },
    )
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        payload = principal_payload(principal)
        return Response(
            TokenCheckSerializer(payload).data,
            headers={
                "X-Auth-User": principal.username,
                "X-Auth-Permissions": ",".join(payload["permissions"]),
                "Cache-Control": "no-store",
            },
        )


class AuthorizationServerMetadataView(PublicAPIView):
    """RFC 8414 metadata, so that an introspection client configures itself from one URL."""

    @extend_schema(responses={200: AuthorizationServerMetadataSerializer})
    def get(self, request: Request) -> Response:
        base = issuer(request)
        return Response(
            AuthorizationServerMetadataSerializer(
                {
                    "issuer": base,
                    "introspection_endpoint": base + reverse("sso-introspect"),
                    "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
                    # FacePass signs people in itself and has no OAuth authorization or token endpoint to list.
                    "response_types_supported": [],
                    "grant_types_supported": [],
                }
            ).data
        )


class LogoutView(APIView):
    authentication_classes = [LocalSSOTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, **TOKEN_ERRORS})
    def post(self, request: Request) -> Response:
        record = request_token_record(request)
        token_revoke(record=record)
        audit_record(AuditEvent.Kind.SIGN_OUT, user=record.user, ip=client_ip(request))
        return Response(status=HTTPStatus.NO_CONTENT)


class LogoutAllView(APIView):
    authentication_classes = [LocalSSOTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None, **TOKEN_ERRORS})
    def post(self, request: Request) -> Response:
        record = request_token_record(request)
        revoked = tokens_revoke_all(user_id=record.user_id)
        audit_record(
            AuditEvent.Kind.SIGN_OUT_EVERYWHERE,
            user=record.user,
            ip=client_ip(request),
            detail=f"{revoked} tokens revoked",
        )
        return Response(status=HTTPStatus.NO_CONTENT)


class SessionView(APIView):
    authentication_classes = [LocalSSOTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: SessionSerializer, **TOKEN_ERRORS})
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        record = request_token_record(request)
        return Response(
            SessionSerializer(
                {
                    **principal_payload(principal),
                    "created_at": record.created_at,
                    "expires_at": record.expires_at,
                    "last_used_at": record.last_used_at,
                    "ip": record.ip,
                    "user_agent": record.user_agent,
                }
            ).data
        )
