from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone

from sso_app.errors import SERVICE_KEY_REFUSED
from sso_app.tests.conftest import SERVICE_KEY, bearer, introspect, service

pytestmark = pytest.mark.django_db

INVALID = {"active": False, "detail": "Invalid or expired token"}


def test_validate_describes_a_valid_token(api, reader, login):
    token = login("reader")

    response = api.post("/api/v1/auth/validate", **service(token))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["active"] is True
    assert body["username"] == "reader"
    assert body["permissions"] == ["sso_app.read_logs"]
    assert body["expires_at"].endswith("Z")


@pytest.mark.parametrize("key", ["", "wrong-key", SERVICE_KEY + "x", "é-non-ascii"])
def test_validate_refuses_callers_without_the_service_key(api, reader, login, key):
    token = login("reader")
    headers = bearer(token) if not key else service(token, key=key)

    response = api.post("/api/v1/auth/validate", **headers)

    # 403, not 401: the gateway reads it as its own misconfiguration, never as the user's token being bad.
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "WWW-Authenticate" not in response.headers
    assert response.json()["detail"] == SERVICE_KEY_REFUSED


@pytest.mark.parametrize("key", ["", SERVICE_KEY])
def test_validate_and_introspect_refuse_everyone_while_the_service_key_is_unset(api, reader, login, settings, key):
    token = login("reader")
    settings.SSO_SERVICE_KEY = ""

    validated = api.post("/api/v1/auth/validate", **service(token, key=key))
    introspected = introspect(api, {"token": token}, **service(key=key))

    assert validated.status_code == HTTPStatus.FORBIDDEN
    assert introspected.status_code == HTTPStatus.UNAUTHORIZED
    assert introspected.json()["error"] == "invalid_client"


def test_validate_refuses_an_unknown_token(api):
    response = api.post("/api/v1/auth/validate", **service("A" * 43))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == INVALID


def test_validate_refuses_an_expired_token(api, reader, login):
    token = login("reader")

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = api.post("/api/v1/auth/validate", **service(token))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == INVALID


def test_validate_refuses_a_revoked_token(api, reader, login):
    token = login("reader")
    api.post("/api/v1/auth/logout", **bearer(token))

    response = api.post("/api/v1/auth/validate", **service(token))

    assert response.json() == INVALID


def test_validate_refuses_the_token_of_an_inactive_user(api, reader, login):
    token = login("reader")
    reader.is_active = False
    reader.save()

    assert api.post("/api/v1/auth/validate", **service(token)).json() == INVALID


def test_validate_without_authorization_is_a_401(api):
    response = api.post("/api/v1/auth/validate", **service())

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["active"] is False
    assert "Bearer" in response.json()["detail"]


BAD_AUTHORIZATION = {
    "bearer without token": "Bearer",
    "bearer and a space": "Bearer ",
    "basic": "Basic cmVhZGVyOnBhc3N3b3Jk",
    "two spaces": "Bearer  {token}",
    "trailing text": "Bearer {token} extra",
    "lower-case scheme, unknown token": "bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "10 kB token": "Bearer " + "A" * 10_240,
    "non-ASCII": "Bearer tökén-ünïcödé-ñ-aaaaaaaaaaaaaaaaaaaaaa",
    "SQL-like": "Bearer ' OR 1=1 --",
    "SQL-like, token shaped": "Bearer x'--DROP_TABLE_sso_app_ssotoken--",
    "empty": "",
    "token only": "{token}",
    "token with a NUL": "Bearer abc\x00defghijklmnopqrstuvwxyz",
}


@pytest.mark.parametrize("header", BAD_AUTHORIZATION.values(), ids=BAD_AUTHORIZATION.keys())
def test_bad_authorization_headers_are_a_clean_401(api, reader, login, header):
    token = login("reader")
    value = header.format(token=token)

    validate = api.post("/api/v1/auth/validate", HTTP_AUTHORIZATION=value, HTTP_X_SERVICE_KEY=SERVICE_KEY)
    session = api.get("/api/v1/auth/session", HTTP_AUTHORIZATION=value)
    logs = api.get("/api/v1/logs/pod-a", HTTP_AUTHORIZATION=value)

    assert validate.status_code == HTTPStatus.UNAUTHORIZED
    assert validate.json()["active"] is False
    assert session.status_code == HTTPStatus.UNAUTHORIZED
    assert logs.status_code == HTTPStatus.UNAUTHORIZED
    assert "detail" in logs.json()


def test_the_scheme_is_case_insensitive_as_http_says(api, reader, login):
    token = login("reader")

    response = api.post("/api/v1/auth/validate", HTTP_AUTHORIZATION=f"bearer {token}", HTTP_X_SERVICE_KEY=SERVICE_KEY)

    assert response.status_code == HTTPStatus.OK
