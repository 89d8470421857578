"""Celery tasks of face search: thin wrappers that call services.py and decide what to queue next.

Queues (CELERY_TASK_ROUTES): `search` for customers' selfies, `index` for everything else, so indexing a
large session never delays a search. Every task is acknowledged late and safe to run twice (CELERY_TASK_ACKS_LATE).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from http import HTTPStatus
from uuid import UUID

from celery import shared_task
from celery.app.task import Task
from celery.signals import worker_process_init
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from face_search_app import services
from face_search_app.engine import face_models
from face_search_app.models import FaceSearchRequest, IndexedPhoto
from face_search_app.pixora import PhotoListInvalid
from proxy_app.errors import PixoraError

logger = logging.getLogger(__name__)

# Retry waits grow 2, 4, 8 … seconds up to this.
MAX_BACKOFF_SECONDS = 300
STALLED_AFTER = timedelta(minutes=5)


@worker_process_init.connect
def _models_load(**kwargs: object) -> None:
    """Each worker process loads dlib's models as it starts, not during its first customer's search."""
    face_models()


def backoff_seconds(attempt: int) -> int:
    doubled: int = 2 ** max(attempt, 1)
    return min(doubled, MAX_BACKOFF_SECONDS)


def database_retry(task: Task[..., object], exc: DatabaseError) -> Exception:
    """The task queued again with backoff: a database that is down or locked for a moment loses no work."""
    logger.warning("database_error task=%s retry=%s error=%s", task.name, task.request.retries, exc)
    return task.retry(countdown=backoff_seconds(task.request.retries + 1), max_retries=None)


@shared_task(bind=True, max_retries=None)
def face_search_run_task(self: Task[[str], None], request_id: str) -> None:
    """Run a customer's search; while the session is being indexed, look again every few seconds."""
    try:
        finished = services.face_search_run(request_id=UUID(request_id))
    except DatabaseError as exc:
        raise database_retry(self, exc) from exc
    if finished:
        return
    request = FaceSearchRequest.objects.filter(id=request_id).only("created_at").first()
    if request is None:
        return
    waited = (timezone.now() - request.created_at).total_seconds()
    if waited > settings.FACE_SEARCH_INDEX_WAIT_SECONDS:
        services.face_search_expire(request_id=UUID(request_id), error=services.INDEX_FAILED)
        return
    raise self.retry(countdown=settings.FACE_SEARCH_POLL_SECONDS)


@shared_task(bind=True, max_retries=None)
def session_index_refresh_task(self: Task[[str], None], session_id: str) -> None:
    """List the session's photos in Pixora and queue the ones that need indexing, in small batches."""
    try:
        photo_batches = services.session_index_refresh(session_id=UUID(session_id), request_id=self.request.id or "")
    except DatabaseError as exc:
        raise database_retry(self, exc) from exc
    except PixoraError as exc:
        passing = exc.counts_against_pixora or exc.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        if passing and self.request.retries < settings.FACE_INDEX_MAX_ATTEMPTS:
            raise self.retry(countdown=backoff_seconds(self.request.retries + 1)) from exc
        services.session_index_fail(session_id=UUID(session_id), error=exc.message)
        searches_resume(session_id=UUID(session_id))
        return
    except PhotoListInvalid as exc:
        services.session_index_fail(session_id=UUID(session_id), error=str(exc))
        searches_resume(session_id=UUID(session_id))
        return
    for batch in photo_batches:
        photos_index_task.delay(batch)
    if not photo_batches:
        searches_resume(session_id=UUID(session_id))


@shared_task(bind=True, max_retries=None)
def photos_index_task(self: Task[[list[int]], None], photo_pks: list[int]) -> None:
    """Index a few photos; the ones that failed in a way that may pass are tried again later, on their own."""
    try:
        _photos_index(photo_pks, request_id=self.request.id or "")
    except DatabaseError as exc:
        # The photos already done are skipped when the batch runs again.
        raise database_retry(self, exc) from exc


def _photos_index(photo_pks: list[int], *, request_id: str) -> None:
    retry: list[int] = []
    for photo_pk in photo_pks:
        try:
            finished = services.photo_index(photo_pk=photo_pk, request_id=request_id)
        except DatabaseError:
            raise
        except Exception:  # One photo's unforeseen failure must not hold up the others.
            logger.exception("photo_index_error photo_pk=%s", photo_pk)
            photo = IndexedPhoto.objects.filter(pk=photo_pk).first()
            finished = photo is None or services.photo_failure_record(photo, "unexpected error", retryable=True)
        if not finished:
            retry.append(photo_pk)
    for photo_pk in retry:
        attempts = IndexedPhoto.objects.filter(pk=photo_pk).values_list("attempts", flat=True).first() or 1
        photos_index_task.apply_async(([photo_pk],), countdown=backoff_seconds(attempts))
    for session_id in set(IndexedPhoto.objects.filter(pk__in=photo_pks).values_list("session_id", flat=True)):
        if services.session_index_complete_if_done(session_id=session_id):
            searches_resume(session_id=session_id)


def searches_resume(*, session_id: UUID) -> None:
    """Queue at once the searches that wait for this session's index (they would otherwise look again soon)."""
    for request_id in FaceSearchRequest.objects.filter(
        session_id=session_id, status=FaceSearchRequest.Status.INDEXING
    ).values_list("id", flat=True):
        face_search_run_task.delay(str(request_id))


@shared_task
def sessions_sweep_task() -> None:
    """Index the FacePass-enabled sessions Pixora changed since the last sweep."""
    for session_id in services.sessions_sweep():
        services.session_index_request(session_id=session_id)


@shared_task
def biometric_data_purge_task() -> None:
    """Delete selfies, embeddings, results and faces past their retention."""
    deleted = services.biometric_data_purge()
    logger.info("biometric_data_purged %s", " ".join(f"{kind}={count}" for kind, count in deleted.items()))


@shared_task
def stalled_work_resume_task() -> None:
    """Queue again the work whose messages may have been lost (a broker that restarted keeps no queue)."""
    searches, sessions = services.stalled_work_find(older_than=STALLED_AFTER)
    for request_id in searches:
        face_search_run_task.delay(str(request_id))
    for session_id in sessions:
        services.session_index_request(session_id=session_id)
