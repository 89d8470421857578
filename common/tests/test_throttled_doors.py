"""Every public door that answers whether a session exists shares the session rate (THROTTLE_RATE_SESSIONS)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import responses
from rest_framework.test import APIClient

from common.throttles import ResilientScopedRateThrottle

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

SESSION_ID = "11111111-1111-4111-8111-111111111111"


@pytest.fixture
def rate(monkeypatch):
    def set_rate(value: str) -> None:
        monkeypatch.setitem(ResilientScopedRateThrottle.THROTTLE_RATES, "sessions", value)

    return set_rate


def test_batch_validate_counts_each_id(rate):
    rate("10/min")
    api = APIClient(REMOTE_ADDR="203.0.113.40")
    ids = [SESSION_ID] * 4

    statuses = [
        api.post("/api/v1/sessions/validate", {"session_ids": ids}, format="json").status_code for _ in range(3)
    ]

    # 4 + 4 ids fit in 10; the third batch would make 12.
    assert statuses == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]


def test_a_batch_of_100_ids_uses_up_a_rate_of_100(rate):
    rate("100/min")
    api = APIClient(REMOTE_ADDR="203.0.113.41")

    first = api.post("/api/v1/sessions/validate", {"session_ids": [SESSION_ID] * 100}, format="json")
    after = api.get(f"/api/v1/sessions/validate/{SESSION_ID}")

    assert first.status_code == HTTPStatus.OK
    assert after.status_code == HTTPStatus.TOO_MANY_REQUESTS


@responses.activate
def test_the_services_proxy_is_throttled(rate, settings):
    rate("2/min")
    settings.MAIN_API_URL = "http://pixora.test"
    responses.get(f"http://pixora.test/api/session/{SESSION_ID}/services", json={"services": []})
    api = APIClient(REMOTE_ADDR="203.0.113.42")

    statuses = [api.get(f"/api/v1/remote-services/{SESSION_ID}").status_code for _ in range(3)]

    assert statuses == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]


def test_the_page_is_throttled_with_a_page_of_its_own(rate, client):
    rate("2/min")
    url = f"/api/v1/sessions/{SESSION_ID}/interface"

    answers = [client.get(url, REMOTE_ADDR="203.0.113.43") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]
    throttled = answers[-1]
    assert int(throttled["Retry-After"]) >= 1
    assert throttled["Content-Type"].startswith("text/html")
    assert "Too many requests" in throttled.content.decode()
    assert "Spring wedding" not in throttled.content.decode()
