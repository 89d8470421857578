"""Decisions about a session that other apps act on."""

from __future__ import annotations

from uuid import UUID

from sessions_app.errors import FacePassNotEnabled, SessionNotFound
from sessions_app.selectors import session_validate


def session_require_facepass(*, session_id: UUID) -> None:
    """Raise unless FacePass may serve this session (404 unknown, 403 disabled; 503 from the database)."""
    validation = session_validate(session_id=session_id)
    if validation["session"] is None:
        raise SessionNotFound()
    if not validation["valid"]:
        raise FacePassNotEnabled()
