"""Session ids as they come in URLs: anything but a UUID is refused before any query runs."""

from __future__ import annotations

import re
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter

from sessions_app.errors import InvalidSessionId

SESSION_ID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
SESSION_ID_RE = re.compile(SESSION_ID_PATTERN)
SESSION_ID_PARAMETER = OpenApiParameter(
    "session_id",
    str,
    OpenApiParameter.PATH,
    description="A Pixora session id (a UUID).",
    pattern=f"^{SESSION_ID_PATTERN}$",
)


def session_id_from_path(value: str) -> UUID:
    """The session id from a URL segment; anything but a UUID is a 400."""
    if not SESSION_ID_RE.fullmatch(value):
        raise InvalidSessionId()
    return UUID(value)
