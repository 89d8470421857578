"""Face search as deployed: the app server and real Celery worker processes on Redis, FacePass's tables on PostgreSQL,
Pixora's photos served over HTTP by a stand-in API, real photographs of faces."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
import redis

from sessions_app.demo import DEMO_SESSIONS, session_row
from testing.face_stack import FaceStack, face_search_stack
from testing.faces import LabelledPhoto, face_image, jpeg_bytes, session_photo_set
from testing.upstream import StubPhoto
from testing.workers import celery_worker, worker_kill

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

ENABLED_ID = "11111111-1111-4111-8111-111111111111"
LARGE_SESSION_ID = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[FaceStack]:
    large_session = session_row(id=uuid.UUID(LARGE_SESSION_ID), name="Large session")
    with face_search_stack(
        tmp_path_factory.mktemp("face-e2e"),
        sessions=[*DEMO_SESSIONS, large_session],
        PIXORA_PHOTO_READ_TIMEOUT="2",
        # A killed worker's messages come back within seconds, not minutes.
        CELERY_VISIBILITY_TIMEOUT="8",
        CELERY_RESTORE_INTERVAL_SECONDS="1",
        FACE_SEARCH_POLL_SECONDS="0.5",
        SERVER_WORKERS="1",
        SERVER_THREADS="4",
    ) as stack:
        yield stack


def follow_search(stack: FaceStack, request_id: str, *, timeout: float = 120.0) -> list[dict[str, Any]]:
    """Every answer of the status endpoint until the search is done or failed, as the page polls it."""
    answers: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = stack.search_status(ENABLED_ID, request_id)
        assert response.status_code == HTTPStatus.OK, response.text
        answers.append(response.json())
        if answers[-1]["status"] in {"done", "failed"}:
            return answers
        time.sleep(0.2)
    raise AssertionError(f"search {request_id} not finished within {timeout} s: {answers[-3:]}")


def photo_ids_with(photos: list[LabelledPhoto], person: str) -> set[str]:
    return {photo.id for photo in photos if person in photo.people}


def test_a_selfie_finds_the_customers_photos_through_a_real_worker(stack):
    photos = session_photo_set()
    stack.pixora_api.set_photos(ENABLED_ID, [StubPhoto(photo.id, photo.data) for photo in photos])

    with celery_worker(stack.env, log_path=stack.directory / "worker.log"):
        accepted = stack.upload_selfie(ENABLED_ID, jpeg_bytes(face_image("obama")))
        assert accepted.status_code == HTTPStatus.ACCEPTED, accepted.text
        answers = follow_search(stack, accepted.json()["id"])

        second = stack.upload_selfie(ENABLED_ID, jpeg_bytes(face_image("biden")))
        biden_answers = follow_search(stack, second.json()["id"])

    final = answers[-1]
    assert final["status"] == "done", final
    assert final["error"] is None
    assert {match["photo_id"] for match in final["matches"]} == photo_ids_with(photos, "obama")
    progress = [answer["progress"] for answer in answers if answer["status"] == "indexing" and answer["progress"]]
    assert progress, "the first selfie of a session shows indexing progress"
    assert all(p["total"] == len(photos) and 0 <= p["done"] <= p["total"] for p in progress)
    assert biden_answers[-1]["status"] == "done"
    assert {match["photo_id"] for match in biden_answers[-1]["matches"]} == photo_ids_with(photos, "biden")
    assert all(answer["status"] != "indexing" for answer in biden_answers)
    # Each selfie and its embedding are gone once its search ended.
    assert stack.query(
        "SELECT count(*) FROM face_search_app_selfie UNION ALL "
        "SELECT count(*) FROM face_search_app_facesearchrequest WHERE embedding IS NOT NULL"
    ) == [(0,), (0,)]


def index_state(stack: FaceStack, session_id: str) -> tuple[str | None, int]:
    rows = stack.query(
        "SELECT i.status, (SELECT count(*) FROM face_search_app_indexedphoto p "
        "WHERE p.session_id = i.session_id AND p.status = 'indexed') "
        "FROM face_search_app_sessionindex i WHERE i.session_id = %s",
        (session_id,),
    )
    return rows[0] if rows else (None, 0)


def wait_for(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_a_worker_killed_mid_index_loses_nothing_and_duplicates_nothing(stack):
    photos = [photo for photo in session_photo_set() if photo.people] * 2
    stub_photos = [StubPhoto(f"{n:02d}-{photo.id}", photo.data) for n, photo in enumerate(photos)]
    stack.pixora_api.set_photos(LARGE_SESSION_ID, stub_photos)

    with celery_worker(stack.env, log_path=stack.directory / "killed-worker.log", concurrency=1) as worker:
        assert stack.webhook(LARGE_SESSION_ID).status_code == HTTPStatus.ACCEPTED
        wait_for(lambda: index_state(stack, LARGE_SESSION_ID)[1] >= 3, timeout=60, what="some photos indexed")
        worker_kill(worker)
    status, indexed = index_state(stack, LARGE_SESSION_ID)
    assert status == "indexing" and indexed < len(photos), "the worker was killed before the index was complete"

    with celery_worker(stack.env, log_path=stack.directory / "second-worker.log"):
        wait_for(lambda: index_state(stack, LARGE_SESSION_ID)[0] == "ready", timeout=120, what="index ready")

    faces_per_photo = dict(
        stack.query(
            "SELECT p.photo_id, count(f.id) FROM face_search_app_indexedphoto p "
            "LEFT JOIN face_search_app_face f ON f.photo_id = p.id WHERE p.session_id = %s "
            "AND p.status = 'indexed' GROUP BY p.photo_id",
            (LARGE_SESSION_ID,),
        )
    )
    assert faces_per_photo == {stub.id: len(photo.people) for stub, photo in zip(stub_photos, photos, strict=True)}


def test_webhook_with_a_bad_signature_queues_nothing(stack):
    queue = redis.Redis.from_url(stack.broker.url)
    before = queue.llen("index")

    response = stack.webhook(ENABLED_ID, event="session.updated", secret="wrong")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert queue.llen("index") == before


def test_broker_down_refuses_the_upload_and_keeps_nothing(stack):
    (requests_before,) = stack.query("SELECT count(*) FROM face_search_app_facesearchrequest")[0]
    stack.broker.stop()
    try:
        started = time.monotonic()
        refused = stack.upload_selfie(ENABLED_ID, jpeg_bytes(face_image("obama2")))
        elapsed = time.monotonic() - started
    finally:
        stack.broker.start()

    assert refused.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "nothing was kept" in refused.json()["detail"]
    assert elapsed < 10
    assert stack.query("SELECT count(*) FROM face_search_app_facesearchrequest")[0] == (requests_before,)
    assert stack.query("SELECT count(*) FROM face_search_app_selfie")[0] == (0,)
    assert stack.upload_selfie(ENABLED_ID, jpeg_bytes(face_image("obama2"))).status_code == HTTPStatus.ACCEPTED
