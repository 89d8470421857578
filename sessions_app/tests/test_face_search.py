from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from rest_framework.test import APIClient

from sessions_app.images import image_content_type
from sessions_app.models import FaceSearchRequest
from sessions_app.services import face_search_request_create
from sessions_app.tests.conftest import image_bytes

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

ENABLED_ID = "11111111-1111-4111-8111-111111111111"
DISABLED_ID = "22222222-2222-4222-8222-222222222222"
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def upload(api: APIClient, data: bytes | None, *, session_id: str = ENABLED_ID, **kwargs):
    name = kwargs.pop("name", "selfie.jpg")
    content_type = kwargs.pop("content_type", "image/jpeg")
    body = {} if data is None else {"image": SimpleUploadedFile(name, data, content_type=content_type)}
    return api.post(f"/api/v1/sessions/{session_id}/face-search", body, format="multipart", **kwargs)


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


@pytest.mark.parametrize(
    ("fixture", "content_type", "extension"), [("jpeg", "image/jpeg", ".jpg"), ("png", "image/png", ".png")]
)
def test_upload_is_stored_and_queued(api, media_root, request, fixture, content_type, extension):
    data = request.getfixturevalue(fixture)

    response = upload(api, data, name="../../etc/passwd.exe", content_type="text/plain")

    assert response.status_code == HTTPStatus.ACCEPTED
    body = response.json()
    assert body["status"] == "queued"
    face_search = FaceSearchRequest.objects.get(id=body["id"])
    assert str(face_search.session_id) == ENABLED_ID
    assert face_search.status == FaceSearchRequest.Status.QUEUED
    assert face_search.content_type == content_type
    assert face_search.size == len(data)
    created = face_search.created_at
    assert face_search.image.name == f"face-search/{created:%Y}/{created:%m}/{face_search.id}{extension}"
    assert (media_root / face_search.image.name).read_bytes() == data
    assert stored_files(media_root) == [media_root / face_search.image.name]


def test_stored_names_are_chosen_by_the_server(api, media_root, jpeg):
    first = upload(api, jpeg, name="same.jpg").json()["id"]
    second = upload(api, jpeg, name="same.jpg").json()["id"]

    names = {face_search.image.name for face_search in FaceSearchRequest.objects.all()}
    assert len(names) == 2
    assert all("same" not in name for name in names)
    assert {first, second} == {str(face_search.id) for face_search in FaceSearchRequest.objects.all()}


@pytest.mark.parametrize(
    ("session_id", "status", "detail"),
    [
        ("not-a-uuid", HTTPStatus.BAD_REQUEST, "Invalid session id"),
        (UNKNOWN_ID, HTTPStatus.NOT_FOUND, "Session not found"),
        (DISABLED_ID, HTTPStatus.FORBIDDEN, "FacePass is not enabled"),
    ],
)
def test_upload_needs_a_facepass_session(api, media_root, jpeg, session_id, status, detail):
    response = upload(api, jpeg, session_id=session_id)

    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert FaceSearchRequest.objects.count() == 0
    assert stored_files(media_root) == []


GIF = image_bytes("GIF")


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
def test_bad_uploads_are_clear_4xx_and_store_nothing(api, media_root, data, name, status, detail):
    response = upload(api, data, name=name)

    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert FaceSearchRequest.objects.count() == 0
    assert stored_files(media_root) == []


def test_image_over_the_limit_is_413(api, media_root, settings, jpeg):
    settings.FACE_SEARCH_MAX_IMAGE_BYTES = len(jpeg) - 1

    response = upload(api, jpeg)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "too large" in response.json()["detail"]
    assert FaceSearchRequest.objects.count() == 0
    assert stored_files(media_root) == []


def test_image_at_the_limit_is_accepted(api, media_root, settings, jpeg):
    settings.FACE_SEARCH_MAX_IMAGE_BYTES = len(jpeg)

    assert upload(api, jpeg).status_code == HTTPStatus.ACCEPTED


def test_oversized_body_is_refused_from_its_content_length_before_it_is_read(api, media_root, settings, jpeg):
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
    assert "too large" in response.json()["detail"]
    assert read == []
    assert FaceSearchRequest.objects.count() == 0


def test_body_that_is_not_multipart_is_415(api, media_root):
    response = api.post(f"/api/v1/sessions/{ENABLED_ID}/face-search", {"image": "x"}, format="json")

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert FaceSearchRequest.objects.count() == 0


@pytest.mark.django_db(transaction=True, databases=["default", "pixora"])
def test_pixora_down_is_503_and_stores_nothing(api, media_root, jpeg, pixora_down):
    response = upload(api, jpeg)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["detail"] == "The database is unavailable. Try again shortly."
    assert FaceSearchRequest.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_failed_insert_leaves_no_orphan_file(media_root, jpeg, monkeypatch):
    def failing_save(self, *args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(FaceSearchRequest, "save", failing_save)
    image = SimpleUploadedFile("selfie.jpg", jpeg)

    with pytest.raises(IntegrityError):
        face_search_request_create(session_id=uuid.UUID(ENABLED_ID), image=image)

    assert stored_files(media_root) == []


def test_endpoint_needs_no_csrf_token(media_root, jpeg):
    api = APIClient(enforce_csrf_checks=True)

    assert upload(api, jpeg).status_code == HTTPStatus.ACCEPTED


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("PNG"), "image/png"),
        (image_bytes("GIF"), None),
        (image_bytes("BMP"), None),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, None),
        (b"", None),
    ],
    ids=["jpeg", "png", "gif", "bmp", "png-magic-only", "empty"],
)
def test_image_content_type_judges_the_bytes(data, expected):
    assert image_content_type(data) == expected


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_images_above_the_pixel_limit_are_refused(monkeypatch, image_format):
    data = image_bytes(image_format, size=(200, 100))
    monkeypatch.setattr("sessions_app.images.MAX_IMAGE_PIXELS", 200 * 100 - 1)

    assert image_content_type(data) is None


def test_truncated_jpeg_is_refused():
    data = image_bytes("JPEG", size=(400, 300))

    assert image_content_type(data) == "image/jpeg"
    assert image_content_type(data[: len(data) // 2]) is None
