"""Single sign-on across two real processes: an auth service and a gateway, each with its own database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pytest
import requests

from testing.services import app_server, base_environment, manage

pytestmark = pytest.mark.e2e

SERVICE_KEY = "e2e-service-key-not-a-secret"
PASSWORD = "e2e password, not a secret"
GATEWAY_POD = "gateway-pod-1"
SESSION_ID = "11111111-1111-4111-8111-111111111111"
# One child process per database (migrate, then rows), since each Django start-up costs seconds on a busy machine.
MIGRATE = "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
PREPARE_AUTH = (
    MIGRATE
    + f"""
from django.contrib.auth.models import Permission, User
reader = User.objects.create_user("reader", password={PASSWORD!r})
reader.user_permissions.add(Permission.objects.get(codename="read_logs"))
User.objects.create_user("plain", password={PASSWORD!r})
"""
)


@dataclass
class Deployment:
    auth_url: str
    gateway_url: str
    auth_stack: ExitStack
    http: requests.Session

    def login(self, username: str) -> str:
        response = self.http.post(
            f"{self.auth_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10
        )
        assert response.status_code == HTTPStatus.OK, response.text
        token: str = response.json()["token"]
        return token

    def logs(self, token: str) -> requests.Response:
        return self.http.get(
            f"{self.gateway_url}/api/v1/logs/{GATEWAY_POD}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    auth_dir, gateway_dir = tmp_path_factory.mktemp("sso-auth"), tmp_path_factory.mktemp("sso-gateway")
    common = {"SSO_SERVICE_KEY": SERVICE_KEY, "SERVER_WORKERS": "1", "SERVER_THREADS": "4"}
    auth_env = base_environment(auth_dir, POD_NAME="auth-pod", **common)
    gateway_settings = {
        "PIXORA_DEMO_DATABASE_PATH": str(gateway_dir / "pixora.sqlite3"),
        "POD_NAME": GATEWAY_POD,
        "SSO_VALIDATION_CACHE_SECONDS": "1",
        "SSO_CONNECT_TIMEOUT": "0.5",
        "SSO_READ_TIMEOUT": "2",
        **common,
    }
    prepare_gateway = MIGRATE + "call_command('create_pixora_demo', verbosity=0)"
    with ThreadPoolExecutor(max_workers=1) as pool, ExitStack() as gateway_stack, requests.Session() as http:
        # The gateway's databases are prepared while the auth service starts.
        gateway_ready = pool.submit(
            manage, "shell", "-c", prepare_gateway, env=base_environment(gateway_dir, **gateway_settings)
        )
        manage("shell", "-c", PREPARE_AUTH, env=auth_env)
        auth_stack = gateway_stack.enter_context(ExitStack())
        auth_url = auth_stack.enter_context(app_server(auth_env, log_path=auth_dir / "server.log"))
        gateway_ready.result()
        gateway_env = base_environment(gateway_dir, AUTH_SERVICE_URL=auth_url, **gateway_settings)
        gateway_url = gateway_stack.enter_context(app_server(gateway_env, log_path=gateway_dir / "server.log"))
        yield Deployment(auth_url=auth_url, gateway_url=gateway_url, auth_stack=auth_stack, http=http)


def wait_for_entries(deployment: Deployment, token: str, count: int, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = deployment.logs(token)
        assert response.status_code == HTTPStatus.OK, response.text
        body: dict[str, Any] = response.json()
        if len(body["entries"]) >= count or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_gateway_serves_its_request_log_to_a_reader_signed_in_on_the_auth_service(deployment):
    request_ids = [f"e2e-validation-{number}" for number in range(3)]
    for request_id in request_ids:
        answer = deployment.http.get(
            f"{deployment.gateway_url}/api/v1/sessions/validate/{SESSION_ID}",
            headers={"X-Request-ID": request_id},
            timeout=10,
        )
        assert answer.status_code == HTTPStatus.OK
    token = deployment.login("reader")

    body = wait_for_entries(deployment, token, count=3)

    assert body["status"] == "success"
    assert body["pod_name"] == GATEWAY_POD
    assert [entry["request_id"] for entry in body["entries"]] == request_ids[::-1]
    assert {(entry["pod"], entry["status"], entry["method"]) for entry in body["entries"]} == {
        (GATEWAY_POD, 200, "GET")
    }


def test_gateway_refuses_a_user_without_read_logs(deployment):
    assert deployment.logs(deployment.login("plain")).status_code == HTTPStatus.FORBIDDEN


def test_gateway_refuses_an_unknown_token(deployment):
    assert deployment.logs("A" * 43).status_code == HTTPStatus.UNAUTHORIZED


def test_gateway_refuses_the_token_once_logged_out_and_the_cache_window_passed(deployment):
    token = deployment.login("reader")
    assert deployment.logs(token).status_code == HTTPStatus.OK

    logout = deployment.http.post(
        f"{deployment.auth_url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert logout.status_code == HTTPStatus.NO_CONTENT
    time.sleep(1.1)

    assert deployment.logs(token).status_code == HTTPStatus.UNAUTHORIZED


def test_gateway_answers_503_when_the_auth_service_is_down(deployment):
    token = deployment.login("reader")
    deployment.auth_stack.close()
    time.sleep(1.1)  # past the positive cache of the earlier requests

    response = deployment.logs(token)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "authentication service" in response.json()["detail"]
