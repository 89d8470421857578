from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from unittest import mock

import pytest
import requests
import responses
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from common.http import pooled_session
from sso_app.errors import AuthServiceUnavailable, InvalidToken
from sso_app.principal import SSOPrincipal
from sso_app.remote import AUTH_SESSION_NAME, VALIDATION_CACHE, ValidationCache, token_validate_remote
from sso_app.tests.conftest import SERVICE_KEY, bearer

AUTH_URL = "http://auth.test"
VALIDATE_URL = f"{AUTH_URL}/api/v1/auth/validate"
TOKEN = "T" * 43
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _gateway(settings) -> None:
    settings.AUTH_SERVICE_URL = AUTH_URL
    settings.SSO_VALIDATION_CACHE_SECONDS = 10


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def active(expires_at: datetime = NOW + timedelta(minutes=30), permissions=("sso_app.read_logs",)) -> dict[str, object]:
    return {
        "active": True,
        "username": "reader",
        "permissions": list(permissions),
        "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
    }


@responses.activate
def test_a_valid_answer_becomes_the_principal_and_the_key_is_sent(clock):
    responses.post(VALIDATE_URL, json=active())

    principal = token_validate_remote(token=TOKEN, request_id="req-9")

    assert principal.username == "reader"
    assert principal.has_perm("sso_app.read_logs")
    assert principal.expires_at == NOW + timedelta(minutes=30)
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["X-Service-Key"] == SERVICE_KEY
    assert sent.headers["X-Request-ID"] == "req-9"


@responses.activate
def test_a_positive_answer_is_reused_for_the_cache_window_only(clock):
    responses.post(VALIDATE_URL, json=active())

    token_validate_remote(token=TOKEN)
    clock.shift(9)
    token_validate_remote(token=TOKEN)
    assert len(responses.calls) == 1
    clock.shift(2)
    token_validate_remote(token=TOKEN)
    assert len(responses.calls) == 2


@responses.activate
def test_the_cache_never_outlives_the_token(clock):
    responses.post(VALIDATE_URL, json=active(expires_at=NOW + timedelta(seconds=3)))

    token_validate_remote(token=TOKEN)
    clock.shift(4)
    token_validate_remote(token=TOKEN)

    assert len(responses.calls) == 2


@responses.activate
def test_a_refusal_is_never_cached(clock):
    responses.post(VALIDATE_URL, status=401, json={"active": False, "detail": "Invalid or expired token"})

    for _ in range(2):
        with pytest.raises(InvalidToken):
            token_validate_remote(token=TOKEN)

    assert len(responses.calls) == 2
    assert len(VALIDATION_CACHE) == 0


@responses.activate
def test_the_cache_can_be_turned_off(clock, settings):
    settings.SSO_VALIDATION_CACHE_SECONDS = 0
    responses.post(VALIDATE_URL, json=active())

    token_validate_remote(token=TOKEN)
    token_validate_remote(token=TOKEN)

    assert len(responses.calls) == 2


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "body": "oops"},
        {"status": 502, "body": ""},
        {"status": 403, "json": {"active": False, "detail": "key"}},
        {"status": 404, "body": "not found"},
        {"status": 302, "headers": {"Location": "http://elsewhere.test/"}},
        {"status": 200, "body": "<html>not json</html>"},
        {"status": 200, "json": {"active": False}},
        {"status": 200, "json": {"active": True, "username": "x", "permissions": "all", "expires_at": "2026"}},
        {"status": 200, "json": {"active": True, "username": "x", "permissions": [], "expires_at": "2026-03-01T13:00"}},
        {"status": 200, "json": ["active"]},
        {"body": requests.ConnectTimeout("connect timeout")},
        {"body": requests.ReadTimeout("read timeout")},
        {"body": requests.ConnectionError("refused")},
    ],
)
@responses.activate
def test_an_auth_service_that_fails_is_a_503_never_an_allow(clock, answer):
    responses.post(VALIDATE_URL, **answer)

    with pytest.raises(AuthServiceUnavailable) as raised:
        token_validate_remote(token=TOKEN)

    assert raised.value.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert len(VALIDATION_CACHE) == 0


