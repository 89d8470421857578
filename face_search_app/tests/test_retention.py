"""Biometric data goes when its retention ends: selfies and embeddings, results, a disabled session's faces."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from face_search_app import services
from face_search_app.models import Face, FaceSearchRequest, IndexedPhoto, Selfie, SessionIndex, embedding_to_bytes
from face_search_app.tests.conftest import ENABLED_ID

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])
SESSION = uuid.UUID(ENABLED_ID)


def make_search(*, status: str = "queued", created_at=None, with_selfie: bool = True) -> FaceSearchRequest:
    request = FaceSearchRequest.objects.create(
        session_id=SESSION,
        status=status,
        content_type="image/jpeg",
        size=3,
        consent_at=timezone.now(),
        embedding=embedding_to_bytes([0.1] * 128) if status in {"queued", "indexing"} else None,
        created_at=created_at or timezone.now(),
    )
    if with_selfie:
        Selfie.objects.create(request=request, data=b"abc")
    return request


def make_indexed_session(session_id: uuid.UUID = SESSION, *, disabled_at=None) -> None:
    SessionIndex.objects.create(session_id=session_id, status="ready", photos_total=1, disabled_at=disabled_at)
    photo = IndexedPhoto.objects.create(session_id=session_id, photo_id="p1", url="http://x.test/1", status="indexed")
    Face.objects.create(
        photo=photo, session_id=session_id, top=0, right=1, bottom=1, left=0, embedding=embedding_to_bytes([0] * 128)
    )


def test_unfinished_search_past_retention_fails_and_loses_its_selfie_and_embedding(settings):
    settings.FACE_SEARCH_RETENTION_MINUTES = 60
    old = make_search(created_at=timezone.now() - timedelta(minutes=61))
    recent = make_search(created_at=timezone.now() - timedelta(minutes=59))

    deleted = services.biometric_data_purge()

    old.refresh_from_db()
    recent.refresh_from_db()
    assert deleted["searches_expired"] == 1
    assert old.status == "failed"
    assert old.embedding is None
    assert old.selfie_deleted_at is not None
    assert not Selfie.objects.filter(request=old).exists()
    assert recent.status == "queued"
    assert recent.embedding is not None
    assert Selfie.objects.filter(request=recent).exists()


def test_results_are_deleted_after_their_retention(settings):
    settings.FACE_SEARCH_RESULT_RETENTION_HOURS = 24
    old = make_search(status="done", created_at=timezone.now() - timedelta(hours=25), with_selfie=False)
    kept = make_search(status="done", created_at=timezone.now() - timedelta(hours=23), with_selfie=False)

    services.biometric_data_purge()

    assert not FaceSearchRequest.objects.filter(id=old.id).exists()
    assert FaceSearchRequest.objects.filter(id=kept.id).exists()


def test_faces_of_a_disabled_session_are_dropped_after_the_index_retention(settings):
    settings.FACE_INDEX_RETENTION_DAYS = 30
    expired, recent, enabled = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    make_indexed_session(expired, disabled_at=timezone.now() - timedelta(days=31))
    make_indexed_session(recent, disabled_at=timezone.now() - timedelta(days=29))
    make_indexed_session(enabled)

    assert services.biometric_data_purge()["sessions_dropped"] == 1

    assert set(Face.objects.values_list("session_id", flat=True)) == {recent, enabled}
    assert not SessionIndex.objects.filter(session_id=expired).exists()
    assert not IndexedPhoto.objects.filter(session_id=expired).exists()


def test_forget_command_drops_a_session_at_once(capsys):
    make_indexed_session()
    waiting = make_search(status="indexing")
    other = uuid.uuid4()
    make_indexed_session(other)

    call_command("facepass_forget", ENABLED_ID)

    assert "1 face(s) deleted" in capsys.readouterr().out
    assert set(Face.objects.values_list("session_id", flat=True)) == {other}
    assert not SessionIndex.objects.filter(session_id=SESSION).exists()
    waiting.refresh_from_db()
    assert waiting.status == "failed"
    assert waiting.embedding is None
    assert not Selfie.objects.filter(request=waiting).exists()


@pytest.mark.parametrize("command", ["facepass_forget", "facepass_index"])
def test_commands_refuse_what_is_not_a_session_id(command):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a session id"):
        call_command(command, "not-a-uuid")


def test_index_command_queues_the_session(queued_tasks, capsys):
    call_command("facepass_index", ENABLED_ID)

    assert [(task.queue, task.name) for task in queued_tasks()] == [("index", "session_index_refresh_task")]
    assert "queued" in capsys.readouterr().out


def test_lost_work_is_found_again_and_work_in_progress_is_not():
    old = timezone.now() - timedelta(minutes=10)
    never_started = make_search(status="queued", created_at=old)
    recent = make_search(status="queued")
    waiting_for_ready_index = make_search(status="indexing", created_at=old)
    stalled_session, busy_session = uuid.uuid4(), uuid.uuid4()
    SessionIndex.objects.create(session_id=SESSION, status="ready")
    SessionIndex.objects.create(session_id=stalled_session, status="indexing", requested_at=old)
    SessionIndex.objects.create(session_id=busy_session, status="indexing", requested_at=old)
    IndexedPhoto.objects.create(
        session_id=busy_session, photo_id="p", url="http://x.test/p", status="indexed", indexed_at=timezone.now()
    )
    waiting_for_busy_index = FaceSearchRequest.objects.create(
        session_id=busy_session, status="indexing", content_type="image/jpeg", size=1, consent_at=old, created_at=old
    )

    searches, sessions = services.stalled_work_find(older_than=timedelta(minutes=5))

    assert set(searches) == {never_started.id, waiting_for_ready_index.id}
    assert recent.id not in searches and waiting_for_busy_index.id not in searches
    assert sessions == [stalled_session]
