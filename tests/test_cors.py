"""CORS as Django sends it (CORS_MODE=django), and that it sends none at all with CORS_MODE=nginx."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client

from sessions_app import views as session_views
from sessions_app.demo import DEMO_SESSIONS
from testing.pixora import SqlitePixora, use_pixora_database
from testing.services import REPO_ROOT, base_environment
from testing.stack import Stack, facepass_stack

ENABLED_ID = str(DEMO_SESSIONS[0]["id"])
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"
ALLOWED = "http://localhost:3000"
NOT_ALLOWED = ["http://localhost:3000.evil.example", "null", "https://localhost:3000", "http://localhost:3001"]
FRONTEND_HEADERS = {"authorization", "content-type", "x-csrftoken", "x-request-id"}
BATCH_URL = "/api/v1/sessions/validate"
BATCH_BODY = json.dumps({"session_ids": [ENABLED_ID]})
CLAIMS_HTTPS = {"X-Forwarded-Proto": "https"}

django_mode = pytest.mark.skipif(settings.CORS_MODE != "django", reason="the test settings run with CORS_MODE=nginx")


def cors_headers(response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.lower().startswith("access-control-")}


def preflight(client: Client, origin: str, url: str = BATCH_URL):
    return client.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-request-id",
        },
    )


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@django_mode
@pytest.mark.django_db(databases=["default", "pixora"])
class TestDjangoMode:
    @pytest.mark.parametrize("origin", settings.CORS_ALLOWED_ORIGINS)
    def test_allowed_origin_gets_credentialed_cors(self, client, origin):
        response = client.get(f"/api/v1/sessions/validate/{ENABLED_ID}", headers={"Origin": origin})

        assert response.status_code == HTTPStatus.OK
        assert response["Access-Control-Allow-Origin"] == origin
        assert response["Access-Control-Allow-Credentials"] == "true"
        assert "x-request-id" in response["Access-Control-Expose-Headers"].lower()
        assert "origin" in response["Vary"].lower()

    def test_preflight_is_cached_for_a_day_and_allows_the_frontend_headers(self, client):
        response = preflight(client, ALLOWED)

        assert response.status_code == HTTPStatus.OK
        assert response["Access-Control-Allow-Origin"] == ALLOWED
        assert response["Access-Control-Allow-Credentials"] == "true"
        assert response["Access-Control-Max-Age"] == "86400"
        assert "POST" in response["Access-Control-Allow-Methods"]
        allowed_headers = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
        assert allowed_headers >= FRONTEND_HEADERS

    def test_json_post_from_allowed_origin(self, client):
        response = client.post(BATCH_URL, BATCH_BODY, content_type="application/json", headers={"Origin": ALLOWED})

        assert response.status_code == HTTPStatus.OK
        assert response.json()["results"][ENABLED_ID]["valid"] is True
        assert response["Access-Control-Allow-Origin"] == ALLOWED

    @pytest.mark.parametrize(
        ("url", "status"),
        [
            ("/api/v1/sessions/validate/not-a-uuid", HTTPStatus.BAD_REQUEST),
            (f"/api/v1/sessions/{UNKNOWN_ID}", HTTPStatus.NOT_FOUND),
            ("/api/v1/no-such-endpoint", HTTPStatus.NOT_FOUND),
        ],
    )
    def test_error_answers_carry_cors(self, client, url, status):
        response = client.get(url, headers={"Origin": ALLOWED})

        assert response.status_code == status
        assert "detail" in response.json()
        assert response["Access-Control-Allow-Origin"] == ALLOWED
        assert response["Access-Control-Allow-Credentials"] == "true"

    def test_bad_json_body_is_a_400_with_cors(self, client):
        response = client.post(BATCH_URL, "{not json", content_type="application/json", headers={"Origin": ALLOWED})

        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response["Access-Control-Allow-Origin"] == ALLOWED

    @pytest.mark.parametrize("origin", NOT_ALLOWED)
    def test_other_origins_get_no_cors_headers(self, client, origin):
        simple = client.get(f"/api/v1/sessions/validate/{ENABLED_ID}", headers={"Origin": origin})
        flight = preflight(client, origin)

        assert simple.status_code == HTTPStatus.OK
        assert cors_headers(simple) == {}
        assert cors_headers(flight) == {}

    def test_unhandled_error_is_a_500_with_cors(self, client, monkeypatch):
        def broken(**kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr(session_views, "session_validate", broken)

        response = client.get(f"/api/v1/sessions/validate/{ENABLED_ID}", headers={"Origin": ALLOWED})

        assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
        assert response.json() == {"detail": "Internal server error"}
        assert response["Access-Control-Allow-Origin"] == ALLOWED


@pytest.fixture
def pixora_down(pixora, tmp_path) -> Iterator[None]:
    missing = SqlitePixora(tmp_path / "gone.sqlite3")
    use_pixora_database(missing)
    missing.path.unlink()
    yield
    use_pixora_database(pixora)


@django_mode
@pytest.mark.django_db(transaction=True, databases=["default", "pixora"])
@pytest.mark.parametrize("url", [f"/api/v1/sessions/validate/{ENABLED_ID}", "/api/healthz/"])
def test_database_down_503_carries_cors(client, pixora_down, url):
    response = client.get(url, headers={"Origin": ALLOWED})

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert response["Access-Control-Allow-Credentials"] == "true"


def settings_in(env: dict[str, str], *names: str) -> dict[str, object]:
    """Settings as a process started with this environment sees them (they are read at import)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, object] = json.loads(result.stdout)
    return values


