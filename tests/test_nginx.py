"""The production nginx config (deploy/nginx/) before the app server: CORS added once, preflights, proxying, static."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from sessions_app.demo import DEMO_SESSIONS
from testing.nginx import (
    PRODUCTION_CONFIG,
    PRODUCTION_ORIGINS,
    PRODUCTION_ORIGINS_INCLUDE,
    PRODUCTION_TRUSTED_PROXIES,
    PRODUCTION_TRUSTED_PROXIES_INCLUDE,
    main_config,
    nginx_check,
    nginx_missing,
    nginx_server,
)
from testing.services import free_port, service_missing
from testing.stack import Stack, facepass_stack

pytestmark = pytest.mark.e2e

ENABLED_ID = str(DEMO_SESSIONS[0]["id"])
ALLOWED = "http://localhost:3000"
# Allowed by the misconfigured backend below, not by nginx.
BACKEND_ONLY = "http://localhost:3001"
NOT_ALLOWED = ["http://localhost:3000.evil.example", "null", "https://localhost:3000", BACKEND_ONLY]
BATCH_URL = "/api/v1/sessions/validate"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-request-id"}


class Answer:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.getheaders()
        self.body = response.read()

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def one(self, name: str) -> str | None:
        values = self.all(name)
        assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
        return values[0] if values else None

    def required(self, name: str) -> str:
        """The one value of a header the answer must have."""
        value = self.one(name)
        assert value is not None, f"{name} not sent"
        return value

    def cors(self) -> dict[str, str]:
        return {key: value for key, value in self.headers if key.lower().startswith("access-control-")}


def request(
    base_url: str,
    path: str,
    *,
    method: str = "GET",
    headers=None,
    body: bytes | None = None,
    source_address: str | None = None,
) -> Answer:
    """One request; `source_address` (another loopback address) makes it come from another client."""
    source = (source_address, 0) if source_address else None
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=15, source_address=source)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        return Answer(connection.getresponse())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """Production shape: Django with CORS_MODE=nginx, nginx in front, static files collected."""
    with facepass_stack(
        tmp_path_factory.mktemp("nginx-stack"),
        cors_mode="nginx",
        cors_origins=[ALLOWED],
        with_nginx=True,
        collectstatic=True,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def misconfigured(tmp_path_factory) -> Iterator[Stack]:
    """A backend left in CORS_MODE=django behind nginx: it sends CORS headers of its own."""
    directory = tmp_path_factory.mktemp("nginx-misconfigured")
    with (
        facepass_stack(directory, cors_mode="django", cors_origins=[ALLOWED, BACKEND_ONLY]) as backend,
        nginx_server(backend_url=backend.url, workdir=directory / "nginx", allowed_origins=[ALLOWED]) as url,
    ):
        yield Stack(url=url, backend_url=backend.url, directory=directory, with_nginx=True)


@pytest.fixture(scope="module")
def echo_backend() -> Iterator[str]:
    """A backend that answers with the headers it received, and CORS headers nginx must hide."""

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({key.lower(): value for key, value in self.headers.items()}).encode()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/json")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_production_config_is_valid_as_shipped(tmp_path):
    """nginx -t on deploy/nginx/ as it is, only the allow-list's absolute path pointed at the shipped example."""
    if reason := nginx_missing():
        service_missing(reason)
    shipped = (
        PRODUCTION_CONFIG.read_text()
        .replace(PRODUCTION_ORIGINS_INCLUDE, f"include {PRODUCTION_ORIGINS};")
        .replace(PRODUCTION_TRUSTED_PROXIES_INCLUDE, f"include {PRODUCTION_TRUSTED_PROXIES};")
    )
    (tmp_path / "facepass.conf").write_text(shipped)

    result = nginx_check(main_config(tmp_path, tmp_path / "facepass.conf"))

    assert result.returncode == 0, result.stderr


def test_allowed_origin_gets_one_credentialed_allow_origin(stack):
    answer = request(stack.url, f"/api/v1/sessions/validate/{ENABLED_ID}", headers={"Origin": ALLOWED})

    assert answer.status == HTTPStatus.OK
    assert json.loads(answer.body)["valid"] is True
    assert answer.one("Access-Control-Allow-Origin") == ALLOWED
    assert answer.one("Access-Control-Allow-Credentials") == "true"
    assert answer.required("Access-Control-Expose-Headers").lower() == "x-request-id"
    assert "Origin" in answer.all("Vary")
    assert answer.one("X-Request-ID")


