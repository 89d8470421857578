from __future__ import annotations

import uuid
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sessions_app.demo import DEMO_SESSIONS
from testing.pixora import SqlitePixora, use_pixora_database

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

ENABLED_ID = str(DEMO_SESSIONS[0]["id"])
DISABLED_ID = str(DEMO_SESSIONS[1]["id"])
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"
SESSION_KEYS = {
    "id",
    "name",
    "description",
    "status",
    "facepass_enabled",
    "studio_id",
    "photographer_id",
    "service_package_id",
    "scheduled_at",
    "completed_at",
    "created_at",
    "updated_at",
    "settings",
}


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def pixora_queries() -> CaptureQueriesContext:
    return CaptureQueriesContext(connections["pixora"])


def test_validate_accepts_enabled_session(api):
    response = api.get(f"/api/v1/sessions/validate/{ENABLED_ID}")

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["valid"] is True
    assert body["error"] is None
    assert body["session"]["id"] == ENABLED_ID
    assert set(body["session"]) == SESSION_KEYS


def test_validate_refuses_disabled_session(api):
    body = api.get(f"/api/v1/sessions/validate/{DISABLED_ID}").json()

    assert body == {"valid": False, "session": body["session"], "error": "FacePass is not enabled"}
    assert body["session"]["id"] == DISABLED_ID


def test_validate_reports_unknown_session(api):
    response = api.get(f"/api/v1/sessions/validate/{UNKNOWN_ID}")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"valid": False, "session": None, "error": "Session not found"}


def test_validate_accepts_upper_case_uuid(api):
    body = api.get(f"/api/v1/sessions/validate/{ENABLED_ID.upper()}").json()

    assert body["valid"] is True
    assert body["session"]["id"] == ENABLED_ID


def test_validation_is_cached_per_session(api, settings):
    settings.SESSION_CACHE_TTL = 60
    api.get(f"/api/v1/sessions/validate/{ENABLED_ID}")

    with pixora_queries() as queries:
        response = api.get(f"/api/v1/sessions/validate/{ENABLED_ID}")

    assert response.json()["valid"] is True
    assert len(queries) == 0


def test_validation_cache_can_be_turned_off(api, settings):
    settings.SESSION_CACHE_TTL = 0
    api.get(f"/api/v1/sessions/validate/{ENABLED_ID}")

    with pixora_queries() as queries:
        api.get(f"/api/v1/sessions/validate/{ENABLED_ID}")

    assert len(queries) == 1


def test_detail_shows_every_column_as_stored(api, pixora):
    row = pixora.insert(
        name='Ünïcødé 名前 🎉 "quoted" <tag>',
        description=None,
        status="completed",
        settings={"nested": {"list": [1, 2.5, None, "x"]}},
        scheduled_at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC),
        service_package_id=uuid.uuid4(),
    )

    response = api.get(f"/api/v1/sessions/{row['id']}")

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert set(body) == SESSION_KEYS
    assert body["name"] == row["name"]
    assert body["description"] is None
    assert body["settings"] == row["settings"]
    assert body["service_package_id"] == str(row["service_package_id"])
    assert datetime.fromisoformat(body["scheduled_at"]) == row["scheduled_at"]
    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None


def test_detail_of_unknown_session_is_404(api):
    response = api.get(f"/api/v1/sessions/{UNKNOWN_ID}")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "Session not found"}


def test_facepass_status(api):
    response = api.get(f"/api/v1/sessions/{DISABLED_ID}/facepass-status")

    assert response.json() == {"session_id": DISABLED_ID, "facepass_enabled": False, "status": "scheduled"}


def test_facepass_status_of_unknown_session_is_404(api):
    assert api.get(f"/api/v1/sessions/{UNKNOWN_ID}/facepass-status").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-a-uuid",
        "1234",
        "11111111-1111-4111-8111-11111111111",
        "11111111-1111-4111-8111-1111111111111",
        "111111111111411181111111111111111",
        "{11111111-1111-4111-8111-111111111111}",
        "urn:uuid:11111111-1111-4111-8111-111111111111",
        "11111111-1111-4111-8111-11111111111g",
        "x" * 5000,
        "' OR 1=1 --",
        "%00",
        "11111111-1111-4111-8111-111111111111%0A",
        "..",
        "%2e%2e",
        "ünïcødé",
    ],
)
@pytest.mark.parametrize(
    "template", ["/api/v1/sessions/validate/{}", "/api/v1/sessions/{}", "/api/v1/sessions/{}/facepass-status"]
)
def test_non_uuid_ids_are_400_without_a_query(api, bad_id, template):
    with pixora_queries() as queries:
        response = api.get(template.format(bad_id))

    assert response.status_code in {HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND}
    assert "detail" in response.json()
    assert len(queries) == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/sessions/validate/../x", "/api/v1/sessions/a/b/c", "/api/v1/sessions/%2F%2F/x"]
)
def test_ids_with_slashes_are_a_json_404_without_a_query(api, path):
    with pixora_queries() as queries:
        response = api.get(path)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "Not found"}
    assert len(queries) == 0


