"""Start-up checks of the request log's configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

from request_log_app.pods import DNS_LABEL


@register()
def pod_name_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if DNS_LABEL.fullmatch(settings.POD_NAME.lower()):
        return []
    return [
        Warning(
            f"POD_NAME {settings.POD_NAME!r} is not a DNS label: its request log can't be read at /api/v1/logs/.",
            hint="Set POD_NAME to the pod's name (1-63 letters, digits or '-').",
            id="request_log_app.W001",
        )
    ]
