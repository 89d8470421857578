"""PlainJSONGetView: a JSON client's GET skips DRF's machinery and gets DRF's answer, byte for byte, errors too.

Each answer is compared with the one DRF's own dispatch gives the same request with `Accept: application/*`, which
DRF negotiates to the same JSON renderer but which the plain path leaves to DRF.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from rest_framework.views import APIView

from common.throttles import ResilientScopedRateThrottle
from sessions_app.demo import DEMO_SESSIONS

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

ENABLED_ID = str(DEMO_SESSIONS[0]["id"])
DISABLED_ID = str(DEMO_SESSIONS[1]["id"])
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"
PLAIN_ACCEPTS = [None, "*/*", "application/json"]
DRF_ACCEPT = "application/*"
# Headers that differ between any two answers whatever the path.
PER_ANSWER_HEADERS = {"X-Request-ID"}

PATHS = [
    f"/api/v1/sessions/validate/{ENABLED_ID}",
    f"/api/v1/sessions/validate/{DISABLED_ID}",
    f"/api/v1/sessions/validate/{UNKNOWN_ID}",
    "/api/v1/sessions/validate/not-a-uuid",
    f"/api/v1/sessions/{ENABLED_ID}",
    f"/api/v1/sessions/{UNKNOWN_ID}",
    "/api/v1/sessions/not-a-uuid",
]


@pytest.fixture
def drf_requests(monkeypatch):
    """How many DRF Requests were made (one per request through DRF's dispatch or its error handling)."""
    made = []
    initialize_request = APIView.initialize_request

    def counting(self, request, *args, **kwargs):
        made.append(request.path)
        return initialize_request(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initialize_request", counting)
    return made


def answer(path: str, accept: str | None) -> tuple[int, dict[str, str], bytes]:
    headers = {} if accept is None else {"Accept": accept}
    response = Client().get(path, headers=headers)
    kept = {name: value for name, value in response.headers.items() if name not in PER_ANSWER_HEADERS}
    return response.status_code, kept, response.content


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("accept", PLAIN_ACCEPTS)
def test_the_plain_path_answers_as_drf_does(path, accept):
    plain = answer(path, accept)
    drf = answer(path, DRF_ACCEPT)

    assert plain == drf
    assert plain[1]["Content-Type"] == "application/json"
    assert plain[1]["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("accept", PLAIN_ACCEPTS)
def test_a_found_session_is_answered_without_a_drf_request(drf_requests, accept):
    status, _, _ = answer(f"/api/v1/sessions/validate/{ENABLED_ID}", accept)
    answer(f"/api/v1/sessions/{ENABLED_ID}", accept)

    assert status == HTTPStatus.OK
    assert drf_requests == []


def test_other_requests_go_through_drf(drf_requests):
    path = f"/api/v1/sessions/validate/{ENABLED_ID}"
    client = Client()

    client.get(path, headers={"Accept": DRF_ACCEPT})
    client.get(path, {"format": "json"})
    client.head(path)
    options = client.options(path)

    assert drf_requests == [path] * 4
    assert options.status_code == HTTPStatus.OK


def test_an_error_is_answered_by_drf(drf_requests):
    status, _, body = answer(f"/api/v1/sessions/{UNKNOWN_ID}", None)

    assert status == HTTPStatus.NOT_FOUND
    assert body == b'{"detail":"Session not found"}'
    assert drf_requests == [f"/api/v1/sessions/{UNKNOWN_ID}"]


@pytest.mark.django_db(transaction=True, databases=["default", "pixora"])
def test_pixora_down_is_the_same_503(pixora_down):
    plain = answer(f"/api/v1/sessions/validate/{ENABLED_ID}", None)
    drf = answer(f"/api/v1/sessions/validate/{ENABLED_ID}", DRF_ACCEPT)

    assert plain == drf
    assert plain[0] == HTTPStatus.SERVICE_UNAVAILABLE


def test_throttled_is_the_same_429_and_an_error_counts_once(monkeypatch):
    monkeypatch.setitem(ResilientScopedRateThrottle.THROTTLE_RATES, "sessions", "3/min")
    client = Client()

    statuses = [
        client.get("/api/v1/sessions/validate/not-a-uuid").status_code,
        client.get(f"/api/v1/sessions/validate/{ENABLED_ID}").status_code,
        client.get(f"/api/v1/sessions/{ENABLED_ID}").status_code,
    ]
    plain = client.get(f"/api/v1/sessions/validate/{ENABLED_ID}")
    drf = client.get(f"/api/v1/sessions/validate/{ENABLED_ID}", headers={"Accept": DRF_ACCEPT})

    assert statuses == [HTTPStatus.BAD_REQUEST, HTTPStatus.OK, HTTPStatus.OK]
    assert plain.status_code == drf.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert plain.content == drf.content
    assert plain["Retry-After"] == drf["Retry-After"]
