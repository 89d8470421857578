"""GET /api/v1/auth/check, the endpoint nginx `auth_request` asks before each request to a protected service."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import pytest
import responses
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.utils import timezone

from sso_app.models import SSOToken
from sso_app.tests.conftest import bearer

pytestmark = pytest.mark.django_db

CHECK = "/api/v1/auth/check"


def required(permissions: str) -> dict[str, str]:
    return {"HTTP_X_REQUIRED_PERMISSION": permissions}


def test_a_valid_token_is_answered_200_with_the_user_in_headers(api, reader, login):
    response = api.get(CHECK, **bearer(login("reader")))

    assert response.status_code == HTTPStatus.OK
    assert response["X-Auth-User"] == "reader"
    assert response["X-Auth-Permissions"] == "sso_app.read_logs"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {"username": "reader", "permissions": ["sso_app.read_logs"]}


@pytest.mark.parametrize("authorization", [None, "Bearer " + "A" * 43, "Bearer short", "Basic abc"])
def test_no_token_or_a_bad_one_is_401_with_a_bearer_challenge(api, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = api.get(CHECK, **headers)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "X-Auth-User" not in response


def test_a_token_without_a_required_permission_is_403_naming_it(api, make_user, login):
    make_user("visitor")

    response = api.get(CHECK, **bearer(login("visitor")), **required("sso_app.read_logs"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "sso_app.read_logs" in response.json()["detail"]
    assert "X-Auth-User" not in response


def test_every_named_permission_is_required(api, reader, login):
    token = login("reader")

    held = api.get(CHECK, **bearer(token), **required("sso_app.read_logs"))
    one_missing = api.get(CHECK, **bearer(token), **required("sso_app.read_logs, wiki.edit_page"))

    assert held.status_code == HTTPStatus.OK
    assert one_missing.status_code == HTTPStatus.FORBIDDEN
    assert "wiki.edit_page" in one_missing.json()["detail"]
    assert "sso_app.read_logs" not in one_missing.json()["detail"]


def test_a_revoked_token_is_refused_once_the_cache_window_has_passed(api, reader, login, settings):
    settings.SSO_VALIDATION_CACHE_SECONDS = 10
    token = login("reader")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert api.get(CHECK, **bearer(token)).status_code == HTTPStatus.OK
        SSOToken.objects.update(revoked_at=start)

        within_window = api.get(CHECK, **bearer(token))
        clock.shift(timedelta(seconds=10))
        after_window = api.get(CHECK, **bearer(token))

    assert within_window.status_code == HTTPStatus.OK
    assert after_window.status_code == HTTPStatus.UNAUTHORIZED


def test_the_cache_never_outlives_the_token(api, reader, login, settings):
    settings.SSO_VALIDATION_CACHE_SECONDS = 600
    token = login("reader")
    expires_at = SSOToken.objects.get().expires_at
    with time_machine.travel(expires_at - timedelta(seconds=5), tick=False) as clock:
        assert api.get(CHECK, **bearer(token)).status_code == HTTPStatus.OK
        clock.shift(timedelta(seconds=6))
        assert api.get(CHECK, **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED


def test_with_the_cache_off_a_revocation_is_seen_at_once(api, reader, login, settings):
    settings.SSO_VALIDATION_CACHE_SECONDS = 0
    token = login("reader")
    assert api.get(CHECK, **bearer(token)).status_code == HTTPStatus.OK

    api.post("/api/v1/auth/logout", **bearer(token))

    assert api.get(CHECK, **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED


@responses.activate
def test_on_a_gateway_the_auth_service_answers_and_its_outage_is_a_503(api, settings):
    settings.AUTH_SERVICE_URL = "http://auth.test"
    expires = (timezone.now() + timedelta(minutes=5)).isoformat()
    responses.post(
        "http://auth.test/api/v1/auth/validate",
        json={"active": True, "username": "remote", "permissions": ["wiki.view"], "expires_at": expires},
    )

    allowed = api.get(CHECK, **bearer("G" * 43), **required("wiki.view"))
    responses.replace(responses.POST, "http://auth.test/api/v1/auth/validate", status=502)
    down = api.get(CHECK, **bearer("H" * 43))

    assert allowed.status_code == HTTPStatus.OK
    assert allowed["X-Auth-User"] == "remote"
    assert down.status_code == HTTPStatus.SERVICE_UNAVAILABLE


def test_a_permission_created_for_an_outside_service_can_be_granted_and_required(api, make_user, login):
    output = StringIO()
    call_command("sso_permission_create", "wiki.edit_page", "Can edit wiki pages", stdout=output)
    call_command("sso_permission_create", "wiki.edit_page", "Can edit wiki pages", stdout=output)
    editor = make_user("editor")
    editor.user_permissions.add(Permission.objects.get(content_type__app_label="wiki", codename="edit_page"))

    response = api.get(CHECK, **bearer(login("editor")), **required("wiki.edit_page"))

    assert output.getvalue().splitlines() == ["Created wiki.edit_page", "Already there: wiki.edit_page"]
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("name", ["auth.change_user", "sso_app.read_logs", "admin.view_logentry"])
def test_a_permission_of_facepass_own_apps_is_refused(name):
    with pytest.raises(CommandError, match="app of FacePass's own"):
        call_command("sso_permission_create", name, "looks harmless", stdout=StringIO())
    assert not Permission.objects.filter(content_type__model="external").exists()


@pytest.mark.parametrize("name", ["no_dot", "Wiki.Edit", "wiki.edit page", "wiki.", ".edit"])
def test_a_malformed_permission_name_is_refused(name):
    with pytest.raises(CommandError, match="app_label.codename"):
        call_command("sso_permission_create", name, "x", stdout=StringIO())
    assert not Permission.objects.filter(content_type__model="external").exists()
