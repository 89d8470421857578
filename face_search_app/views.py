"""Face-search endpoints: the selfie upload, its status and result, and Pixora's webhook."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import cast
from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import PublicAPIView, SessionsThrottledView
from face_search_app import services
from face_search_app.errors import FaceSearchNotFound, ImageTooLarge
from face_search_app.selectors import face_search_get
from face_search_app.serializers import (
    FaceSearchAcceptedSerializer,
    FaceSearchSerializer,
    FaceSearchUploadSerializer,
    PixoraWebhookSerializer,
)
from face_search_app.throttles import FaceSearchUploadClientThrottle, FaceSearchUploadSessionThrottle
from face_search_app.webhooks import webhook_verify
from sessions_app.parsing import SESSION_ID_PARAMETER, session_id_from_path

logger = logging.getLogger(__name__)
CONSENT_VALUES = {"true"}
REQUEST_ID_PARAMETER = OpenApiParameter("request_id", str, OpenApiParameter.PATH, description="The search's id.")


class FaceSearchCreateView(SessionsThrottledView):
    """Accepts a consented selfie for a FacePass session (multipart: `image`, `consent=true`) and queues its search.

    No SessionAuthentication (REST_FRAMEWORK has no authentication classes), so DRF enforces no CSRF check:
    the endpoint acts on no user's behalf and no cookie grants it anything; the page calls it same-origin.
    """

    parser_classes = [MultiPartParser]
    throttle_classes = [
        *SessionsThrottledView.throttle_classes,
        FaceSearchUploadClientThrottle,
        FaceSearchUploadSessionThrottle,
    ]
    upload_client_throttle_scope = "face_search_client"
    upload_session_throttle_scope = "face_search_session"

    @extend_schema(
        parameters=[SESSION_ID_PARAMETER],
        request={"multipart/form-data": FaceSearchUploadSerializer},
        responses={
            HTTPStatus.ACCEPTED: FaceSearchAcceptedSerializer,
            HTTPStatus.BAD_REQUEST: OpenApiResponse(
                description="Bad session id, no consent, or no image / an empty image."
            ),
            HTTPStatus.FORBIDDEN: OpenApiResponse(description="FacePass is not enabled for the session."),
            HTTPStatus.NOT_FOUND: OpenApiResponse(description="Unknown session."),
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE: OpenApiResponse(
                description="The body or the image is larger than the limit."
            ),
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE: OpenApiResponse(
                description="Not multipart, or the file is not a JPEG or PNG."
            ),
            HTTPStatus.TOO_MANY_REQUESTS: OpenApiResponse(
                description="Too many selfies from this client or for this session."
            ),
            HTTPStatus.SERVICE_UNAVAILABLE: OpenApiResponse(
                description="Pixora's database or the task queue is unavailable; nothing was kept."
            ),
        },
    )
    def post(self, request: Request, session_id: str) -> Response:
        parsed_id = session_id_from_path(session_id)
        # Refused from the headers alone, before any of the body is read.
        if request.META.get("CONTENT_LENGTH", "").isdigit() and (
            int(request.META["CONTENT_LENGTH"]) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        ):
            raise ImageTooLarge(settings.FACE_SEARCH_MAX_IMAGE_BYTES)
        form = cast("Mapping[str, object]", request.data)  # MultiPartParser only: never a JSON list
        consent = str(form.get("consent", "")).strip().lower() in CONSENT_VALUES
        image = request.FILES.get("image")
        face_search = services.face_search_submit(session_id=parsed_id, image=image, consent=consent)
        return Response(FaceSearchAcceptedSerializer(face_search).data, status=HTTPStatus.ACCEPTED)


class FaceSearchDetailView(SessionsThrottledView):
    """A search as its customer follows it: status, indexing progress, then the matched photos."""

    @extend_schema(
        parameters=[SESSION_ID_PARAMETER, REQUEST_ID_PARAMETER],
        responses={
            HTTPStatus.OK: FaceSearchSerializer,
            HTTPStatus.BAD_REQUEST: OpenApiResponse(description="The session id is not a UUID."),
            HTTPStatus.NOT_FOUND: OpenApiResponse(description="No such search in this session."),
            HTTPStatus.TOO_MANY_REQUESTS: OpenApiResponse(
                description="Too many requests from this client (THROTTLE_RATE_SESSIONS)."
            ),
        },
    )
    def get(self, request: Request, session_id: str, request_id: str) -> Response:
        parsed_session_id = session_id_from_path(session_id)
        try:
            parsed_request_id = UUID(request_id)
        except ValueError:
            raise FaceSearchNotFound() from None
        search = face_search_get(session_id=parsed_session_id, request_id=parsed_request_id)
        return Response(FaceSearchSerializer(search).data)


class PixoraWebhookView(PublicAPIView):
    """Pixora tells FacePass that a session's photos or settings changed: the session is indexed again."""

    @extend_schema(
        request=PixoraWebhookSerializer,
        parameters=[
            OpenApiParameter("X-Pixora-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Pixora-Signature", str, OpenApiParameter.HEADER, required=True),
        ],
        responses={
            HTTPStatus.ACCEPTED: OpenApiResponse(description="Accepted: the session will be indexed."),
            HTTPStatus.BAD_REQUEST: OpenApiResponse(description="Signed, but not a known event."),
            HTTPStatus.UNAUTHORIZED: OpenApiResponse(
                description="Missing or bad signature, or a timestamp more than 5 minutes off."
            ),
            HTTPStatus.SERVICE_UNAVAILABLE: OpenApiResponse(
                description="The task queue is unavailable, or webhooks are not configured."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        body = request._request.body
        webhook_verify(
            timestamp=request.headers.get("X-Pixora-Timestamp"),
            signature=request.headers.get("X-Pixora-Signature"),
            body=body,
        )
        try:
            payload = json.loads(body)
        except ValueError:
            raise ParseError("The body is not JSON.") from None
        serializer = PixoraWebhookSerializer(data=payload)
        serializer.is_valid(raise_exception=True)
        services.session_index_request(session_id=serializer.validated_data["session_id"])
        logger.info(
            "pixora_webhook event=%s session_id=%s",
            serializer.validated_data["event"],
            serializer.validated_data["session_id"],
        )
        return Response({"status": "accepted"}, status=HTTPStatus.ACCEPTED)
