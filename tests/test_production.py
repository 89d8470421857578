"""Production settings: `check --deploy` is clean, security headers are sent, and errors never leak internals."""

from __future__ import annotations

import json
import subprocess
import sys
from http import HTTPStatus

import pytest
import requests
from django.test import Client, override_settings

from testing.production import production_environment
from testing.services import REPO_ROOT, app_server, manage
from tests.failing_urls import LEAKY_MESSAGE

SESSION_ID = "11111111-1111-4111-8111-111111111111"
LEAK_MARKERS = ("Traceback", "hunter2", "/srv/facepass", "SECRET_KEY", 'File "', "django.", "DATABASES")


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_no_leak(body: str, secret_key: str = "") -> None:
    for marker in (*LEAK_MARKERS, *([secret_key] if secret_key else [])):
        assert marker not in body


def test_deploy_check_reports_nothing_with_the_production_environment(tmp_path):
    result = deploy_check(production_environment(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_flags_what_production_leaves_out(tmp_path):
    left_out = {
        "SECURE_HSTS_SECONDS": ("0", "security.W004"),
        "SECURE_SSL_REDIRECT": ("false", "security.W008"),
        "SESSION_COOKIE_SECURE": ("false", "security.W012"),
        "CSRF_COOKIE_SECURE": ("false", "security.W016"),
        "SECRET_KEY": ("short-and-guessable", "security.W009"),
    }

    result = deploy_check(production_environment(tmp_path, **{name: value for name, (value, _) in left_out.items()}))

    assert result.returncode != 0
    assert {check_id for _, check_id in left_out.values() if check_id in result.stderr} == {
        check_id for _, check_id in left_out.values()
    }


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    env = production_environment(tmp_path, PIXORA_DEMO_DATABASE_PATH=str(tmp_path / "pixora.sqlite3"))
    manage("migrate", "--noinput", env=env)
    manage("create_pixora_demo", env=env)
    with app_server({**env, "SERVER_WORKERS": "1"}, log_path=tmp_path / "server.log") as base_url:
        yield base_url, env["SECRET_KEY"]


HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.mark.e2e
def test_api_answers_carry_the_security_headers(production_server):
    base_url, _ = production_server

    response = requests.get(f"{base_url}/api/v1/sessions/validate/{SESSION_ID}", headers=HTTPS, timeout=5)

    assert response.status_code == HTTPStatus.OK
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "Access-Control-Allow-Origin" not in response.headers  # nginx adds CORS in production


@pytest.mark.e2e
def test_plain_http_is_redirected_to_https_but_health_is_not(production_server):
    base_url, _ = production_server

    redirected = requests.get(f"{base_url}/api/v1/sessions/validate/{SESSION_ID}", allow_redirects=False, timeout=5)
    health = requests.get(f"{base_url}/api/healthz/", allow_redirects=False, timeout=5)

    assert redirected.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert redirected.headers["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in redirected.headers  # never over plain http (RFC 6797 7.2)
    assert health.status_code == HTTPStatus.OK


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        ("GET", "/api/v1/no-such-endpoint", {}, None, HTTPStatus.NOT_FOUND),
        ("GET", f"/api/v1/sessions/validate/{SESSION_ID}", {"Host": "evil.example"}, None, HTTPStatus.BAD_REQUEST),
        ("GET", "/api/v1/sessions/validate/not-a-uuid", {}, None, HTTPStatus.BAD_REQUEST),
        ("POST", "/api/v1/sessions/validate", {"Content-Type": "application/json"}, b"{not json", 400),
        ("POST", "/api/v1/sessions/validate", {"Content-Type": "text/xml"}, b"<a/>", 415),
        ("DELETE", f"/api/v1/sessions/{SESSION_ID}", {}, None, HTTPStatus.METHOD_NOT_ALLOWED),
    ],
)
def test_errors_are_json_without_internals(production_server, method, path, headers, body, status):
    base_url, secret_key = production_server

    response = requests.request(method, f"{base_url}{path}", headers={**HTTPS, **headers}, data=body, timeout=5)

    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert "detail" in response.json() or "session_ids" in response.json()
    assert_no_leak(response.text, secret_key)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/test-failures/plain", HTTPStatus.INTERNAL_SERVER_ERROR),
        ("/api/test-failures/drf", HTTPStatus.INTERNAL_SERVER_ERROR),
        ("/api/test-failures/forbidden", HTTPStatus.FORBIDDEN),
        ("/api/test-failures/suspicious", HTTPStatus.BAD_REQUEST),
    ],
)
@override_settings(ROOT_URLCONF="tests.failing_urls", DEBUG=False)
def test_a_failing_view_answers_json_without_a_traceback(path, status, caplog):
    client = Client(raise_request_exception=False)

    response = client.get(path)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert set(json.loads(response.content)) == {"detail"}
    assert_no_leak(response.content.decode())
    if status == HTTPStatus.INTERNAL_SERVER_ERROR:
        assert LEAKY_MESSAGE in caplog.text  # logged for us, never shown to the client