def test_preflight_is_answered_by_nginx_itself(stack):
    answer = request(stack.url, BATCH_URL, method="OPTIONS", headers={"Origin": ALLOWED, **PREFLIGHT})

    assert answer.status == HTTPStatus.NO_CONTENT
    assert answer.one("Access-Control-Allow-Origin") == ALLOWED
    assert answer.one("Access-Control-Allow-Credentials") == "true"
    assert answer.one("Access-Control-Max-Age") == "86400"
    assert "POST" in answer.required("Access-Control-Allow-Methods")
    allowed_headers = {h.strip() for h in answer.required("Access-Control-Allow-Headers").split(",")}
    assert allowed_headers >= {"authorization", "content-type", "x-csrftoken", "x-request-id"}
    assert "OPTIONS " not in stack.backend_access_log.read_text()


def test_json_post_is_proxied_with_cors(stack):
    body = json.dumps({"session_ids": [ENABLED_ID]}).encode()

    answer = request(
        stack.url,
        BATCH_URL,
        method="POST",
        body=body,
        headers={"Origin": ALLOWED, "Content-Type": "application/json"},
    )

    assert answer.status == HTTPStatus.OK
    assert json.loads(answer.body)["results"][ENABLED_ID]["valid"] is True
    assert answer.one("Access-Control-Allow-Origin") == ALLOWED


@pytest.mark.parametrize("origin", NOT_ALLOWED)
def test_other_origins_get_no_cors_headers(stack, origin):
    simple = request(stack.url, f"/api/v1/sessions/validate/{ENABLED_ID}", headers={"Origin": origin})
    flight = request(stack.url, BATCH_URL, method="OPTIONS", headers={"Origin": origin, **PREFLIGHT})

    assert simple.status == HTTPStatus.OK
    assert simple.cors() == {}
    assert flight.cors() == {}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/sessions/validate/not-a-uuid", HTTPStatus.BAD_REQUEST),
        ("/api/v1/sessions/00000000-0000-4000-8000-0000000000ff", HTTPStatus.NOT_FOUND),
        ("/api/v1/no-such-endpoint", HTTPStatus.NOT_FOUND),
        (f"/api/v1/remote-services/{ENABLED_ID}", HTTPStatus.SERVICE_UNAVAILABLE),
    ],
)
def test_backend_error_answers_carry_cors(stack, path, status):
    answer = request(stack.url, path, headers={"Origin": ALLOWED})

    assert answer.status == status
    assert "detail" in json.loads(answer.body)
    assert answer.one("Access-Control-Allow-Origin") == ALLOWED


def test_body_over_the_upload_limit_is_a_json_413_with_cors(stack):
    answer = request(
        stack.url,
        BATCH_URL,
        method="POST",
        body=b"x" * (7 * 1024 * 1024),
        headers={"Origin": ALLOWED, "Content-Type": "application/json"},
    )

    assert answer.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "5 MB" in json.loads(answer.body)["detail"]
    assert answer.one("Access-Control-Allow-Origin") == ALLOWED


def test_a_5_mb_body_reaches_django(stack):
    answer = request(
        stack.url,
        BATCH_URL,
        method="POST",
        body=b" " * (5 * 1024 * 1024),
        headers={"Origin": ALLOWED, "Content-Type": "application/json"},
    )

    assert answer.status == HTTPStatus.BAD_REQUEST
    assert answer.one("X-Request-ID")
    assert answer.one("Access-Control-Allow-Origin") == ALLOWED


def test_backend_down_is_a_json_503_with_cors(tmp_path):
    with nginx_server(
        backend_url=f"http://127.0.0.1:{free_port()}", workdir=tmp_path, allowed_origins=[ALLOWED]
    ) as url:
        answer = request(url, "/api/healthz/", headers={"Origin": ALLOWED})

    assert answer.status == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(answer.body) == {"detail": "FacePass is unavailable. Try again shortly."}
    assert answer.one("Access-Control-Allow-Origin") == ALLOWED
    assert answer.one("X-FacePass-Upstream-Error") == "502"


