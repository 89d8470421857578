"""Session endpoints: parse the id, call a selector, shape the answer."""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import PlainJSONGetView, SessionsThrottledView
from common.throttles import throttle_wait
from sessions_app.errors import InvalidSessionId
from sessions_app.parsing import SESSION_ID_PARAMETER, session_id_from_path
from sessions_app.selectors import SESSION_NOT_FOUND, Validation, session_validate, sessions_validate_many
from sessions_app.serializers import (
    MAX_BATCH_SIZE,
    BatchValidateRequestSerializer,
    BatchValidateResponseSerializer,
    FacePassStatusSerializer,
    PhotoSessionSerializer,
    ValidationSerializer,
)

logger = logging.getLogger(__name__)
NOT_FOUND_RESPONSE = {HTTPStatus.NOT_FOUND: OpenApiResponse(description="Unknown session.")}
ERROR_RESPONSES = {
    HTTPStatus.BAD_REQUEST: OpenApiResponse(description="The session id is not a UUID."),
    HTTPStatus.TOO_MANY_REQUESTS: OpenApiResponse(
        description="Too many requests from this client (THROTTLE_RATE_SESSIONS)."
    ),
    HTTPStatus.SERVICE_UNAVAILABLE: OpenApiResponse(description="Pixora's database is unavailable."),
}


@extend_schema_view(
    get=extend_schema(
        parameters=[SESSION_ID_PARAMETER], responses={HTTPStatus.OK: ValidationSerializer, **ERROR_RESPONSES}
    )
)
class SessionValidateView(PlainJSONGetView):
    """Whether FacePass may serve this Pixora session, with the session when it exists.

    Public session endpoints share one per-client rate, THROTTLE_RATE_SESSIONS, against enumeration.
    """

    def json_get(self, *, session_id: str) -> Validation:
        return session_validate(session_id=session_id_from_path(session_id))


@extend_schema_view(
    get=extend_schema(
        parameters=[SESSION_ID_PARAMETER],
        responses={HTTPStatus.OK: PhotoSessionSerializer, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
    )
)
class SessionDetailView(PlainJSONGetView):
    """The Pixora session with this id.

    Public session endpoints share one per-client rate, THROTTLE_RATE_SESSIONS, against enumeration.
    """

    def json_get(self, *, session_id: str) -> dict[str, Any]:
        session = session_validate(session_id=session_id_from_path(session_id))["session"]
        if session is None:
            raise NotFound(SESSION_NOT_FOUND)
        return session


class SessionFacePassStatusView(SessionsThrottledView):
    @extend_schema(
        parameters=[SESSION_ID_PARAMETER],
        responses={HTTPStatus.OK: FacePassStatusSerializer, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
    )
    def get(self, request: Request, session_id: str) -> Response:
        session = session_validate(session_id=session_id_from_path(session_id))["session"]
        if session is None:
            raise NotFound(SESSION_NOT_FOUND)
        return Response(
            {"session_id": session["id"], "facepass_enabled": session["facepass_enabled"], "status": session["status"]}
        )


class SessionsBatchValidateView(SessionsThrottledView):
    def throttle_cost(self, request: Request) -> int:
        """Each id counts as one request: a batch of 100 is 100 lookups, not a way around the rate."""
        session_ids = request.data.get("session_ids") if isinstance(request.data, dict) else None
        return max(1, min(len(session_ids), MAX_BATCH_SIZE)) if isinstance(session_ids, list) else 1

    @extend_schema(
        request=BatchValidateRequestSerializer,
        responses={HTTPStatus.OK: BatchValidateResponseSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        serializer = BatchValidateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_ids = [UUID(value) for value in serializer.validated_data["session_ids"]]
        return Response({"results": sessions_validate_many(session_ids=session_ids)})


INTERFACE_TEMPLATE = "facepass/interface.html"


def session_interface(request: HttpRequest, session_id: str) -> HttpResponse:
    """The FacePass page for a session: its name, services and prices, and the selfie camera."""
    # The page answers the same existence question as validate (and shows the name): the same rate applies.
    if (wait := throttle_wait(request, scope=SessionsThrottledView.throttle_scope)) is not None:
        response = render(request, INTERFACE_TEMPLATE, {"state": "throttled"}, status=HTTPStatus.TOO_MANY_REQUESTS)
        response["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    try:
        parsed_id = session_id_from_path(session_id)
    except InvalidSessionId:
        return render(request, INTERFACE_TEMPLATE, {"state": "invalid_id"}, status=HTTPStatus.BAD_REQUEST)
    try:
        validation = session_validate(session_id=parsed_id)
    except (OperationalError, InterfaceError):
        logger.exception("database unavailable for the FacePass page of %s", parsed_id)
        return render(request, INTERFACE_TEMPLATE, {"state": "unavailable"}, status=HTTPStatus.SERVICE_UNAVAILABLE)
    session = validation["session"]
    if session is None:
        return render(request, INTERFACE_TEMPLATE, {"state": "not_found"}, status=HTTPStatus.NOT_FOUND)
    if not validation["valid"]:
        context = {"state": "disabled", "session": session}
        return render(request, INTERFACE_TEMPLATE, context, status=HTTPStatus.FORBIDDEN)
    context = {
        "state": "valid",
        "session": session,
        "session_id": str(parsed_id),
        # What the consent text promises about the selfie and its results.
        "retention_minutes": settings.FACE_SEARCH_RETENTION_MINUTES,
        "result_retention_hours": settings.FACE_SEARCH_RESULT_RETENTION_HOURS,
    }
    return render(request, INTERFACE_TEMPLATE, context)
