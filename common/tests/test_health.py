from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from testing.pixora import SqlitePixora, use_pixora_database

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])


def test_health_reports_every_dependency_connected():
    response = APIClient().get("/api/healthz/")

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "healthy"
    assert body["database"] == body["pixora_database"] == body["cache"] == "connected"
    assert body["version"]
    assert body["timestamp"]


@pytest.mark.django_db(transaction=True, databases=["default", "pixora"])
def test_health_is_degraded_when_pixora_database_is_down(pixora, tmp_path):
    gone = SqlitePixora(tmp_path / "gone.sqlite3")
    use_pixora_database(gone)
    gone.path.unlink()
    try:
        response = APIClient().get("/api/healthz/")
    finally:
        use_pixora_database(pixora)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["status"] == "degraded"
    assert response.json()["pixora_database"] == "unavailable"
    assert response.json()["database"] == "connected"


def test_health_is_degraded_when_the_cache_is_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    try:
        response = APIClient().get("/api/healthz/")
    finally:
        caches["default"].close()

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["cache"] == "unavailable"
    assert response.json()["pixora_database"] == "connected"


@pytest.mark.django_db(transaction=True, databases=["default", "pixora"])
def test_liveness_answers_whatever_the_dependencies(client, pixora_down):
    response = client.get("/api/livez/")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "alive"}


def test_readiness_is_ready_with_pixoras_database(client):
    response = client.get("/api/readyz/")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ready", "pixora_database": "connected"}


@pytest.mark.django_db(transaction=True, databases=["default", "pixora"])
def test_readiness_fails_when_pixoras_database_is_down(client, pixora_down):
    response = client.get("/api/readyz/")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "not_ready", "pixora_database": "unavailable"}


def test_readiness_ignores_a_cache_that_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    assert client.get("/api/healthz/").status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert client.get("/api/readyz/").status_code == HTTPStatus.OK