@pytest.fixture
def failing_backend() -> Iterator[str]:
    """A backend whose /gone hangs up without answering (a worker killed mid-request) and whose /busy is the
    app's own 503."""

    class Failing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/gone":
                self.close_connection = True
                return
            body = b'{"detail": "busy"}'
            self.send_response(HTTPStatus.SERVICE_UNAVAILABLE)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_request_lost_in_flight_is_marked_apart_from_the_apps_own_503(tmp_path, failing_backend):
    with nginx_server(backend_url=failing_backend, workdir=tmp_path, allowed_origins=[ALLOWED]) as url:
        lost = request(url, "/gone", headers={"Origin": ALLOWED})
        own = request(url, "/busy", headers={"Origin": ALLOWED})

    assert lost.status == HTTPStatus.SERVICE_UNAVAILABLE
    assert lost.one("X-FacePass-Upstream-Error") == "502"
    assert lost.one("Access-Control-Allow-Origin") == ALLOWED
    assert own.status == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(own.body) == {"detail": "busy"}
    assert own.one("X-FacePass-Upstream-Error") is None


@pytest.mark.parametrize(
    ("method", "path", "extra"),
    [
        ("GET", f"/api/v1/sessions/validate/{ENABLED_ID}", {}),
        ("GET", "/api/v1/sessions/validate/not-a-uuid", {}),
        ("OPTIONS", BATCH_URL, PREFLIGHT),
    ],
)
def test_backend_cors_headers_never_double_up(misconfigured, method, path, extra):
    allowed = request(misconfigured.url, path, method=method, headers={"Origin": ALLOWED, **extra})
    backend_only = request(misconfigured.url, path, method=method, headers={"Origin": BACKEND_ONLY, **extra})
    direct = request(misconfigured.backend_url, path, method=method, headers={"Origin": BACKEND_ONLY, **extra})

    assert direct.all("Access-Control-Allow-Origin") == [BACKEND_ONLY], "the backend should send its own"
    assert allowed.all("Access-Control-Allow-Origin") == [ALLOWED]
    assert len(allowed.all("Access-Control-Allow-Credentials")) == 1
    assert backend_only.cors() == {}


def test_forwarded_headers_are_set_by_nginx_not_the_client(tmp_path, echo_backend):
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "Origin": ALLOWED}
    with nginx_server(backend_url=echo_backend, workdir=tmp_path, allowed_origins=[ALLOWED]) as url:
        answer = request(url, "/anything", headers=spoofed)
        given_id = request(url, "/anything", headers={"X-Request-ID": "abc-123"})

    seen = json.loads(answer.body)
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["host"] == "127.0.0.1"
    assert len(seen["x-request-id"]) == 32
    assert json.loads(given_id.body)["x-request-id"] == "abc-123"
    assert answer.all("Access-Control-Allow-Origin") == [ALLOWED]
    assert "*" not in answer.all("Access-Control-Allow-Methods"), "the backend's own CORS headers must be hidden"


def test_static_files_are_served_by_nginx(stack):
    backend_log = stack.backend_access_log
    logged_before = len(backend_log.read_text())

    answer = request(stack.url, "/static/admin/css/base.css")

    assert answer.status == HTTPStatus.OK
    assert answer.one("Content-Type") == "text/css"
    assert answer.one("Cache-Control") == "max-age=2592000"
    assert b"body" in answer.body
    assert "/static/" not in backend_log.read_text()[logged_before:]


def test_static_files_are_served_by_whitenoise_without_debug(stack):
    answer = request(stack.backend_url, "/static/admin/css/base.css", headers={"Origin": ALLOWED})

    assert answer.status == HTTPStatus.OK
    assert answer.required("Content-Type").startswith("text/css")
    assert b"body" in answer.body
    assert answer.cors() == {}, "in CORS_MODE=nginx Django sends no CORS header, static files included"


def test_metrics_are_served_to_localhost_only(stack):
    """nginx keeps /metrics to 127.0.0.1, the tests' own address."""
    answer = request(stack.url, "/metrics")

    assert answer.status == HTTPStatus.OK
    assert b"facepass_" in answer.body
