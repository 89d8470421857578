"""How the SSO bearer token appears in the OpenAPI schema."""

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
