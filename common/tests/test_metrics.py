"""Prometheus metrics in one process (the server's workers summed is checked in tests/test_server.py)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

SESSION_ID = "11111111-1111-4111-8111-111111111111"


def sample(text: str, prefix: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix))


def test_requests_are_counted_by_route_name_never_by_raw_path():
    api = APIClient()
    before = sample(api.get("/metrics").content.decode(), 'facepass_http_requests_total{method="GET",route="healthz"')

    api.get("/api/healthz/")
    api.get(f"/api/v1/sessions/validate/{SESSION_ID}")
    api.get("/no/such/page")
    response = api.get("/metrics")

    text = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/plain")
    assert sample(text, 'facepass_http_requests_total{method="GET",route="healthz"') == before + 1
    assert 'route="session-validate"' in text
    assert 'route="unmatched",status="404"' in text
    assert SESSION_ID not in text
    assert "facepass_http_request_seconds_bucket" in text


def test_methods_facepass_does_not_serve_are_counted_as_other():
    api = APIClient()

    for method in ("PROPFIND", "BREW", "X-ANYTHING-1"):
        api.generic(method, "/api/healthz/")
    text = api.get("/metrics").content.decode()

    assert 'method="other",route="healthz"' in text
    assert "PROPFIND" not in text and "BREW" not in text and "X-ANYTHING" not in text
