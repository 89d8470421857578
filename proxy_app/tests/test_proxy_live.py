"""The proxy against a real HTTP server that answers, hangs, drops, trickles and floods."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import TYPE_CHECKING
from uuid import UUID

import pytest
from rest_framework.test import APIClient

from proxy_app.services import pixora_breaker, pixora_bulkhead, services_fetch
from testing.services import free_port
from testing.upstream import services_payload

if TYPE_CHECKING:
    from rest_framework.response import _MonkeyPatchedResponse

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

SESSION_ID = "11111111-1111-4111-8111-111111111111"
URL = f"/api/v1/remote-services/{SESSION_ID}"


def timed_get(api: APIClient, url: str = URL) -> tuple[_MonkeyPatchedResponse, float]:
    started = time.monotonic()
    response = api.get(url)
    return response, time.monotonic() - started


def test_ok_answer_is_passed_through(api, upstream):
    response = api.get(URL, HTTP_ACCEPT_LANGUAGE="de", HTTP_COOKIE="sessionid=s", HTTP_AUTHORIZATION="Bearer t")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == services_payload(SESSION_ID)
    assert upstream.paths == [f"/api/session/{SESSION_ID}/services"]
    sent = upstream.requests[0].headers
    assert sent["Accept-Language"] == "de"
    assert "Cookie" not in sent and "Authorization" not in sent


def test_a_slow_answer_within_the_timeout_is_served(api, upstream):
    upstream.behave("slow", delay=0.3)

    assert api.get(URL).status_code == HTTPStatus.OK


def test_a_hung_upstream_is_answered_within_the_read_timeout(api, upstream, settings):
    upstream.behave("hang")

    response, elapsed = timed_get(api)

    assert response.status_code == HTTPStatus.GATEWAY_TIMEOUT
    assert response.json()["detail"]["message"] == "Pixora API did not respond within 1 seconds"
    assert elapsed < settings.PIXORA_READ_TIMEOUT + 1
    assert len(upstream.paths) == 1, "a read timeout is never retried"


def test_a_trickling_upstream_is_cut_off_at_the_deadline(api, upstream, settings):
    # Each byte comes within the read timeout, so only the deadline (connect + read timeout) stops it.
    upstream.behave("trickle", delay=0.9)

    response, elapsed = timed_get(api)

    assert response.status_code == HTTPStatus.GATEWAY_TIMEOUT
    assert elapsed < settings.PIXORA_CONNECT_TIMEOUT + settings.PIXORA_READ_TIMEOUT + 0.5


def test_a_dropped_connection_is_503(api, upstream):
    upstream.behave("drop")

    response = api.get(URL)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["detail"]["error"] == "Network error"
    assert len(upstream.paths) == 2, "a dropped connection is retried once, and only once"


def test_refused_connection_is_503(api, settings):
    settings.MAIN_API_URL = f"http://127.0.0.1:{free_port()}"

    response, elapsed = timed_get(api)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["detail"]["message"] == "Unable to connect to Pixora API"
    assert elapsed < 2


def test_a_huge_streamed_body_is_502_without_reading_it_all(api, upstream, settings):
    settings.PIXORA_MAX_RESPONSE_BYTES = 256 * 1024
    upstream.behave("huge", body_bytes=8 * 1024 * 1024)

    response = api.get(URL)

    assert response.status_code == HTTPStatus.BAD_GATEWAY
    assert "larger than 262144 bytes" in response.json()["detail"]["message"]


def test_an_html_error_page_is_502_and_never_shown(api, upstream):
    upstream.behave("html")

    response = api.get(URL)

    assert response.status_code == HTTPStatus.BAD_GATEWAY
    assert "secret" not in response.content.decode()


@pytest.mark.parametrize(
    "bad",
    [
        "../../admin",
        "nope",
        f"{SESSION_ID}%2F..%2F..%2Fadmin",
        f"{SESSION_ID}/../../admin",
        f"{SESSION_ID}%3Fx=1",
        f"{SESSION_ID}%23x",
        "%00",
        "@evil.example",
        "http:%2F%2Fevil.example",
        f" {SESSION_ID}",
    ],
)
def test_nothing_reaches_the_upstream_for_a_bad_id(api, upstream, bad):
    response = api.get(f"/api/v1/remote-services/{bad}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert upstream.paths == []


def test_the_client_cannot_change_the_upstream_path_or_query(api, upstream):
    response = api.get(f"{URL}?path=/admin&host=evil.example", HTTP_X_FORWARDED_HOST="evil.example")

    assert response.status_code == HTTPStatus.OK
    assert upstream.paths == [f"/api/session/{SESSION_ID}/services"]


@pytest.mark.django_db(databases=["default", "pixora"])
def test_open_breaker_answers_at_once(api, upstream, settings):
    settings.PIXORA_BREAKER_THRESHOLD = 3
    settings.PIXORA_READ_TIMEOUT = 0.3
    upstream.behave("hang")
    for _ in range(3):
        assert api.get(URL).status_code == HTTPStatus.GATEWAY_TIMEOUT
    calls_before = len(upstream.paths)

    answers = [timed_get(api) for _ in range(5)]

    assert all(response.status_code == HTTPStatus.SERVICE_UNAVAILABLE for response, _ in answers)
    assert all(elapsed < 0.1 for _, elapsed in answers)
    assert answers[0][0].json()["detail"]["error"] == "Pixora API unavailable"
    assert len(upstream.paths) == calls_before
    health = api.get("/api/healthz/")
    assert health.json()["pixora_api"] == "circuit_open"
    assert health.status_code == HTTPStatus.OK, "Pixora's outage is not this instance's"


@pytest.mark.django_db(databases=["default", "pixora"])
def test_breaker_lets_one_trial_through_after_the_reset_time(api, upstream, settings):
    settings.PIXORA_BREAKER_THRESHOLD = 2
    settings.PIXORA_BREAKER_RESET_SECONDS = 0.5
    upstream.behave("status", status=500)
    for _ in range(2):
        api.get(URL)
    assert api.get(URL).status_code == HTTPStatus.SERVICE_UNAVAILABLE

    time.sleep(0.6)
    upstream.behave("ok")

    assert api.get(URL).status_code == HTTPStatus.OK
    assert api.get("/api/healthz/").json()["pixora_api"] == "ok"


def test_bulkhead_answers_503_at_once_when_calls_pile_up(api, upstream, settings):
    settings.PIXORA_MAX_CONCURRENT_CALLS = 2
    settings.PIXORA_READ_TIMEOUT = 1.5
    upstream.behave("hang")

    with ThreadPoolExecutor(max_workers=2) as pool:
        hung = [pool.submit(api.get, URL) for _ in range(2)]
        time.sleep(0.3)
        response, elapsed = timed_get(api)
        statuses = [future.result().status_code for future in hung]

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["detail"]["error"] == "Pixora API busy"
    assert elapsed < 0.5
    assert statuses == [HTTPStatus.GATEWAY_TIMEOUT] * 2


def test_bulkhead_absorbs_a_burst_against_a_quick_upstream(api, upstream, settings):
    settings.PIXORA_MAX_CONCURRENT_CALLS = 1
    upstream.behave("slow", delay=0.02)

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: api.get(URL).status_code, range(4)))

    assert statuses == [HTTPStatus.OK] * 4


@pytest.mark.django_db(databases=["default", "pixora"])
def test_the_half_open_trial_is_not_lost_to_a_busy_answer(api, upstream, settings):
    settings.PIXORA_BREAKER_THRESHOLD = 1
    settings.PIXORA_BREAKER_RESET_SECONDS = 0.2
    settings.PIXORA_MAX_CONCURRENT_CALLS = 1
    upstream.behave("status", status=500)
    assert api.get(URL).status_code == HTTPStatus.BAD_GATEWAY
    time.sleep(0.3)
    upstream.behave("ok")

    pixora_bulkhead().acquire()
    try:
        assert api.get(URL).json()["detail"]["error"] == "Pixora API busy"
    finally:
        pixora_bulkhead().release()

    assert api.get(URL).status_code == HTTPStatus.OK


def test_an_unforeseen_error_still_ends_the_trial(upstream, settings, monkeypatch):
    settings.PIXORA_BREAKER_THRESHOLD = 1
    settings.PIXORA_BREAKER_RESET_SECONDS = 0.2
    pixora_breaker().record_failure()
    time.sleep(0.3)
    monkeypatch.setattr("proxy_app.services._get", lambda *args: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        services_fetch(session_id=UUID(SESSION_ID), request_id="r")
    time.sleep(0.3)

    assert pixora_breaker().allow(), "a new trial goes out once the reset time has passed again"


@pytest.mark.django_db(databases=["default", "pixora"])
def test_health_reports_an_unconfigured_pixora_api_without_failing(api, settings):
    settings.MAIN_API_URL = ""

    health = api.get("/api/healthz/")

    assert health.json()["pixora_api"] == "not_configured"
    assert health.status_code == HTTPStatus.OK
