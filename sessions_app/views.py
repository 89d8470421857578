"""Session endpoints: parse the id, call a selector, shape the answer."""

from __future__ import annotations

import logging
import re
from uuid import UUID

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import PublicAPIView
from common.throttling import ResilientScopedRateThrottle
from sessions_app.errors import ImageMissing, ImageTooLarge
from sessions_app.selectors import SESSION_NOT_FOUND, session_validate, sessions_validate_many
from sessions_app.serializers import (
    SESSION_ID_PATTERN,
    BatchValidateRequestSerializer,
    BatchValidateResponseSerializer,
    FacePassStatusSerializer,
    FaceSearchAcceptedSerializer,
    PhotoSessionSerializer,
    ValidationSerializer,
)
from sessions_app.services import face_search_request_create

logger = logging.getLogger(__name__)
SESSION_ID_RE = re.compile(SESSION_ID_PATTERN)
NOT_FOUND_RESPONSE = {404: OpenApiResponse(description="Unknown session.")}
SESSION_ID_PARAMETER = OpenApiParameter(
    "session_id",
    str,
    OpenApiParameter.PATH,
    description="A Pixora session id (a UUID).",
    pattern=f"^{SESSION_ID_PATTERN}$",
)
ERROR_RESPONSES = {
    400: OpenApiResponse(description="The session id is not a UUID."),
    429: OpenApiResponse(description="Too many requests from this client (THROTTLE_RATE_SESSIONS)."),
    503: OpenApiResponse(description="Pixora's database is unavailable."),
}


class InvalidSessionId(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid session id: expected a UUID such as 123e4567-e89b-12d3-a456-426614174000."
    default_code = "invalid_session_id"


def session_id_from_path(value: str) -> UUID:
    """The session id from a URL segment; anything but a UUID is a 400 before any query runs."""
    if not SESSION_ID_RE.fullmatch(value):
        raise InvalidSessionId()
    return UUID(value)


class SessionsThrottledView(PublicAPIView):
    """Public session endpoints share one per-client rate, THROTTLE_RATE_SESSIONS, against enumeration."""

    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "sessions"


class SessionValidateView(SessionsThrottledView):
    @extend_schema(parameters=[SESSION_ID_PARAMETER], responses={200: ValidationSerializer, **ERROR_RESPONSES})
    def get(self, request: Request, session_id: str) -> Response:
        return Response(session_validate(session_id=session_id_from_path(session_id)))


class SessionDetailView(SessionsThrottledView):
    @extend_schema(
        parameters=[SESSION_ID_PARAMETER],
        responses={200: PhotoSessionSerializer, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
    )
    def get(self, request: Request, session_id: str) -> Response:
        session = session_validate(session_id=session_id_from_path(session_id))["session"]
        if session is None:
            raise NotFound(SESSION_NOT_FOUND)
        return Response(session)


class SessionFacePassStatusView(SessionsThrottledView):
    @extend_schema(
        parameters=[SESSION_ID_PARAMETER],
        responses={200: FacePassStatusSerializer, **NOT_FOUND_RESPONSE, **ERROR_RESPONSES},
    )
    def get(self, request: Request, session_id: str) -> Response:
        session = session_validate(session_id=session_id_from_path(session_id))["session"]
        if session is None:
            raise NotFound(SESSION_NOT_FOUND)
        return Response(
            {"session_id": session["id"], "facepass_enabled": session["facepass_enabled"], "status": session["status"]}
        )


class SessionsBatchValidateView(SessionsThrottledView):
    @extend_schema(
        request=BatchValidateRequestSerializer, responses={200: BatchValidateResponseSerializer, **ERROR_RESPONSES}
    )
    def post(self, request: Request) -> Response:
        serializer = BatchValidateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_ids = [UUID(value) for value in serializer.validated_data["session_ids"]]
        return Response({"results": sessions_validate_many(session_ids=session_ids)})


class FaceSearchCreateView(SessionsThrottledView):
    """Accepts a selfie for a FacePass session (multipart, field `image`) and queues it.

    No SessionAuthentication (REST_FRAMEWORK has no authentication classes), so DRF enforces no CSRF check:
    the endpoint acts on no user's behalf and no cookie grants it anything; the page calls it same-origin.
    """

    parser_classes = [MultiPartParser]

    @extend_schema(
        parameters=[SESSION_ID_PARAMETER],
        request=inline_serializer("FaceSearchUpload", {"image": serializers.FileField()}),
        responses={
            202: FaceSearchAcceptedSerializer,
            400: OpenApiResponse(description="Bad session id, or no image / an empty image."),
            403: OpenApiResponse(description="FacePass is not enabled for the session."),
            404: OpenApiResponse(description="Unknown session."),
            413: OpenApiResponse(description="The body or the image is larger than the limit."),
            415: OpenApiResponse(description="Not multipart, or the file is not a JPEG or PNG."),
            429: ERROR_RESPONSES[429],
            503: OpenApiResponse(description="Pixora's database is unavailable."),
        },
    )
    def post(self, request: Request, session_id: str) -> Response:
        parsed_id = session_id_from_path(session_id)
        # Refused from the headers alone, before any of the body is read.
        if request.META.get("CONTENT_LENGTH", "").isdigit() and (
            int(request.META["CONTENT_LENGTH"]) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        ):
            raise ImageTooLarge(settings.FACE_SEARCH_MAX_IMAGE_BYTES)
        image = request.FILES.get("image")
        if image is None:
            raise ImageMissing()
        face_search = face_search_request_create(session_id=parsed_id, image=image)
        return Response(FaceSearchAcceptedSerializer(face_search).data, status=status.HTTP_202_ACCEPTED)


INTERFACE_TEMPLATE = "facepass/interface.html"


def session_interface(request: HttpRequest, session_id: str) -> HttpResponse:
    """The FacePass page for a session: its name, services and prices, and the selfie camera."""
    try:
        parsed_id = session_id_from_path(session_id)
    except InvalidSessionId:
        return render(request, INTERFACE_TEMPLATE, {"state": "invalid_id"}, status=status.HTTP_400_BAD_REQUEST)
    try:
        validation = session_validate(session_id=parsed_id)
    except (OperationalError, InterfaceError):
        logger.exception("database unavailable for the FacePass page of %s", parsed_id)
        return render(request, INTERFACE_TEMPLATE, {"state": "unavailable"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    session = validation["session"]
    if session is None:
        return render(request, INTERFACE_TEMPLATE, {"state": "not_found"}, status=status.HTTP_404_NOT_FOUND)
    if not validation["valid"]:
        context = {"state": "disabled", "session": session}
        return render(request, INTERFACE_TEMPLATE, context, status=status.HTTP_403_FORBIDDEN)
    return render(request, INTERFACE_TEMPLATE, {"state": "valid", "session": session, "session_id": str(parsed_id)})
