"""The services proxy: Pixora's JSON for a session, served on our own origin."""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request

from common.api import SessionsThrottledView
from common.middleware import request_id_of
from proxy_app.services import services_fetch
from sessions_app.parsing import session_id_from_path
from sessions_app.services import session_require_facepass

PROXY_ERROR_RESPONSES = {
    HTTPStatus.BAD_REQUEST: OpenApiResponse(description="The session id is not a UUID; nothing is sent to Pixora."),
    HTTPStatus.FORBIDDEN: OpenApiResponse(description="FacePass is not enabled for the session; Pixora is not called."),
    HTTPStatus.NOT_FOUND: OpenApiResponse(
        description="Unknown session (Pixora is not called), or Pixora does not know it."
    ),
    HTTPStatus.TOO_MANY_REQUESTS: OpenApiResponse(
        description="Too many requests from this client (THROTTLE_RATE_SESSIONS)."
    ),
    HTTPStatus.BAD_GATEWAY: OpenApiResponse(
        description="Pixora answered 5xx, something that is not JSON, or too much."
    ),
    HTTPStatus.SERVICE_UNAVAILABLE: OpenApiResponse(
        description="Pixora can't be reached, is not configured, or the circuit is open."
    ),
    HTTPStatus.GATEWAY_TIMEOUT: OpenApiResponse(description="Pixora did not answer in time."),
}


class RemoteServicesView(SessionsThrottledView):
    """Under the public session rate: it answers whether a session exists, as validate does."""

    @extend_schema(responses={HTTPStatus.OK: OpenApiTypes.OBJECT, **PROXY_ERROR_RESPONSES})
    def get(self, request: Request, session_id: str) -> HttpResponse:
        parsed_id = session_id_from_path(session_id)
        # Pixora is called only for a session FacePass serves (the cached validation): random ids can't be used
        # to hammer Pixora's API through us.
        session_require_facepass(session_id=parsed_id)
        body = services_fetch(
            session_id=parsed_id,
            request_id=request_id_of(request),
            accept_language=request.headers.get("Accept-Language"),
        )
        # Pixora's bytes as they came (already checked to be JSON): same keys, values and Unicode.
        return HttpResponse(body, content_type="application/json")
