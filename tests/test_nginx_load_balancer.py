"""nginx behind a load balancer that terminated TLS: client addresses and the scheme come through from a trusted
hop only (deploy/nginx/facepass-trusted-proxies.conf), so throttles and the https redirect stay right."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http import HTTPStatus

import pytest

from sessions_app.demo import DEMO_SESSIONS
from testing.nginx import load_balancer, nginx_server
from testing.production import PRODUCTION_SETTINGS
from testing.stack import Stack, facepass_stack
from tests.test_nginx import echo_backend, request  # noqa: F401 (echo_backend is a fixture)

pytestmark = pytest.mark.e2e

ENABLED_ID = str(DEMO_SESSIONS[0]["id"])
LOAD_BALANCER = "127.0.0.1"
CLIENT_A, CLIENT_B, DIRECT_CLIENT = "127.0.0.2", "127.0.0.3", "127.0.0.4"
THROTTLE_LIMIT = 5


def test_a_trusted_hop_passes_the_client_address_and_scheme(tmp_path, echo_backend):  # noqa: F811
    with (
        nginx_server(backend_url=echo_backend, workdir=tmp_path / "nginx", trusted_proxies=[LOAD_BALANCER]) as url,
        load_balancer(backend_url=url, workdir=tmp_path / "balancer") as balancer_url,
    ):
        through_balancer = json.loads(request(balancer_url, "/anything", source_address=CLIENT_A).body)
        spoofed_directly = json.loads(
            request(
                url,
                "/anything",
                headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
                source_address=DIRECT_CLIENT,
            ).body
        )

    assert through_balancer["x-forwarded-for"] == CLIENT_A
    assert through_balancer["x-forwarded-proto"] == "https"
    # Not from the balancer: the client's own forwarded headers count for nothing.
    assert spoofed_directly["x-forwarded-for"] == DIRECT_CLIENT
    assert spoofed_directly["x-forwarded-proto"] == "http"


def test_without_trusted_hops_nginx_is_the_edge(tmp_path, echo_backend):  # noqa: F811
    with (
        nginx_server(backend_url=echo_backend, workdir=tmp_path / "nginx") as url,
        load_balancer(backend_url=url, workdir=tmp_path / "balancer") as balancer_url,
    ):
        seen = json.loads(request(balancer_url, "/anything", source_address=CLIENT_A).body)

    assert seen["x-forwarded-for"] == LOAD_BALANCER
    assert seen["x-forwarded-proto"] == "http"


@pytest.fixture(scope="module")
def balanced(tmp_path_factory) -> Iterator[tuple[Stack, str]]:
    """Production settings (NUM_PROXIES=1, https redirect) behind nginx behind the load balancer."""
    directory = tmp_path_factory.mktemp("balanced")
    with (
        facepass_stack(
            directory,
            cors_mode="nginx",
            cors_origins=["https://app.example"],
            with_nginx=True,
            collectstatic=False,  # every flag named, so mypy matches the str settings below to **env_overrides only
            trusted_proxies=[LOAD_BALANCER],
            **{key: value for key, value in PRODUCTION_SETTINGS.items() if key != "CORS_MODE"},
            SECRET_KEY="load-balancer-test-not-a-secret",
            THROTTLE_RATE_SESSIONS=f"{THROTTLE_LIMIT}/min",
        ) as stack,
        load_balancer(backend_url=stack.url, workdir=directory / "balancer") as balancer_url,
    ):
        yield stack, balancer_url


def test_https_through_the_balancer_is_served_without_a_redirect_loop(balanced):
    _, balancer_url = balanced

    answer = request(balancer_url, "/api/healthz/", source_address=DIRECT_CLIENT)
    validate = request(balancer_url, f"/api/v1/sessions/validate/{ENABLED_ID}", source_address=DIRECT_CLIENT)

    assert answer.status == HTTPStatus.OK
    assert validate.status == HTTPStatus.OK
    assert json.loads(validate.body)["valid"] is True


def test_plain_http_to_nginx_directly_is_redirected_to_https(balanced):
    stack, _ = balanced

    answer = request(stack.url, f"/api/v1/sessions/validate/{ENABLED_ID}", source_address=DIRECT_CLIENT)

    assert answer.status == HTTPStatus.MOVED_PERMANENTLY
    assert answer.required("Location").startswith("https://")


def test_clients_behind_one_balancer_get_their_own_throttle_buckets(balanced):
    _, balancer_url = balanced
    path = f"/api/v1/sessions/validate/{ENABLED_ID}"

    first_client = [request(balancer_url, path, source_address=CLIENT_A).status for _ in range(THROTTLE_LIMIT + 1)]
    second_client = request(balancer_url, path, source_address=CLIENT_B).status

    assert first_client == [HTTPStatus.OK] * THROTTLE_LIMIT + [HTTPStatus.TOO_MANY_REQUESTS]
    assert second_client == HTTPStatus.OK
