from __future__ import annotations

import hashlib
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sso_app.models import SSOToken
from sso_app.tests.conftest import PASSWORD, bearer

pytestmark = pytest.mark.django_db


def test_login_answers_a_bearer_token_with_the_user(api, reader):
    response = api.post(
        "/api/v1/auth/login", {"username": "reader", "password": PASSWORD}, format="json", HTTP_USER_AGENT="curl/8"
    )

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert set(body) == {"token", "token_type", "expires_at", "user"}
    assert body["token_type"] == "Bearer"
    assert body["user"] == {"username": "reader", "permissions": ["sso_app.read_logs"]}
    assert len(body["token"]) >= 43  # 32 random bytes, URL-safe base64
    expires_at = parse_datetime(body["expires_at"])
    assert expires_at is not None
    assert timedelta(minutes=29) < expires_at - timezone.now() <= timedelta(minutes=30)


def test_login_stores_only_the_digest_of_the_token(api, reader, login):
    token = login("reader")

    record = SSOToken.objects.get()
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {
        str(value) for value in SSOToken.objects.values_list(*[f.attname for f in SSOToken._meta.fields]).get()
    }
    assert record.ip == "127.0.0.1"


def test_token_ttl_comes_from_the_setting(api, reader, login, settings):
    settings.SSO_TOKEN_TTL_MINUTES = 5
    login("reader")

    record = SSOToken.objects.get()
    assert record.expires_at - record.created_at == timedelta(minutes=5)


@pytest.mark.parametrize(
    ("username", "password"),
    [("reader", "wrong password"), ("nobody", PASSWORD), ("READER", PASSWORD)],
)
def test_wrong_credentials_answer_one_message_whoever_asks(api, reader, username, password):
    response = api.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Invalid username or password"}


def test_inactive_user_can_not_sign_in(api, make_user):
    make_user("gone", active=False)

    response = api.post("/api/v1/auth/login", {"username": "gone", "password": PASSWORD}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Invalid username or password"}


@pytest.mark.parametrize(
    "body",
    [{}, {"username": "reader"}, {"password": PASSWORD}, {"username": ["reader"], "password": PASSWORD}, []],
)
def test_login_with_missing_fields_is_a_400(api, reader, body):
    response = api.post("/api/v1/auth/login", body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_login_with_a_body_that_is_not_json_is_a_400(api):
    response = api.post("/api/v1/auth/login", "{not json", content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_login_is_throttled_per_username_from_any_address(api, reader):
    statuses = [
        api.post(
            "/api/v1/auth/login",
            {"username": "reader", "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.0.0.{attempt}",
        ).status_code
        for attempt in range(11)
    ]

    assert statuses == [HTTPStatus.UNAUTHORIZED] * 10 + [HTTPStatus.TOO_MANY_REQUESTS]
    # The right password does not get through the throttle either.
    response = api.post("/api/v1/auth/login", {"username": "reader", "password": PASSWORD}, format="json")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Retry-After" in response.headers


def test_login_is_throttled_per_client_address_across_usernames(api):
    statuses = [
        api.post("/api/v1/auth/login", {"username": f"user{attempt}", "password": "x"}, format="json").status_code
        for attempt in range(21)
    ]

    assert statuses == [HTTPStatus.UNAUTHORIZED] * 20 + [HTTPStatus.TOO_MANY_REQUESTS]
    other_address = api.post(
        "/api/v1/auth/login", {"username": "user99", "password": "x"}, format="json", REMOTE_ADDR="10.9.9.9"
    )
    assert other_address.status_code == HTTPStatus.UNAUTHORIZED


def test_a_forged_forwarded_for_does_not_escape_the_address_throttle(api):
    statuses = [
        api.post(
            "/api/v1/auth/login",
            {"username": f"user{attempt}", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        ).status_code
        for attempt in range(21)
    ]

    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS


def test_session_describes_the_current_token(api, reader, login):
    token = login("reader")

    response = api.get("/api/v1/auth/session", **bearer(token))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["username"] == "reader"
    assert body["permissions"] == ["sso_app.read_logs"]
    assert body["ip"] == "127.0.0.1"
    assert parse_datetime(body["last_used_at"]) is not None


def test_session_without_a_token_is_a_401_with_a_challenge(api):
    response = api.get("/api/v1/auth/session")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_expires_after_its_ttl(api, reader, login):
    token = login("reader")

    with time_machine.travel(timezone.now() + timedelta(minutes=29, seconds=59)):
        assert api.get("/api/v1/auth/session", **bearer(token)).status_code == HTTPStatus.OK
    with time_machine.travel(timezone.now() + timedelta(minutes=30, seconds=1)):
        response = api.get("/api/v1/auth/session", **bearer(token))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Invalid or expired token"}


def test_logout_revokes_only_the_presented_token(api, reader, login):
    first, second = login("reader"), login("reader")

    assert api.post("/api/v1/auth/logout", **bearer(first)).status_code == HTTPStatus.NO_CONTENT

    assert api.get("/api/v1/auth/session", **bearer(first)).status_code == HTTPStatus.UNAUTHORIZED
    assert api.get("/api/v1/auth/session", **bearer(second)).status_code == HTTPStatus.OK
    assert api.post("/api/v1/auth/logout", **bearer(first)).status_code == HTTPStatus.UNAUTHORIZED


def test_logout_all_revokes_every_token_of_the_user_and_no_one_elses(api, reader, make_user, login):
    make_user("other")
    first, second, others = login("reader"), login("reader"), login("other")

    assert api.post("/api/v1/auth/logout-all", **bearer(first)).status_code == HTTPStatus.NO_CONTENT

    assert api.get("/api/v1/auth/session", **bearer(first)).status_code == HTTPStatus.UNAUTHORIZED
    assert api.get("/api/v1/auth/session", **bearer(second)).status_code == HTTPStatus.UNAUTHORIZED
    assert api.get("/api/v1/auth/session", **bearer(others)).status_code == HTTPStatus.OK


def test_a_user_deactivated_after_sign_in_loses_the_token(api, reader, login):
    token = login("reader")
    reader.is_active = False
    reader.save()

    assert api.get("/api/v1/auth/session", **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "body",
    [
        '{"username": "\\ud800", "password": "x"}',
        '{"username": "reader", "password": "\\ud800"}',
        '{"username": "\\u0000reader", "password": "x"}',
        '{"username": "\' OR 1=1 --", "password": "\' OR 1=1 --"}',
        '{"username": "' + "a" * 10_000 + '", "password": "x"}',
    ],
    ids=["lone surrogate in username", "lone surrogate in password", "NUL", "SQL-like", "10 kB username"],
)
def test_hostile_credentials_are_a_clean_4xx(api, reader, body):
    response = api.post("/api/v1/auth/login", body, content_type="application/json")

    assert response.status_code in {HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED}
    assert isinstance(response.json(), dict)


def test_behind_a_proxy_the_address_it_appended_is_the_client(api, reader, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7", "REMOTE_ADDR": "127.0.0.1"}

    api.post("/api/v1/auth/login", {"username": "reader", "password": PASSWORD}, format="json", **forged)
    statuses = [
        api.post("/api/v1/auth/login", {"username": f"u{n}", "password": "x"}, format="json", **forged).status_code
        for n in range(20)
    ]
    other_client = api.post(
        "/api/v1/auth/login",
        {"username": "u99", "password": "x"},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
        REMOTE_ADDR="127.0.0.1",
    )

    assert SSOToken.objects.get().ip == "198.51.100.7"
    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS
    assert other_client.status_code == HTTPStatus.UNAUTHORIZED
