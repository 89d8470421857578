"""How the SSO credentials (user tokens, service keys, client credentials) appear in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class LocalSSOTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sso_app.authentication.LocalSSOTokenAuthentication"
    name = "ssoBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/login (or /auth/login-token).",
        }


class SSOTokenScheme(LocalSSOTokenScheme):
    """The same token, checked by the auth service when this process is a gateway."""

    target_class = "sso_app.authentication.SSOTokenAuthentication"
    name = "ssoBearerGateway"


class CachedSSOTokenScheme(LocalSSOTokenScheme):
    """The same token, for nginx auth_request: positive answers are reused for a few seconds."""

    target_class = "sso_app.authentication.CachedSSOTokenAuthentication"
    name = "ssoBearerCached"


class ServiceKeyScheme(OpenApiAuthenticationExtension):
    target_class = "sso_app.authentication.ServiceKeyAuthentication"
    name = "serviceKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Service-Key",
            "description": "SSO_SERVICE_KEY, or a registered service client's client_id:client_secret.",
        }


class ClientCredentialsScheme(OpenApiAuthenticationExtension):
    """RFC 6749 §2.3.1: HTTP Basic here; client_id and client_secret form fields and X-Service-Key work too."""

    target_class = "sso_app.authentication.ClientCredentialsAuthentication"
    name = "clientCredentials"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "A service client's client_id and client_secret (manage.py sso_client_create).",
        }
