"""Start-up checks of the proxy's settings: a misconfiguration fails at start, not on the first request."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register

POSITIVE_SETTINGS = (
    "PIXORA_CONNECT_TIMEOUT",
    "PIXORA_READ_TIMEOUT",
    "PIXORA_MAX_RESPONSE_BYTES",
    "PIXORA_BREAKER_THRESHOLD",
    "PIXORA_BREAKER_RESET_SECONDS",
    "PIXORA_MAX_CONCURRENT_CALLS",
)


@register()
def pixora_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    if settings.MAIN_API_URL:
        url = urlsplit(settings.MAIN_API_URL)
        if url.scheme not in {"http", "https"} or not url.hostname or url.query or url.fragment:
            errors.append(
                Error(
                    "MAIN_API_URL must be an http(s) URL with a host and no query or fragment.",
                    hint="For example https://pixora.internal; leave it empty to run without the services proxy.",
                    id="proxy_app.E001",
                )
            )
    for name in POSITIVE_SETTINGS:
        if getattr(settings, name) <= 0:
            errors.append(Error(f"{name} must be greater than 0.", id="proxy_app.E002"))
    if settings.PIXORA_SERVICES_CACHE_TTL < 0:
        errors.append(Error("PIXORA_SERVICES_CACHE_TTL must be 0 (off) or more.", id="proxy_app.E003"))
    return errors
