"""Degrade, don't fail, under the app server: Redis down or Pixora's PostgreSQL restarted never turns into a 500.

Each module starts its own redis-server and PostgreSQL cluster on free ports (testing/redis_server.py,
testing/postgres.py), so stopping them disturbs no one else's tests.
"""

from __future__ import annotations

import time
import uuid
from http import HTTPStatus

import pytest
import requests

from testing.pixora import PostgresPixora
from testing.postgres import PostgresCluster, postgres_cluster_missing
from testing.production import production_environment
from testing.redis_server import RedisServer, redis_server_missing
from testing.services import app_server, manage, service_missing

pytestmark = pytest.mark.e2e

SESSION_ID = "11111111-1111-4111-8111-111111111111"
HTTPS = {"X-Forwarded-Proto": "https"}
THROTTLE_LIMIT = 40


def client(address: str) -> dict[str, str]:
    """Headers of a request nginx forwarded for this client (NUM_PROXIES=1 in production)."""
    return {**HTTPS, "X-Forwarded-For": address}


def page_view(base_url: str, address: str) -> list[int]:
    """The session calls the FacePass page makes when a customer opens it."""
    headers = client(address)
    return [
        requests.get(f"{base_url}/api/v1/sessions/validate/{SESSION_ID}", headers=headers, timeout=5).status_code,
        requests.get(f"{base_url}/api/v1/sessions/{SESSION_ID}", headers=headers, timeout=5).status_code,
        requests.get(
            f"{base_url}/api/v1/sessions/{SESSION_ID}/facepass-status", headers=headers, timeout=5
        ).status_code,
    ]


def enumerate_sessions(base_url: str, address: str, count: int) -> list[requests.Response]:
    with requests.Session() as session:
        return [
            session.get(f"{base_url}/api/v1/sessions/validate/{uuid.uuid4()}", headers=client(address), timeout=5)
            for _ in range(count)
        ]


def wait_until(predicate, timeout: float = 15.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    raise TimeoutError("condition not met")


@pytest.fixture(scope="module")
def redis_stack(tmp_path_factory):
    if reason := redis_server_missing():
        service_missing(reason)
    tmp_path = tmp_path_factory.mktemp("degrade-redis")
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    env = production_environment(
        tmp_path,
        PIXORA_DEMO_DATABASE_PATH=str(tmp_path / "pixora.sqlite3"),
        REDIS_URL=redis.url,
        THROTTLE_RATE_SESSIONS=f"{THROTTLE_LIMIT}/min",
        SERVER_WORKERS="2",
    )
    manage("migrate", "--noinput", env=env)
    manage("create_pixora_demo", env=env)
    try:
        with app_server(env, log_path=tmp_path / "server.log") as base_url:
            yield base_url, redis
    finally:
        redis.stop()


def test_enumerator_gets_429_while_page_views_never_do(redis_stack):
    base_url, _ = redis_stack

    page_statuses = [status for _ in range(5) for status in page_view(base_url, "198.51.100.7")]
    answers = enumerate_sessions(base_url, "198.51.100.9", THROTTLE_LIMIT + 10)
    statuses = [answer.status_code for answer in answers]

    assert set(page_statuses) == {HTTPStatus.OK}
    # Counted in Redis, so the limit holds across both server workers.
    assert statuses[:THROTTLE_LIMIT] == [HTTPStatus.OK] * THROTTLE_LIMIT
    assert set(statuses[THROTTLE_LIMIT:]) == {HTTPStatus.TOO_MANY_REQUESTS}
    throttled = answers[-1]
    assert int(throttled.headers["Retry-After"]) > 0
    assert "throttled" in throttled.json()["detail"]
    assert set(page_view(base_url, "198.51.100.7")) == {HTTPStatus.OK}


def test_redis_down_is_served_from_the_databases_and_reported(redis_stack):
    base_url, redis = redis_stack
    redis.stop()
    try:
        statuses = page_view(base_url, "198.51.100.20")
        unknown = requests.get(f"{base_url}/api/v1/sessions/validate/{uuid.uuid4()}", headers=HTTPS, timeout=5)
        # The throttle fails open: an outage of the cache is not an outage of the API.
        enumerated = {
            answer.status_code for answer in enumerate_sessions(base_url, "198.51.100.21", THROTTLE_LIMIT + 5)
        }
        health = requests.get(f"{base_url}/api/healthz/", timeout=5)
    finally:
        redis.start()

    assert set(statuses) == {HTTPStatus.OK}
    assert unknown.status_code == HTTPStatus.OK
    assert unknown.json() == {"valid": False, "session": None, "error": "Session not found"}
    assert enumerated == {HTTPStatus.OK}
    assert health.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert health.json()["cache"] == "unavailable"
    assert health.json()["database"] == health.json()["pixora_database"] == "connected"
    wait_until(lambda: requests.get(f"{base_url}/api/healthz/", timeout=5).status_code == HTTPStatus.OK)


@pytest.fixture(scope="module")
def postgres_stack(tmp_path_factory):
    if reason := postgres_cluster_missing():
        service_missing(reason)
    tmp_path = tmp_path_factory.mktemp("degrade-postgres")
    cluster = PostgresCluster.create()
    try:
        pixora = PostgresPixora(server_url=cluster.url())
        env = production_environment(
            tmp_path, MAIN_APP_DATABASE_URL=pixora.url, SESSION_CACHE_TTL="0", SERVER_WORKERS="1"
        )
        manage("migrate", "--noinput", env=env)
        with app_server(env, log_path=tmp_path / "server.log") as base_url:
            yield base_url, cluster, pixora
    finally:
        cluster.destroy()


def validate_statuses(base_url: str, count: int) -> list[int]:
    with requests.Session() as session:
        return [
            session.get(f"{base_url}/api/v1/sessions/validate/{SESSION_ID}", headers=HTTPS, timeout=10).status_code
            for _ in range(count)
        ]


def test_killed_database_connections_are_replaced_without_an_error(postgres_stack):
    base_url, cluster, pixora = postgres_stack
    assert set(validate_statuses(base_url, 5)) == {HTTPStatus.OK}

    killed = cluster.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        (pixora.name,),
    )
    statuses = validate_statuses(base_url, 10)

    assert killed, "FacePass held no persistent connection to kill"
    assert set(statuses) == {HTTPStatus.OK}


def test_pixora_database_restart_is_a_clean_503_at_worst_then_recovers(postgres_stack):
    base_url, cluster, _ = postgres_stack
    assert set(validate_statuses(base_url, 3)) == {HTTPStatus.OK}

    cluster.stop()
    try:
        down = requests.get(f"{base_url}/api/v1/sessions/validate/{SESSION_ID}", headers=HTTPS, timeout=10)
        health = requests.get(f"{base_url}/api/healthz/", timeout=10)
    finally:
        cluster.start()
    after = validate_statuses(base_url, 5)

    assert down.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert down.json() == {"detail": "The database is unavailable. Try again shortly."}
    assert health.json()["pixora_database"] == "unavailable"
    assert set(after) <= {HTTPStatus.OK, HTTPStatus.SERVICE_UNAVAILABLE}
    assert after[-1] == HTTPStatus.OK
