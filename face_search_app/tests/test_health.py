from __future__ import annotations

from http import HTTPStatus

import pytest
from celery import current_app

from testing.services import free_port

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])


def test_health_reports_the_task_queue(client):
    response = client.get("/api/healthz/")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["task_queue"] == "connected"


def test_a_broker_that_is_down_makes_health_degraded(client, monkeypatch):
    monkeypatch.setattr(current_app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")

    response = client.get("/api/healthz/")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["task_queue"] == "unavailable"
    assert response.json()["status"] == "degraded"
