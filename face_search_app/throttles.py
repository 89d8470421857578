"""Upload rates of their own: per client, and per session (however many clients a session's link reaches)."""

from __future__ import annotations

from rest_framework.request import Request

from common.throttles import ResilientScopedRateThrottle


class FaceSearchUploadClientThrottle(ResilientScopedRateThrottle):
    """Selfies one client may send (THROTTLE_RATE_FACE_SEARCH_CLIENT)."""

    scope_attr = "upload_client_throttle_scope"


class FaceSearchUploadSessionThrottle(ResilientScopedRateThrottle):
    """Selfies one session may receive from all its clients together (THROTTLE_RATE_FACE_SEARCH_SESSION)."""

    scope_attr = "upload_session_throttle_scope"

    def get_ident(self, request: Request) -> str:
        return str(request.parser_context["kwargs"].get("session_id", ""))
