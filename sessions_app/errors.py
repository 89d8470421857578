"""Declared errors of the session endpoints, rendered by common.errors.api_exception_handler."""

from __future__ import annotations

from http import HTTPStatus

from rest_framework.exceptions import APIException


class InvalidSessionId(APIException):
    status_code = HTTPStatus.BAD_REQUEST
    default_detail = "Invalid session id: expected a UUID such as 123e4567-e89b-12d3-a456-426614174000."
    default_code = "invalid_session_id"


class SessionNotFound(APIException):
    status_code = HTTPStatus.NOT_FOUND
    default_detail = "Session not found"
    default_code = "session_not_found"


class FacePassNotEnabled(APIException):
    status_code = HTTPStatus.FORBIDDEN
    default_detail = "FacePass is not enabled for this session."
    default_code = "facepass_not_enabled"
