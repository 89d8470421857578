"""Declared errors of the request-log endpoint."""

from __future__ import annotations

from http import HTTPStatus

from rest_framework.exceptions import APIException


class InvalidPodName(APIException):
    status_code = HTTPStatus.BAD_REQUEST
    default_detail = (
        "Invalid pod name: expected a DNS label (1-63 letters, digits or '-', not starting or ending with '-')."
    )
    default_code = "invalid_pod_name"
