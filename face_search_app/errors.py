"""Declared errors of face search, rendered by common.errors.api_exception_handler."""

from __future__ import annotations

from http import HTTPStatus

from rest_framework.exceptions import APIException

from common.errors import ServiceUnavailable, TaskQueueUnavailable


class ImageMissing(APIException):
    status_code = HTTPStatus.BAD_REQUEST
    default_detail = "Send the selfie as a file in the multipart field 'image'."
    default_code = "image_missing"


class ImageEmpty(APIException):
    status_code = HTTPStatus.BAD_REQUEST
    default_detail = "The image is empty."
    default_code = "image_empty"


class ImageTooLarge(APIException):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    default_code = "image_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The image is too large: at most {limit} bytes ({limit / 1024 / 1024:.0f} MB).")


class ImageUnsupported(APIException):
    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    default_detail = "The image must be a JPEG or PNG file (judged by its content, not its name)."
    default_code = "image_unsupported"


class ConsentMissing(APIException):
    status_code = HTTPStatus.BAD_REQUEST
    default_detail = (
        "Face search needs your consent: send the form field consent=true with the selfie. Nothing was kept."
    )
    default_code = "consent_missing"


class FaceSearchNotFound(APIException):
    status_code = HTTPStatus.NOT_FOUND
    default_detail = "Face search not found."
    default_code = "face_search_not_found"


class QueueUnavailable(TaskQueueUnavailable):
    default_detail = "Face search is unavailable for a moment; nothing was kept. Try again shortly."
    default_code = "queue_unavailable"


class WebhookSignatureInvalid(APIException):
    status_code = HTTPStatus.UNAUTHORIZED
    default_detail = "Missing or invalid webhook signature."
    default_code = "webhook_signature_invalid"


class WebhookNotConfigured(ServiceUnavailable):
    default_detail = "Webhooks are not configured on this server (PIXORA_WEBHOOK_SECRET is unset)."
    default_code = "webhook_not_configured"
