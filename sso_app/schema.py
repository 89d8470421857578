"""How the SSO credentials (user tokens, service keys, client credentials) appear in the OpenAPI schema."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.extensions import OpenApiAuthenticationExtension

BEARER_TOKEN = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token from POST /api/v1/auth/login (or /auth/login-token).",
}


class SSOScheme(OpenApiAuthenticationExtension):
    """An authentication class and the security scheme that describes it."""

    definition: ClassVar[dict[str, str]]

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return self.definition


class LocalSSOTokenScheme(SSOScheme):
    target_class = "sso_app.authentication.LocalSSOTokenAuthentication"
    name = "ssoBearer"
    definition = BEARER_TOKEN


class SSOTokenScheme(SSOScheme):
    """The same token, checked by the auth service when this process is a gateway."""

    target_class = "sso_app.authentication.SSOTokenAuthentication"
    name = "ssoBearerGateway"
    definition = BEARER_TOKEN


class CachedSSOTokenScheme(SSOScheme):
    """The same token, for nginx auth_request: positive answers are reused for a few seconds."""

    target_class = "sso_app.authentication.CachedSSOTokenAuthentication"
    name = "ssoBearerCached"
    definition = BEARER_TOKEN


class ServiceKeyScheme(SSOScheme):
    target_class = "sso_app.authentication.ServiceKeyAuthentication"
    name = "serviceKey"
    definition = {
        "type": "apiKey",
        "in": "header",
        "name": "X-Service-Key",
        "description": "SSO_SERVICE_KEY, or a registered service client's client_id:client_secret.",
    }


class ClientCredentialsScheme(SSOScheme):
    """RFC 6749 §2.3.1: HTTP Basic here; client_id and client_secret form fields and X-Service-Key work too."""

    target_class = "sso_app.authentication.ClientCredentialsAuthentication"
    name = "clientCredentials"
    definition = {
        "type": "http",
        "scheme": "basic",
        "description": "A service client's client_id and client_secret (manage.py sso_client_create).",
    }
