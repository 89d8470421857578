"""Pod names, as the log keeps and looks them up."""

from __future__ import annotations

import re

from django.conf import settings

# RFC 1123 label; compared lower-case, since DNS names are case-insensitive.
DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def pod_name() -> str:
    """This process's pod, lower-case so that lookups can use the index."""
    name: str = settings.POD_NAME
    return name.lower()[:63]