def test_plain_non_uuid_is_a_clear_400(api):
    response = api.get("/api/v1/sessions/validate/not-a-uuid")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "UUID" in response.json()["detail"]


def test_batch_validate_answers_each_id_with_one_query(api, settings):
    settings.SESSION_CACHE_TTL = 0
    ids = [ENABLED_ID, DISABLED_ID, UNKNOWN_ID]

    with pixora_queries() as queries:
        response = api.post("/api/v1/sessions/validate", {"session_ids": ids}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "results": {
            ENABLED_ID: {"valid": True, "error": None},
            DISABLED_ID: {"valid": False, "error": "FacePass is not enabled"},
            UNKNOWN_ID: {"valid": False, "error": "Session not found"},
        }
    }
    assert len(queries) == 1


def test_batch_validate_of_100_ids_is_one_query(api, pixora, settings):
    settings.SESSION_CACHE_TTL = 0
    ids = [str(pixora.insert()["id"]) for _ in range(60)] + [str(uuid.uuid4()) for _ in range(40)]

    with pixora_queries() as queries:
        body = api.post("/api/v1/sessions/validate", {"session_ids": ids}, format="json").json()

    assert list(body["results"]) == ids
    assert sum(result["valid"] for result in body["results"].values()) == 60
    assert len(queries) == 1


def test_batch_validate_uses_the_cache_for_known_ids(api, settings):
    settings.SESSION_CACHE_TTL = 60
    api.get(f"/api/v1/sessions/validate/{ENABLED_ID}")

    with pixora_queries() as queries:
        body = api.post("/api/v1/sessions/validate", {"session_ids": [ENABLED_ID, DISABLED_ID]}, format="json").json()

    assert body["results"][ENABLED_ID]["valid"] is True
    assert len(queries) == 1
    assert "IN" in queries[0]["sql"]


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"session_ids": []}, "at least one"),
        ({"session_ids": [str(uuid.uuid4()) for _ in range(101)]}, "at most 100"),
        ({"session_ids": ENABLED_ID}, "list"),
        ({"session_ids": [ENABLED_ID, "nope"]}, "UUID"),
        ({"session_ids": [ENABLED_ID, 42]}, "UUID"),
        ({"session_ids": [None]}, "null"),
        ({}, "required"),
        ([ENABLED_ID], "dictionary"),
    ],
)
def test_batch_validate_rejects_bad_bodies(api, payload, problem):
    with pixora_queries() as queries:
        response = api.post("/api/v1/sessions/validate", payload, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert problem in response.content.decode()
    assert len(queries) == 0


@pytest.mark.parametrize("body", [b"not json", b"{", b"\xff\xfe", b""])
def test_batch_validate_rejects_non_json(api, body):
    response = api.post("/api/v1/sessions/validate", body, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "detail" in response.json() or "session_ids" in response.json()


@pytest.mark.django_db(transaction=True, databases=["default", "pixora"])
def test_pixora_unreachable_is_a_json_503(api, pixora, tmp_path):
    missing = SqlitePixora(tmp_path / "gone.sqlite3")
    use_pixora_database(missing)
    missing.path.unlink()
    try:
        response = api.get(f"/api/v1/sessions/validate/{UNKNOWN_ID}")
    finally:
        use_pixora_database(pixora)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["detail"] == "The database is unavailable. Try again shortly."
    assert "Traceback" not in response.content.decode()


def test_request_id_is_returned(api):
    response = api.get(f"/api/v1/sessions/validate/{ENABLED_ID}", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"

    generated = api.get(f"/api/v1/sessions/validate/{ENABLED_ID}", HTTP_X_REQUEST_ID="bad id\r\n")
    assert len(generated["X-Request-ID"]) == 32


def test_schema_and_docs_are_served(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert schema.status_code == HTTPStatus.OK
    assert "/api/v1/sessions/validate/{session_id}" in schema.json()["paths"]
    assert api.get("/api/docs/").status_code == HTTPStatus.OK
