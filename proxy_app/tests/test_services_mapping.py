"""How each answer from Pixora maps to ours (fast, with `responses`; tests against a real server are beside)."""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus

import pytest
import requests
import responses
from django.db import connections
from django.test.utils import CaptureQueriesContext

from common.metrics import PROXY_CALLS, PROXY_LATENCY
from proxy_app.services import accept_language_normalize, services_fetch

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

SESSION_ID = "11111111-1111-4111-8111-111111111111"
PIXORA = "http://pixora.test"
UPSTREAM_URL = f"{PIXORA}/api/session/{SESSION_ID}/services"


@pytest.fixture(autouse=True)
def configured(settings):
    settings.MAIN_API_URL = PIXORA
    settings.PIXORA_SERVICES_CACHE_TTL = 0


@responses.activate
def test_json_is_passed_through_unchanged(api):
    payload = {"currency": "EUR", "services": [{"name": "Ретушь 修图 ✨", "price": "15.00", "n": 1.5e-7}], "empty": {}}
    raw = json.dumps(payload, ensure_ascii=False).encode()
    responses.get(UPSTREAM_URL, body=raw, content_type="application/json")

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert response.status_code == HTTPStatus.OK
    assert response.content == raw
    assert response.json() == payload


@responses.activate
def test_upstream_404_is_our_404(api):
    responses.get(UPSTREAM_URL, status=404, json={"message": "nope"})

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {
        "detail": {
            "error": "Session not found",
            "message": f"Session {SESSION_ID} not found in Pixora API",
            "session_id": SESSION_ID,
        }
    }


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@responses.activate
def test_upstream_5xx_is_502_without_its_body(api, status):
    responses.get(UPSTREAM_URL, status=status, body="Traceback: secret internals")

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert response.status_code == HTTPStatus.BAD_GATEWAY
    assert response.json()["detail"]["error"] == "Bad gateway"
    assert "secret" not in response.content.decode()


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422, 429])
@responses.activate
def test_other_upstream_4xx_keeps_its_status_with_a_detail(api, status):
    responses.get(UPSTREAM_URL, status=status, json={"internal": "do not leak"})

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert response.status_code == status
    assert "message" in response.json()["detail"]
    assert "leak" not in response.content.decode()


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"", b"{not json", b"\xff\xfe"])
@responses.activate
def test_a_body_that_is_not_json_is_502(api, body):
    responses.get(UPSTREAM_URL, body=body, content_type="text/html")

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert response.status_code == HTTPStatus.BAD_GATEWAY
    assert "oops" not in response.content.decode()


@responses.activate
def test_a_declared_body_over_the_limit_is_502(api, settings):
    settings.PIXORA_MAX_RESPONSE_BYTES = 100
    responses.get(UPSTREAM_URL, body=json.dumps({"x": "y" * 200}), content_type="application/json")

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert response.status_code == HTTPStatus.BAD_GATEWAY
    assert "larger than 100 bytes" in response.json()["detail"]["message"]


@responses.activate
def test_connection_error_is_503(api):
    responses.get(UPSTREAM_URL, body=requests.ConnectionError("refused"))

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    detail = response.json()["detail"]
    assert detail["error"] == "Network error"
    assert detail["message"] == "Unable to connect to Pixora API"
    assert detail["suggestion"]


@pytest.mark.parametrize("exc", [requests.ReadTimeout("slow"), requests.ConnectTimeout("slow")])
@responses.activate
def test_timeout_is_504(api, settings, exc):
    settings.PIXORA_READ_TIMEOUT = 7
    responses.get(UPSTREAM_URL, body=exc)

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert response.status_code == HTTPStatus.GATEWAY_TIMEOUT
    assert response.json()["detail"]["error"] == "Request timeout"
    assert response.json()["detail"]["message"] == "Pixora API did not respond within 7 seconds"


def test_unconfigured_pixora_api_is_503(api, settings):
    settings.MAIN_API_URL = ""

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "not configured" in response.json()["detail"]["message"]


