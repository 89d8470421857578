from __future__ import annotations

from http import HTTPStatus

import pytest

from request_log_app.models import RequestLogEntry

pytestmark = pytest.mark.django_db


def test_request_log_is_listed_read_only(staff_client):
    RequestLogEntry.objects.create(
        pod="pod-a", method="GET", path="/x", url_name="session-validate", status=200, duration_ms=1, request_id="r"
    )

    assert staff_client.get("/admin/request_log_app/requestlogentry/").status_code == HTTPStatus.OK
    assert staff_client.get("/admin/request_log_app/requestlogentry/add/").status_code == HTTPStatus.FORBIDDEN
