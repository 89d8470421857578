"""Start-up checks of the SSO configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def sso_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    if settings.AUTH_SERVICE_URL and not settings.SSO_SERVICE_KEY:
        problems.append(
            Error(
                "AUTH_SERVICE_URL is set but SSO_SERVICE_KEY is empty: the auth service would refuse every validation.",
                hint="Set SSO_SERVICE_KEY to the auth service's key (see .env.example).",
                id="sso_app.E001",
            )
        )
    if settings.AUTH_SERVICE_URL and not settings.AUTH_SERVICE_URL.startswith(("http://", "https://")):
        problems.append(
            Error("AUTH_SERVICE_URL must start with http:// or https://.", id="sso_app.E002"),
        )
    return problems