@responses.activate
def test_calls_use_the_short_timeouts(clock, settings):
    settings.SSO_CONNECT_TIMEOUT, settings.SSO_READ_TIMEOUT = 0.5, 2.0
    responses.post(VALIDATE_URL, json=active())

    token_validate_remote(token=TOKEN)

    sent = responses.calls[0].request
    assert sent.req_kwargs["timeout"] == (0.5, 2.0)  # type: ignore[attr-defined]  # responses adds req_kwargs


def test_the_cache_is_bounded_oldest_out_first():
    cache = ValidationCache(max_entries=2)
    principal = SSOPrincipal("u", frozenset(), datetime.now(UTC) + timedelta(hours=1))
    for key in "abc":
        cache.put(key, principal, 60)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, principal, principal)


@pytest.mark.django_db
@responses.activate
def test_gateway_serves_logs_from_the_auth_services_answer_and_keeps_no_user(api, clock):
    responses.post(VALIDATE_URL, json=active())

    response = api.get("/api/v1/logs/pod-a", **bearer(TOKEN))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "success"
    assert not User.objects.exists()


@pytest.mark.django_db
@responses.activate
def test_gateway_answers_403_without_the_permission(api, clock):
    responses.post(VALIDATE_URL, json=active(permissions=["sso_app.view_requestlogentry"]))

    assert api.get("/api/v1/logs/pod-a", **bearer(TOKEN)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.django_db
@responses.activate
def test_gateway_answers_401_for_a_refused_token(api, clock):
    responses.post(VALIDATE_URL, status=401, json={"active": False, "detail": "Invalid or expired token"})

    response = api.get("/api/v1/logs/pod-a", **bearer(TOKEN))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Invalid or expired token"}


@pytest.mark.django_db
@responses.activate
def test_gateway_answers_503_when_the_auth_service_is_down(api, clock):
    responses.post(VALIDATE_URL, body=requests.ConnectionError("refused"))

    response = api.get("/api/v1/logs/pod-a", **bearer(TOKEN))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(response.content)["detail"].startswith("The authentication service is unavailable")


@pytest.mark.django_db
@responses.activate
def test_gateway_refuses_malformed_headers_without_asking_the_auth_service(api):
    response = api.get("/api/v1/logs/pod-a", HTTP_AUTHORIZATION="Bearer ' OR 1=1 --")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert len(responses.calls) == 0


def test_system_check_refuses_a_gateway_without_a_service_key(settings):
    settings.SSO_SERVICE_KEY = ""

    with pytest.raises(SystemCheckError, match="sso_app.E001"):
        call_command("check")


def test_system_check_passes_a_configured_gateway(settings):
    call_command("check")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers (a hung auth service)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_hung_auth_service_is_a_503_within_the_read_timeout(settings, silent_server):
    settings.AUTH_SERVICE_URL = silent_server
    settings.SSO_READ_TIMEOUT = 0.3

    started = time.monotonic()
    with pytest.raises(AuthServiceUnavailable):
        token_validate_remote(token=TOKEN)

    assert time.monotonic() - started < 2.0


def test_calls_go_through_the_pooled_session_not_bare_requests(settings, silent_server):
    settings.AUTH_SERVICE_URL = silent_server
    settings.SSO_READ_TIMEOUT = 0.1
    session = pooled_session(AUTH_SESSION_NAME, timeout=(1.0, 1.0))

    with mock.patch.object(session, "post", wraps=session.post) as post, pytest.raises(AuthServiceUnavailable):
        token_validate_remote(token=TOKEN)

    assert post.call_count == 1
    assert pooled_session(AUTH_SESSION_NAME, timeout=(1.0, 1.0)) is session
