from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from common.throttles import ResilientScopedRateThrottle
from face_search_app.models import FaceSearchRequest, IndexedPhoto, Selfie, SessionIndex
from face_search_app.tests.conftest import DISABLED_ID, ENABLED_ID, UNKNOWN_ID
from testing.images import image_bytes

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

GIF = image_bytes("GIF")


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def upload(api: APIClient, data: bytes | None, *, session_id: str = ENABLED_ID, consent: str | None = "true", **kwargs):
    name = kwargs.pop("name", "selfie.jpg")
    content_type = kwargs.pop("content_type", "image/jpeg")
    body: dict[str, object] = (
        {} if data is None else {"image": SimpleUploadedFile(name, data, content_type=content_type)}
    )
    if consent is not None:
        body["consent"] = consent
    return api.post(f"/api/v1/sessions/{session_id}/face-search", body, format="multipart", **kwargs)


def nothing_kept() -> bool:
    return FaceSearchRequest.objects.count() == 0 and Selfie.objects.count() == 0


@pytest.mark.parametrize(("fixture", "content_type"), [("jpeg", "image/jpeg"), ("png", "image/png")])
def test_consented_upload_is_stored_and_queued_for_search(api, queued_tasks, request, fixture, content_type):
    data = request.getfixturevalue(fixture)

    response = upload(api, data, name="../../etc/passwd.exe", content_type="text/plain")

    assert response.status_code == HTTPStatus.ACCEPTED
    body = response.json()
    assert body["status"] == "queued"
    search = FaceSearchRequest.objects.get(id=body["id"])
    assert str(search.session_id) == ENABLED_ID
    assert search.content_type == content_type
    assert search.size == len(data)
    assert search.consent_at is not None
    assert bytes(Selfie.objects.get(request=search).data) == data
    assert [(task.queue, task.name, task.args) for task in queued_tasks()] == [
        ("search", "face_search_run_task", [body["id"]])
    ]


@pytest.mark.parametrize("consent", [None, "", "false", "no", "0"])
def test_upload_without_consent_is_400_and_keeps_nothing(api, queued_tasks, jpeg, consent):
    response = upload(api, jpeg, consent=consent)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "consent" in response.json()["detail"]
    assert nothing_kept()
    assert queued_tasks() == []


@pytest.mark.parametrize(
    ("session_id", "status", "detail"),
    [
        ("not-a-uuid", HTTPStatus.BAD_REQUEST, "Invalid session id"),
        (UNKNOWN_ID, HTTPStatus.NOT_FOUND, "Session not found"),
        (DISABLED_ID, HTTPStatus.FORBIDDEN, "FacePass is not enabled"),
    ],
)
def test_upload_needs_a_facepass_session(api, queued_tasks, jpeg, session_id, status, detail):
    response = upload(api, jpeg, session_id=session_id)

    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert nothing_kept()
    assert queued_tasks() == []


@pytest.mark.parametrize(
    ("data", "name", "status", "detail"),
    [
        (None, "selfie.jpg", HTTPStatus.BAD_REQUEST, "multipart field 'image'"),
        (b"", "selfie.jpg", HTTPStatus.BAD_REQUEST, "empty"),
        (b"<?php echo 'hi'; ?>", "selfie.jpg", HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "JPEG or PNG"),
        (GIF, "selfie.png", HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "JPEG or PNG"),
        (b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20, "selfie.jpg", HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "JPEG"),
        (image_bytes("PNG")[:60], "selfie.png", HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "JPEG or PNG"),
    ],
    ids=["missing", "empty", "php", "gif", "jpeg-magic-garbage", "truncated-png"],
)
def test_bad_uploads_are_clear_4xx_and_keep_nothing(api, queued_tasks, data, name, status, detail):
    response = upload(api, data, name=name)

    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert nothing_kept()
    assert queued_tasks() == []


def test_image_over_the_limit_is_413(api, settings, jpeg):
    settings.FACE_SEARCH_MAX_IMAGE_BYTES = len(jpeg) - 1

    response = upload(api, jpeg)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "too large" in response.json()["detail"]
    assert nothing_kept()


def test_image_at_the_limit_is_accepted(api, settings, jpeg):
    settings.FACE_SEARCH_MAX_IMAGE_BYTES = len(jpeg)

    assert upload(api, jpeg).status_code == HTTPStatus.ACCEPTED


