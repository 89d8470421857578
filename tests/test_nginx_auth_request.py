"""deploy/nginx/auth-request.conf with a real nginx: an internal service behind FacePass SSO (auth_request)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.models import Permission, User
from django.core.management import call_command

from sso_app.services import token_issue
from testing.nginx import nginx_serving
from testing.services import REPO_ROOT, free_port

EXAMPLE_CONFIG = REPO_ROOT / "deploy" / "nginx" / "auth-request.conf"
ADMIN_PERMISSION = "internal_tools.use_admin"

pytestmark = pytest.mark.django_db(transaction=True)


class InternalService(BaseHTTPRequestHandler):
    """Stands for the protected service: answers every GET with the headers it was sent, and counts itself."""

    received: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.received.append(headers)
        body = json.dumps({"path": self.path, "headers": headers}).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def internal_service() -> Iterator[tuple[str, list[dict[str, str]]]]:
    received: list[dict[str, str]] = []
    handler = type("Handler", (InternalService,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def render_example(*, facepass: str, service: str, port: int) -> str:
    """The example config with this run's addresses; each line replaced must be there once."""
    config = EXAMPLE_CONFIG.read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server {facepass};",
        "server 127.0.0.1:9000;": f"server {service};",
        "listen 80;": f"listen 127.0.0.1:{port};",
    }
    for example, test in replacements.items():
        assert config.count(example) == 1, f"{EXAMPLE_CONFIG} should contain {example!r} once"
        config = config.replace(example, test)
    assert config.count("proxy_set_header Host facepass.internal;") == 2
    return config.replace("proxy_set_header Host facepass.internal;", "proxy_set_header Host localhost;")


@pytest.fixture
def gateway(live_server, internal_service, tmp_path: Path, settings) -> Iterator[str]:
    settings.SSO_VALIDATION_CACHE_SECONDS = 0
    port = free_port()
    config = render_example(facepass=urlsplit(live_server.url).netloc, service=internal_service[0], port=port)
    with nginx_serving(config, workdir=tmp_path / "nginx", port=port) as url:
        yield url


def token_for(username: str, *permissions: str) -> str:
    user = User.objects.create_user(username, password=None)
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return token_issue(user=user).token


@pytest.fixture
def admin_permission() -> None:
    call_command("sso_permission_create", ADMIN_PERMISSION, "Can use the admin of internal tools", stdout=StringIO())


def get(url: str, token: str | None = None, **headers: str) -> requests.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(url, headers=headers, timeout=10)


def test_a_good_token_reaches_the_service_with_the_user_set_by_nginx(gateway, internal_service):
    token = token_for("alice")

    response = get(f"{gateway}/reports/today", token, **{"X-Auth-User": "mallory"})

    assert response.status_code == HTTPStatus.OK
    seen = response.json()
    assert seen["path"] == "/reports/today"
    assert seen["headers"]["x-auth-user"] == "alice"
    assert "authorization" not in seen["headers"]
    assert len(internal_service[1]) == 1


@pytest.mark.parametrize("authorization", [None, "Bearer " + "A" * 43, "Basic YWxpY2U6c2VjcmV0"])
def test_no_token_or_an_unknown_one_is_refused_by_nginx(gateway, internal_service, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = requests.get(f"{gateway}/reports/today", headers=headers, timeout=10)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert internal_service[1] == []


def test_a_revoked_token_is_refused_by_nginx(gateway, internal_service, live_server):
    token = token_for("bob")
    assert get(f"{gateway}/", token).status_code == HTTPStatus.OK

    requests.post(f"{live_server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert get(f"{gateway}/", token).status_code == HTTPStatus.UNAUTHORIZED
    assert len(internal_service[1]) == 1


def test_a_location_that_names_a_permission_refuses_a_token_without_it(gateway, internal_service, admin_permission):
    plain = token_for("carol")
    admin = token_for("dave", ADMIN_PERMISSION)

    refused = [get(f"{gateway}{path}", plain).status_code for path in ("/admin/settings", "/Admin/x", "/admin;x/y")]
    allowed = get(f"{gateway}/admin/settings", admin)

    assert refused == [HTTPStatus.FORBIDDEN] * 3
    assert allowed.status_code == HTTPStatus.OK
    assert allowed.json()["headers"]["x-auth-user"] == "dave"
    assert allowed.json()["headers"]["x-auth-permissions"] == ADMIN_PERMISSION
    assert [seen["x-auth-user"] for seen in internal_service[1]] == ["dave"]


def test_when_facepass_is_unreachable_nginx_answers_503_and_nothing_reaches_the_service(
    internal_service, tmp_path: Path
):
    port = free_port()
    config = render_example(facepass=f"127.0.0.1:{free_port()}", service=internal_service[0], port=port)

    with nginx_serving(config, workdir=tmp_path / "nginx", port=port) as url:
        response = get(f"{url}/reports/today", "A" * 43)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "Sign-in" in response.json()["detail"]
    assert internal_service[1] == []
