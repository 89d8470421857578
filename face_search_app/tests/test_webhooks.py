from __future__ import annotations

import json
import time
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from face_search_app.models import SessionIndex
from face_search_app.tests.conftest import ENABLED_ID
from face_search_app.webhooks import webhook_signature

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

SECRET = "test-webhook-secret-not-real"
URL = "/api/v1/webhooks/pixora"


@pytest.fixture(autouse=True)
def _secret(settings) -> None:
    settings.PIXORA_WEBHOOK_SECRET = SECRET


def send(body: bytes, *, timestamp: str | None = None, signature: str | None = None, secret: str = SECRET):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    if signature is None:
        signature = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return APIClient().generic(
        "POST",
        URL,
        body,  # type: ignore[arg-type]  # DRF's stub says str; DRF and Django take bytes as they are
        content_type="application/json",
        HTTP_X_PIXORA_TIMESTAMP=timestamp,
        HTTP_X_PIXORA_SIGNATURE=signature,
    )


def event(name: str = "session.photos_changed", session_id: str = ENABLED_ID) -> bytes:
    return json.dumps({"event": name, "session_id": session_id}).encode()


@pytest.mark.parametrize("name", ["session.photos_changed", "session.updated"])
def test_signed_event_is_accepted_and_queues_indexing(queued_tasks, name):
    response = send(event(name))

    assert response.status_code == HTTPStatus.ACCEPTED
    assert [(task.queue, task.name, task.args) for task in queued_tasks()] == [
        ("index", "session_index_refresh_task", [ENABLED_ID])
    ]
    assert SessionIndex.objects.filter(session_id=ENABLED_ID, requested_at__isnull=False).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"signature": "sha256=" + "0" * 64},
        {"secret": "another-secret"},
        {"signature": ""},
        {"signature": "md5=abc"},
        {"timestamp": str(int(time.time()) - 400)},
        {"timestamp": str(int(time.time()) + 400)},
        {"timestamp": "soon"},
        {"timestamp": ""},
    ],
    ids=["wrong-digest", "wrong-secret", "empty", "other-scheme", "old", "future", "not-a-number", "no-timestamp"],
)
def test_bad_signature_or_timestamp_is_401_and_queues_nothing(queued_tasks, change):
    response = send(event(), **change)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "detail" in response.json()
    assert queued_tasks() == []
    assert not SessionIndex.objects.exists()


def test_signature_covers_the_body(queued_tasks):
    timestamp = str(int(time.time()))
    signature = webhook_signature(secret=SECRET, timestamp=timestamp, body=event())

    response = send(event(session_id="33333333-3333-4333-8333-333333333333"), timestamp=timestamp, signature=signature)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert queued_tasks() == []


def test_missing_headers_are_401(queued_tasks):
    response = APIClient().post(URL, event(), content_type="application/json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert queued_tasks() == []


@pytest.mark.parametrize(
    "body",
    [b"not json", event(name="session.deleted"), event(session_id="nope"), b"[]", b'{"event": "session.updated"}'],
    ids=["not-json", "unknown-event", "bad-session-id", "array", "no-session"],
)
def test_signed_but_malformed_event_is_400(queued_tasks, body):
    response = send(body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert queued_tasks() == []


def test_unconfigured_secret_is_503(settings, queued_tasks):
    settings.PIXORA_WEBHOOK_SECRET = ""

    response = send(event(), secret="anything")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert queued_tasks() == []