def test_oversized_body_is_refused_from_its_content_length_before_it_is_read(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    read = []

    class Body:
        """A body that records any read: a refusal must not read it."""

        def read(self, *args):
            read.append(args)
            return b""

        readline = read

    response = api.generic(
        "POST",
        f"/api/v1/sessions/{ENABLED_ID}/face-search",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH="50000000",
        **{"wsgi.input": Body()},
    )

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert read == []
    assert nothing_kept()


def test_body_that_is_not_multipart_is_415(api):
    response = api.post(f"/api/v1/sessions/{ENABLED_ID}/face-search", {"image": "x", "consent": True}, format="json")

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert nothing_kept()


@pytest.mark.django_db(transaction=True, databases=["default", "pixora"])
def test_pixora_down_is_503_and_keeps_nothing(api, jpeg, pixora_down):
    response = upload(api, jpeg)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["detail"] == "The database is unavailable. Try again shortly."
    assert nothing_kept()


def test_endpoint_needs_no_csrf_token(jpeg):
    api = APIClient(enforce_csrf_checks=True)

    assert upload(api, jpeg).status_code == HTTPStatus.ACCEPTED


def test_uploads_are_throttled_per_session_across_clients(monkeypatch, jpeg):
    monkeypatch.setitem(ResilientScopedRateThrottle.THROTTLE_RATES, "face_search_session", "3/min")

    statuses = [upload(APIClient(REMOTE_ADDR=f"10.0.0.{n}"), jpeg).status_code for n in range(1, 6)]

    assert statuses == [HTTPStatus.ACCEPTED] * 3 + [HTTPStatus.TOO_MANY_REQUESTS] * 2
    assert FaceSearchRequest.objects.count() == 3


def test_uploads_are_throttled_per_client(monkeypatch, api, jpeg):
    monkeypatch.setitem(ResilientScopedRateThrottle.THROTTLE_RATES, "face_search_client", "2/min")

    statuses = [upload(api, jpeg).status_code for _ in range(3)]

    assert statuses == [HTTPStatus.ACCEPTED, HTTPStatus.ACCEPTED, HTTPStatus.TOO_MANY_REQUESTS]


# --- The search as the customer follows it ---------------------------------------------------------


def search_url(session_id: str, request_id: object) -> str:
    return f"/api/v1/sessions/{session_id}/face-search/{request_id}"


def make_search(**fields) -> FaceSearchRequest:
    defaults = {"session_id": ENABLED_ID, "content_type": "image/jpeg", "size": 10, "consent_at": "2026-12-03T10:00Z"}
    return FaceSearchRequest.objects.create(**{**defaults, **fields})


def test_done_search_shows_its_matches(api):
    matches = [{"photo_id": "p1", "url": "http://pixora.test/p1.jpg", "thumbnail_url": None, "distance": 0.31}]
    search = make_search(status="done", matches=matches)

    response = api.get(search_url(ENABLED_ID, search.id))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "id": str(search.id),
        "status": "done",
        "progress": None,
        "matches": matches,
        "error": None,
    }


def test_indexing_search_shows_progress(api):
    search = make_search(status="indexing")
    SessionIndex.objects.create(session_id=ENABLED_ID, status="indexing", photos_total=3)
    for n, status in enumerate(["indexed", "failed", "pending"]):
        IndexedPhoto.objects.create(session_id=ENABLED_ID, photo_id=f"p{n}", url=f"http://x.test/{n}", status=status)

    body = api.get(search_url(ENABLED_ID, search.id)).json()

    assert body["status"] == "indexing"
    assert body["progress"] == {"done": 2, "total": 3}
    assert body["matches"] == []


def test_failed_search_says_why(api):
    search = make_search(status="failed", error="No face found — try again facing the camera in good light.")

    body = api.get(search_url(ENABLED_ID, search.id)).json()

    assert body["status"] == "failed"
    assert body["error"].startswith("No face found")


@pytest.mark.parametrize("request_id", [uuid.uuid4(), "not-a-uuid", "%2E%2E"])
def test_unknown_search_is_404(api, request_id):
    response = api.get(search_url(ENABLED_ID, request_id))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "Face search not found."}


def test_search_of_another_session_is_404_and_tells_nothing(api):
    other_session = "33333333-3333-4333-8333-333333333333"
    search = make_search(session_id=other_session, status="done", matches=[{"photo_id": "secret"}])

    response = api.get(search_url(ENABLED_ID, search.id))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "secret" not in response.content.decode()