@pytest.mark.parametrize("bad_id", ["nope", "../../admin", "11111111-1111-4111-8111-11111111111%3F", "x" * 5000])
@responses.activate
@pytest.mark.django_db(databases=["default", "pixora"])
def test_bad_id_is_400_and_nothing_goes_upstream(api, bad_id):
    with CaptureQueriesContext(connections["pixora"]) as queries:
        response = api.get(f"/api/v1/remote-services/{bad_id}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert len(responses.calls) == 0
    assert len(queries) == 0


@responses.activate
def test_only_safe_headers_are_forwarded(api):
    responses.get(UPSTREAM_URL, json={"ok": True})

    response = api.get(
        f"/api/v1/remote-services/{SESSION_ID}?host=evil.example&path=/admin",
        HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9",
        HTTP_X_REQUEST_ID="req-42",
        HTTP_AUTHORIZATION="Bearer secret-token",
        HTTP_COOKIE="sessionid=secret-cookie",
        HTTP_X_FORWARDED_HOST="evil.example",
    )

    sent = responses.calls[0].request
    assert sent.url == UPSTREAM_URL
    assert sent.headers["Accept-Language"] == "fr-FR,fr;q=0.9"
    assert sent.headers["X-Request-ID"] == "req-42"
    assert "Authorization" not in sent.headers
    assert "Cookie" not in sent.headers
    assert "X-Forwarded-Host" not in sent.headers
    assert response["X-Request-ID"] == "req-42"


@responses.activate
def test_a_generated_request_id_is_forwarded_and_returned(api):
    responses.get(UPSTREAM_URL, json={"ok": True})

    response = api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert responses.calls[0].request.headers["X-Request-ID"] == response["X-Request-ID"]


@responses.activate
def test_successes_are_cached_per_session(api, settings):
    settings.PIXORA_SERVICES_CACHE_TTL = 30
    other = "33333333-3333-4333-8333-333333333333"  # another demo session with FacePass enabled
    responses.get(UPSTREAM_URL, json={"n": 1})
    responses.get(f"{PIXORA}/api/session/{other}/services", json={"n": 2})

    first = api.get(f"/api/v1/remote-services/{SESSION_ID}").json()
    second = api.get(f"/api/v1/remote-services/{SESSION_ID}").json()
    third = api.get(f"/api/v1/remote-services/{other}").json()

    assert first == second == {"n": 1}
    assert third == {"n": 2}
    assert len(responses.calls) == 2


@responses.activate
def test_failures_are_not_cached(api, settings):
    settings.PIXORA_SERVICES_CACHE_TTL = 30
    responses.get(UPSTREAM_URL, status=404)
    responses.get(UPSTREAM_URL, json={"n": 1})

    assert api.get(f"/api/v1/remote-services/{SESSION_ID}").status_code == HTTPStatus.NOT_FOUND
    assert api.get(f"/api/v1/remote-services/{SESSION_ID}").json() == {"n": 1}


@responses.activate
def test_one_structured_log_line_per_call(api, caplog):
    responses.get(UPSTREAM_URL, json={"ok": True})
    responses.get(UPSTREAM_URL, status=404)
    responses.get(UPSTREAM_URL, status=500)

    with caplog.at_level("INFO", logger="proxy_app.services"):
        for _ in range(3):
            api.get(f"/api/v1/remote-services/{SESSION_ID}", HTTP_X_REQUEST_ID="rid-1")

    records = [r for r in caplog.records if r.name == "proxy_app.services"]
    assert [r.levelname for r in records] == ["INFO", "WARNING", "ERROR"]
    assert [r.getMessage().split("outcome=")[1].split()[0] for r in records] == ["ok", "not_found", "upstream_error"]
    for record in records:
        message = record.getMessage()
        assert f"session_id={SESSION_ID}" in message
        assert "request_id=rid-1" in message
        assert "duration_ms=" in message


def latency_count() -> float:
    return next(s.value for s in list(PROXY_LATENCY.collect())[0].samples if s.name.endswith("_count"))


def outcome_count(outcome: str) -> float:
    return next(
        (
            s.value
            for s in list(PROXY_CALLS.collect())[0].samples
            if s.name.endswith("_total") and s.labels == {"outcome": outcome}
        ),
        0.0,
    )


@responses.activate
def test_calls_are_counted_by_outcome_and_timed_even_when_they_time_out(api):
    responses.get(UPSTREAM_URL, json={"ok": True})
    responses.get(UPSTREAM_URL, body=requests.ReadTimeout("slow"))
    ok, timeouts, timed = outcome_count("ok"), outcome_count("timeout"), latency_count()

    api.get(f"/api/v1/remote-services/{SESSION_ID}")
    api.get(f"/api/v1/remote-services/{SESSION_ID}")

    assert outcome_count("ok") == ok + 1
    assert outcome_count("timeout") == timeouts + 1
    assert latency_count() == timed + 2


@pytest.mark.parametrize(
    ("header", "normalized"),
    [
        (None, ""),
        ("", ""),
        ("de", "de"),
        ("fr-FR,fr;q=0.9", "fr-fr,fr"),
        ("fr;q=0.5, DE-ch , en;q=0.7", "de-ch,en,fr"),
        ("en;q=0, de", "de"),
        ("de, de, *;q=0.1", "de,*"),
        ("a,b,c,d,e,f", "a,b,c,d"),
        ("<script>;q=1", ""),
        ("de;q=abc, en", "en"),
        ("x" * 600, ""),
    ],
)
def test_accept_language_is_reduced_to_its_languages_by_preference(header, normalized):
    assert accept_language_normalize(header) == normalized


@responses.activate
def test_answers_are_cached_per_language(settings):
    settings.PIXORA_SERVICES_CACHE_TTL = 30
    german = responses.get(UPSTREAM_URL, json={"currency": "EUR", "language": "de"})
    session = uuid.UUID(SESSION_ID)

    first = services_fetch(session_id=session, request_id="r1", accept_language="de-DE,de;q=0.9")
    again = services_fetch(session_id=session, request_id="r2", accept_language="de-de, de;q=0.8")
    responses.replace(responses.GET, UPSTREAM_URL, json={"currency": "EUR", "language": "fr"})
    french = services_fetch(session_id=session, request_id="r3", accept_language="fr")

    assert json.loads(first)["language"] == json.loads(again)["language"] == "de"
    assert json.loads(french)["language"] == "fr"
    assert german.call_count == 1
    assert len(responses.calls) == 2


@responses.activate
@pytest.mark.parametrize(
    ("session_id", "status", "detail"),
    [
        (str(uuid.uuid4()), HTTPStatus.NOT_FOUND, "Session not found"),
        ("22222222-2222-4222-8222-222222222222", HTTPStatus.FORBIDDEN, "FacePass is not enabled for this session."),
    ],
    ids=["unknown", "disabled"],
)
def test_pixora_is_called_only_for_sessions_facepass_serves(api, session_id, status, detail):
    responses.get(f"{PIXORA}/api/session/{session_id}/services", json={"leak": True})

    response = api.get(f"/api/v1/remote-services/{session_id}")

    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert len(responses.calls) == 0
