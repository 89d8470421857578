"""Indexing and search on real photographs of faces, in this process, against a stand-in Pixora API over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery import current_app
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import timezone
from PIL import Image

from face_search_app import services, tasks
from face_search_app.engine import DetectedFace, faces_detect
from face_search_app.models import Face, FaceSearchRequest, IndexedPhoto, Selfie, SessionIndex
from face_search_app.selectors import face_search_get
from face_search_app.tests.conftest import DISABLED_ID, ENABLED_ID
from testing.faces import LabelledPhoto, beside, face_image, faceless_photo, jpeg_bytes, session_photo_set
from testing.images import image_bytes
from testing.upstream import PixoraApiStub, StubPhoto

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])
SESSION = uuid.UUID(ENABLED_ID)


@pytest.fixture
def pixora_api(settings) -> Iterator[PixoraApiStub]:
    with PixoraApiStub() as stub:
        settings.MAIN_API_URL = stub.url
        settings.PIXORA_PHOTO_HOSTS = ["127.0.0.1"]
        settings.PIXORA_PHOTO_READ_TIMEOUT = 1.0
        settings.FACE_INDEX_MAX_ATTEMPTS = 2
        yield stub


def index_session(session_id: uuid.UUID = SESSION) -> None:
    """What the `index` workers do, here and now: list, then index each photo until none is pending."""
    for batch in services.session_index_refresh(session_id=session_id, request_id="test"):
        for photo_pk in batch:
            while not services.photo_index(photo_pk=photo_pk, request_id="test"):
                pass
        services.session_index_complete_if_done(session_id=session_id)


def submit_selfie(data: bytes, session_id: uuid.UUID = SESSION) -> FaceSearchRequest:
    image = SimpleUploadedFile("selfie.jpg", data)
    return services.face_search_request_create(session_id=session_id, image=image, consent=True)


def search(data: bytes) -> dict[str, Any]:
    request = submit_selfie(data)
    assert services.face_search_run(request_id=request.id)
    return face_search_get(session_id=SESSION, request_id=request.id)


@pytest.fixture
def photo_set(pixora_api) -> list[LabelledPhoto]:
    photos = session_photo_set()
    pixora_api.set_photos(ENABLED_ID, [StubPhoto(photo.id, photo.data) for photo in photos])
    return photos


def test_each_selfie_finds_that_persons_photos_and_no_one_elses(photo_set, models):
    index_session()
    names = ("obama", "obama2", "obama3", "obama_partial_face", "obama_partial_face2", "biden")
    selfies = {name: jpeg_bytes(face_image(name)) for name in names}

    found = {name: search(data) for name, data in selfies.items()}

    for name, result in found.items():
        person = "biden" if name == "biden" else "obama"
        expected = {photo.id for photo in photo_set if person in photo.people}
        assert result["status"] == "done", name
        assert {match["photo_id"] for match in result["matches"]} == expected, name
        distances = [match["distance"] for match in result["matches"]]
        assert distances == sorted(distances)
        assert all(distance <= 0.6 for distance in distances)
    assert SessionIndex.objects.get(session_id=SESSION).status == SessionIndex.Status.READY
    assert Face.objects.filter(session_id=SESSION).count() == sum(len(photo.people) for photo in photo_set)


def test_matches_carry_pixoras_urls(pixora_api, models):
    pixora_api.set_photos(ENABLED_ID, [StubPhoto("portrait", jpeg_bytes(face_image("obama2")))])
    index_session()

    (match,) = search(jpeg_bytes(face_image("obama")))["matches"]

    assert match["photo_id"] == "portrait"
    assert match["url"] == pixora_api.photo_url(ENABLED_ID, "portrait")
    assert match["thumbnail_url"] == pixora_api.thumbnail_url(ENABLED_ID, "portrait")


def test_a_search_waits_for_the_index_and_then_forgets_the_selfie(pixora_api, models):
    pixora_api.set_photos(ENABLED_ID, [StubPhoto("p1", jpeg_bytes(face_image("obama2")))])
    request = submit_selfie(jpeg_bytes(face_image("obama")))

    assert services.face_search_run(request_id=request.id) is False

    request.refresh_from_db()
    assert request.status == FaceSearchRequest.Status.INDEXING
    assert not Selfie.objects.filter(request=request).exists()
    assert request.embedding is not None
    assert SessionIndex.objects.get(session_id=SESSION).requested_at is not None

    index_session()
    assert services.face_search_run(request_id=request.id) is True

    request.refresh_from_db()
    assert request.status == FaceSearchRequest.Status.DONE
    assert [match["photo_id"] for match in request.matches] == ["p1"]
    assert request.embedding is None
    assert request.selfie_deleted_at is not None


def test_a_selfie_without_a_face_fails_with_a_clear_reason(pixora_api, models):
    request = submit_selfie(jpeg_bytes(faceless_photo(1)))

    assert services.face_search_run(request_id=request.id) is True

    request.refresh_from_db()
    assert request.status == FaceSearchRequest.Status.FAILED
    assert request.error == "No face found — try again facing the camera in good light."
    assert not Selfie.objects.filter(request=request).exists()
    assert request.embedding is None


def test_a_selfie_with_two_faces_searches_for_the_larger(pixora_api, models):
    pixora_api.set_photos(
        ENABLED_ID,
        [StubPhoto("obama", jpeg_bytes(face_image("obama2"))), StubPhoto("biden", jpeg_bytes(face_image("biden")))],
    )
    index_session()
    small_biden = face_image("biden").resize((face_image("biden").width // 2, face_image("biden").height // 2))

    result = search(jpeg_bytes(beside(face_image("obama"), small_biden)))

    assert [match["photo_id"] for match in result["matches"]] == ["obama"]


def test_photos_that_fail_are_marked_with_their_reason_and_the_rest_index(pixora_api, settings, models):
    settings.PIXORA_PHOTO_MAX_BYTES = 5 * 1024 * 1024
    good = jpeg_bytes(face_image("obama2"))
    pixora_api.set_photos(
        ENABLED_ID,
        [
            StubPhoto("good", good),
            StubPhoto("hangs", good, fault="hang"),
            StubPhoto("missing", good, fault="404"),
            StubPhoto("html", good, fault="html"),
            StubPhoto("huge", good, fault="huge"),
            StubPhoto("gif", image_bytes("GIF")),
            StubPhoto("empty", jpeg_bytes(faceless_photo(2))),
        ],
    )
    index_session()

    photos = {photo.photo_id: photo for photo in IndexedPhoto.objects.filter(session_id=SESSION)}
    assert {photo_id: photo.status for photo_id, photo in photos.items()} == {
        "good": "indexed",
        "empty": "indexed",
        "hangs": "failed",
        "missing": "failed",
        "html": "failed",
        "huge": "failed",
        "gif": "failed",
    }
    assert "timeout" in photos["hangs"].error
    assert photos["hangs"].attempts == 2
    assert photos["missing"].error == "answered HTTP 404"
    assert photos["missing"].attempts == 1
    assert photos["html"].error == "not a JPEG or PNG image"
    assert photos["huge"].error.startswith("larger than")
    assert photos["gif"].error == "not a JPEG or PNG image"
    assert SessionIndex.objects.get(session_id=SESSION).status == SessionIndex.Status.READY
    assert [match["photo_id"] for match in search(jpeg_bytes(face_image("obama")))["matches"]] == ["good"]


def test_photo_hosts_outside_the_allow_list_are_never_called(pixora_api, settings, models):
    settings.PIXORA_PHOTO_HOSTS = ["photos.pixora.invalid"]
    pixora_api.set_photos(ENABLED_ID, [StubPhoto("p1", jpeg_bytes(face_image("obama")))])

    index_session()

    photo = IndexedPhoto.objects.get(session_id=SESSION)
    assert photo.status == IndexedPhoto.Status.FAILED
    assert "PIXORA_PHOTO_HOSTS" in photo.error
    assert not [path for path in pixora_api.paths if path.startswith("/media/")]


def test_indexing_again_follows_pixoras_list_without_duplicates(pixora_api, models, monkeypatch):
    obama, biden = jpeg_bytes(face_image("obama2")), jpeg_bytes(face_image("biden"))
    pixora_api.set_photos(ENABLED_ID, [StubPhoto("a", obama), StubPhoto("b", biden)])
    index_session()
    faces_before = sorted(Face.objects.values_list("pk", flat=True))

    index_session()
    assert sorted(Face.objects.values_list("pk", flat=True)) == faces_before

    detections: list[int] = []

    def faces_detect_counted(image: Image.Image) -> list[DetectedFace]:
        detections.append(1)
        return faces_detect(image)

    monkeypatch.setattr(services, "faces_detect", faces_detect_counted)
    moved = StubPhoto("a-moved", obama)
    pixora_api.set_photos(ENABLED_ID, [StubPhoto("b", biden), moved, StubPhoto("c", jpeg_bytes(face_image("obama3")))])
    index_session()

    assert sorted(IndexedPhoto.objects.values_list("photo_id", flat=True)) == ["a-moved", "b", "c"]
    assert Face.objects.filter(photo__photo_id="a").count() == 0
    assert Face.objects.count() == 3
    assert len(detections) == 2  # "a-moved" and "c" are new rows; "b" is not looked at again
    assert SessionIndex.objects.get(session_id=SESSION).photos_total == 3


def test_same_bytes_at_a_new_url_are_not_detected_again(pixora_api, models, monkeypatch):
    data = jpeg_bytes(face_image("obama2"))
    pixora_api.set_photos(ENABLED_ID, [StubPhoto("a", data)])
    index_session()
    face_pks = list(Face.objects.values_list("pk", flat=True))
    IndexedPhoto.objects.filter(photo_id="a").update(url=pixora_api.photo_url(ENABLED_ID, "a") + "?v=old")
    monkeypatch.setattr(services, "faces_detect", lambda image: pytest.fail("detected again"))

    index_session()

    photo = IndexedPhoto.objects.get(photo_id="a")
    assert photo.status == IndexedPhoto.Status.INDEXED
    assert photo.url == pixora_api.photo_url(ENABLED_ID, "a")
    assert list(Face.objects.values_list("pk", flat=True)) == face_pks


def test_a_disabled_session_is_not_indexed(pixora_api, models):
    pixora_api.set_photos(DISABLED_ID, [StubPhoto("p1", jpeg_bytes(face_image("obama")))])

    assert services.session_index_refresh(session_id=uuid.UUID(DISABLED_ID), request_id="test") == []

    assert SessionIndex.objects.get(session_id=DISABLED_ID).disabled_at is not None
    assert not IndexedPhoto.objects.exists()
    assert not [path for path in pixora_api.paths if "/photos" in path]


def test_photo_list_is_read_page_by_page(pixora_api, models):
    pixora_api.page_size = 2
    data = jpeg_bytes(faceless_photo(3, size=(320, 240)))
    pixora_api.set_photos(ENABLED_ID, [StubPhoto(f"p{n}", data) for n in range(5)])

    index_session()

    assert IndexedPhoto.objects.filter(status="indexed").count() == 5
    listed = [path for path in pixora_api.paths if "/photos?" in path]
    assert listed == [f"/api/session/{ENABLED_ID}/photos?page={page}" for page in (1, 2, 3)]


def test_a_waiting_search_asks_for_the_index_once(pixora_api, models, queued_tasks):
    request = submit_selfie(jpeg_bytes(face_image("obama")))

    for _ in range(5):
        assert services.face_search_run(request_id=request.id) is False

    assert [task.name for task in queued_tasks()] == ["session_index_refresh_task"]


def test_an_index_that_failed_before_the_search_is_tried_again(pixora_api, models, queued_tasks):
    SessionIndex.objects.create(session_id=SESSION, status="failed", requested_at=timezone.now() - timedelta(hours=1))
    request = submit_selfie(jpeg_bytes(face_image("obama")))

    assert services.face_search_run(request_id=request.id) is False

    assert [task.name for task in queued_tasks()] == ["session_index_refresh_task"]
    services.session_index_fail(session_id=SESSION, error="Pixora said no")
    assert services.face_search_run(request_id=request.id) is True
    request.refresh_from_db()
    assert request.status == FaceSearchRequest.Status.FAILED
    assert request.error == services.INDEX_FAILED
    assert request.embedding is None


def test_a_search_in_a_session_turned_off_meanwhile_fails(pixora_api, models):
    # Accepted while FacePass was on (the upload checks it); Pixora has turned it off since.
    request = FaceSearchRequest.objects.create(
        session_id=DISABLED_ID, content_type="image/jpeg", size=1, consent_at=timezone.now(), embedding=b"\0" * 512
    )
    SessionIndex.objects.create(session_id=DISABLED_ID, status="ready", disabled_at=timezone.now())

    assert services.face_search_run(request_id=request.id) is True

    request.refresh_from_db()
    assert request.status == FaceSearchRequest.Status.FAILED
    assert request.error == services.SESSION_GONE
    assert request.embedding is None


def test_a_batch_that_meets_a_locked_database_runs_again(pixora_api, monkeypatch):
    photo = IndexedPhoto.objects.create(session_id=SESSION, photo_id="p1", url="http://127.0.0.1/p1")
    calls = []

    def locked_once(*, photo_pk: int, request_id: str) -> bool:
        calls.append(photo_pk)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return True

    monkeypatch.setattr(services, "photo_index", locked_once)
    current_app.conf.task_always_eager = True
    try:
        tasks.photos_index_task.apply(args=([photo.pk],)).get()
    finally:
        current_app.conf.task_always_eager = False

    assert calls == [photo.pk, photo.pk]