def test_csrf_trusted_origins_follow_the_allowed_origins(tmp_path):
    origins = "https://studio.example,http://localhost:5173"

    seen = settings_in(base_environment(tmp_path, CORS_ALLOWED_ORIGINS=origins), "CSRF_TRUSTED_ORIGINS")

    assert seen["CSRF_TRUSTED_ORIGINS"] == origins.split(",")


@pytest.mark.parametrize("origins", ["http://localhost:3000,*", "null", "https://a.example/"])
def test_wildcard_or_malformed_origins_fail_at_startup(tmp_path, origins):
    env = base_environment(tmp_path, CORS_ALLOWED_ORIGINS=origins)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "CORS_ALLOWED_ORIGINS must list exact origins" in result.stderr


# --- CORS_MODE=nginx: settings are read at import, so a server child process runs in that mode ------------


@pytest.fixture(scope="module")
def nginx_mode_backend(tmp_path_factory) -> Iterator[Stack]:
    with facepass_stack(tmp_path_factory.mktemp("nginx-mode"), cors_mode="nginx", cors_origins=[ALLOWED]) as stack:
        yield stack


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None


NO_REDIRECTS = urllib.request.build_opener(_NoRedirects)


def raw_request(url: str, *, method: str = "GET", headers: dict[str, str], body: bytes | None = None):
    """One HTTP exchange as it happened: error statuses and redirects are answers, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        return NO_REDIRECTS.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        ("GET", f"/api/v1/sessions/validate/{ENABLED_ID}", {}, None, HTTPStatus.OK),
        ("POST", BATCH_URL, {"Content-Type": "application/json"}, BATCH_BODY.encode(), HTTPStatus.OK),
        (
            "OPTIONS",
            BATCH_URL,
            {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
            None,
            HTTPStatus.OK,
        ),
        ("GET", "/api/v1/sessions/validate/not-a-uuid", {}, None, HTTPStatus.BAD_REQUEST),
        ("GET", f"/api/v1/sessions/{UNKNOWN_ID}", {}, None, HTTPStatus.NOT_FOUND),
    ],
)
def test_nginx_mode_django_sends_no_cors_at_all(nginx_mode_backend, method, path, headers, body, status):
    response = raw_request(
        nginx_mode_backend.backend_url + path, method=method, headers={"Origin": ALLOWED, **headers}, body=body
    )

    assert response.status == status
    assert [name for name in response.headers if name.lower().startswith("access-control-")] == []
    assert "origin" not in response.headers.get("Vary", "").lower()


@pytest.mark.e2e
@pytest.mark.parametrize(("trusted", "status"), [("false", HTTPStatus.MOVED_PERMANENTLY), ("true", HTTPStatus.OK)])
def test_x_forwarded_proto_is_trusted_only_when_configured(tmp_path, trusted, status):
    """With SECURE_SSL_REDIRECT on, a plain-http request claiming https is redirected unless the header is trusted
    (by Django; the app server passes the header on untouched)."""
    with facepass_stack(
        tmp_path, cors_mode="nginx", cors_origins=[ALLOWED], SECURE_SSL_REDIRECT="true", USE_X_FORWARDED_PROTO=trusted
    ) as stack:
        claimed = raw_request(f"{stack.backend_url}/api/v1/sessions/validate/{ENABLED_ID}", headers=CLAIMS_HTTPS)
        plain = raw_request(f"{stack.backend_url}/api/v1/sessions/validate/{ENABLED_ID}", headers={})

    assert claimed.status == status
    assert plain.status == HTTPStatus.MOVED_PERMANENTLY
