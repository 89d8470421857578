"""Declared errors of the session endpoints, rendered by common.exceptions.api_exception_handler."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException


class SessionNotFound(APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Session not found"
    default_code = "session_not_found"


class FacePassNotEnabled(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "FacePass is not enabled for this session."
    default_code = "facepass_not_enabled"


class ImageMissing(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Send the selfie as a file in the multipart field 'image'."
    default_code = "image_missing"


class ImageEmpty(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The image is empty."
    default_code = "image_empty"


class ImageTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "image_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The image is too large: at most {limit} bytes ({limit / 1024 / 1024:.0f} MB).")


class ImageUnsupported(APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "The image must be a JPEG or PNG file (judged by its content, not its name)."
    default_code = "image_unsupported"
