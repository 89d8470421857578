"""Face search: accepting a selfie, indexing a session's faces, matching, and forgetting biometric data.

Tasks (tasks.py) and views call these functions; each is safe to run twice, since a worker that dies mid-task
has its message delivered again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from common.errors import TaskQueueUnavailable
from common.tasks import task_publish
from face_search_app.engine import DetectedFace, faces_detect
from face_search_app.errors import (
    ConsentMissing,
    ImageEmpty,
    ImageMissing,
    ImageTooLarge,
    ImageUnsupported,
    QueueUnavailable,
)
from face_search_app.images import ImageRejected, image_content_type, image_decode
from face_search_app.matching import photos_nearest
from face_search_app.models import (
    Face,
    FaceSearchRequest,
    IndexedPhoto,
    Selfie,
    SessionIndex,
    SweepState,
    embedding_from_bytes,
    embedding_to_bytes,
)
from face_search_app.pixora import PhotoFetchFailed, PixoraPhoto, photo_download, photos_list
from face_search_app.selectors import session_faces
from sessions_app.models import PhotoSession
from sessions_app.selectors import session_validate
from sessions_app.services import session_require_facepass

logger = logging.getLogger(__name__)

NO_FACE = "No face found — try again facing the camera in good light."
UNREADABLE_SELFIE = "The selfie could not be read — try another photo."
INDEX_FAILED = "The session's photos could not be prepared for searching right now. Try again later."
SEARCH_EXPIRED = "The search took too long and was stopped. Try again."
SESSION_GONE = "FacePass is no longer enabled for this session."
SWEEP_STATE_NAME = "pixora-sessions"


# --- Selfies -------------------------------------------------------------------------------------


def face_search_submit(*, session_id: UUID, image: UploadedFile[bytes] | None, consent: bool) -> FaceSearchRequest:
    """Store a consented selfie and queue its search: accepted work is queued, or nothing is kept (503)."""
    from face_search_app.tasks import face_search_run_task

    request = face_search_request_create(session_id=session_id, image=image, consent=consent)
    try:
        task_publish(face_search_run_task, str(request.id))
    except TaskQueueUnavailable as exc:
        # A 202 now would promise work that nobody will do.
        FaceSearchRequest.objects.filter(id=request.id).delete()
        raise QueueUnavailable() from exc
    return request


def face_search_request_create(
    *, session_id: UUID, image: UploadedFile[bytes] | None, consent: bool
) -> FaceSearchRequest:
    """Store a consented selfie; nothing is kept when any check refuses it."""
    session_require_facepass(session_id=session_id)
    if not consent:
        raise ConsentMissing()
    if image is None:
        raise ImageMissing()
    limit = settings.FACE_SEARCH_MAX_IMAGE_BYTES
    if image.size is not None and image.size > limit:
        raise ImageTooLarge(limit)
    # Read at most one byte past the limit, whatever the declared size says.
    data = image.read(limit + 1)
    if not data:
        raise ImageEmpty()
    if len(data) > limit:
        raise ImageTooLarge(limit)
    content_type = image_content_type(data)
    if content_type is None:
        raise ImageUnsupported()
    with transaction.atomic():
        request = FaceSearchRequest.objects.create(
            session_id=session_id, content_type=content_type, size=len(data), consent_at=timezone.now()
        )
        Selfie.objects.create(request=request, data=data)
    logger.info("face_search_request_created id=%s session_id=%s size=%s", request.id, session_id, request.size)
    return request


def face_search_run(*, request_id: UUID) -> bool:
    """Take a search as far as it can go now; False while it waits for the session's index (call again later)."""
    request = FaceSearchRequest.objects.filter(id=request_id).first()
    if request is None or request.status in FaceSearchRequest.FINISHED:
        return True
    embedding = request.embedding if request.embedding is not None else _selfie_embed(request)
    if embedding is None:
        return True
    index = SessionIndex.objects.filter(session_id=request.session_id).first()
    if (
        index is not None
        and index.disabled_at is not None
        and not session_validate(session_id=index.session_id)["valid"]
    ):
        _search_finish(request, error=SESSION_GONE)
        return True
    if index is None or index.status != SessionIndex.Status.READY or index.disabled_at is not None:
        return _index_wait(request, index)
    FaceSearchRequest.objects.filter(id=request.id).exclude(status__in=FaceSearchRequest.FINISHED).update(
        status=FaceSearchRequest.Status.SEARCHING
    )
    faces, photos = session_faces(session_id=request.session_id, generation=index.generation)
    nearest = photos_nearest(faces, embedding_from_bytes(embedding), threshold=settings.FACE_MATCH_THRESHOLD)
    matches: list[dict[str, object]] = [
        {
            "photo_id": photos[match.photo_row].photo_id,
            "url": photos[match.photo_row].url,
            "thumbnail_url": photos[match.photo_row].thumbnail_url,
            "distance": round(match.distance, 4),
        }
        for match in nearest
    ]
    _search_finish(request, matches=matches)
    return True


def _index_wait(request: FaceSearchRequest, index: SessionIndex | None) -> bool:
    """The search waits for its session's index: asked for once per search; True when it failed instead."""
    requested_for_this_search = (
        index is not None and index.requested_at is not None and index.requested_at >= request.created_at
    )
    if index is not None and requested_for_this_search and index.status == SessionIndex.Status.FAILED:
        _search_finish(request, error=INDEX_FAILED)
        return True
    settled = index is None or index.status != SessionIndex.Status.INDEXING or index.disabled_at is not None
    if settled and not requested_for_this_search:
        # Never indexed, failed before this search came (Pixora may be back), or turned off and on again.
        session_index_request(session_id=request.session_id)
    if request.status != FaceSearchRequest.Status.INDEXING:
        FaceSearchRequest.objects.filter(id=request.id, status=request.status).update(
            status=FaceSearchRequest.Status.INDEXING
        )
    return False


def _selfie_embed(request: FaceSearchRequest) -> bytes | None:
    """Turn the selfie into its embedding and delete the image; None when the search failed instead."""
    selfie = Selfie.objects.filter(request_id=request.id).first()
    if selfie is None:
        _search_finish(request, error=SEARCH_EXPIRED)
        return None
    try:
        image = image_decode(bytes(selfie.data), max_side=settings.FACE_SELFIE_MAX_SIDE)
    except ImageRejected:
        _search_finish(request, error=UNREADABLE_SELFIE)
        return None
    face = selfie_face_choose(faces_detect(image))
    if face is None:
        _search_finish(request, error=NO_FACE)
        return None
    embedding = embedding_to_bytes(face.embedding)
    with transaction.atomic():
        request.embedding = embedding
        request.selfie_deleted_at = timezone.now()
        FaceSearchRequest.objects.filter(id=request.id).update(
            embedding=request.embedding, selfie_deleted_at=request.selfie_deleted_at
        )
        Selfie.objects.filter(request_id=request.id).delete()
    return embedding


def selfie_face_choose(faces: list[DetectedFace]) -> DetectedFace | None:
    """The customer's face in a selfie: the largest one found, since the person holding the camera is closest."""
    return max(faces, key=lambda face: face.area, default=None)


def _search_finish(
    request: FaceSearchRequest, *, matches: list[dict[str, object]] | None = None, error: str = ""
) -> None:
    """End a search: its result stays, its selfie and embedding go."""
    now = timezone.now()
    with transaction.atomic():
        FaceSearchRequest.objects.filter(id=request.id).exclude(status__in=FaceSearchRequest.FINISHED).update(
            status=FaceSearchRequest.Status.FAILED if error else FaceSearchRequest.Status.DONE,
            matches=matches or [],
            error=error,
            embedding=None,
            finished_at=now,
            selfie_deleted_at=request.selfie_deleted_at or now,
        )
        Selfie.objects.filter(request_id=request.id).delete()
    logger.info(
        "face_search_finished id=%s session_id=%s matches=%s error=%s",
        request.id,
        request.session_id,
        len(matches or []),
        error or "-",
    )


def face_search_expire(*, request_id: UUID, error: str = SEARCH_EXPIRED) -> None:
    """Give up on a search that has waited too long (its selfie and embedding are deleted)."""
    request = FaceSearchRequest.objects.filter(id=request_id).first()
    if request is not None:
        _search_finish(request, error=error)


# --- Indexing -------------------------------------------------------------------------------------


def session_index_request(*, session_id: UUID) -> None:
    """Ask for the session's photos to be (re)indexed by a worker of the `index` queue (503 if it can't be queued)."""
    from face_search_app.tasks import session_index_refresh_task

    SessionIndex.objects.get_or_create(session_id=session_id)
    SessionIndex.objects.filter(session_id=session_id).update(requested_at=timezone.now())
    task_publish(session_index_refresh_task, str(session_id))


def session_index_refresh(*, session_id: UUID, request_id: str) -> list[list[int]]:
    """Bring the index in line with Pixora's photo list; the batches of photos that still need indexing.

    New photos are added, photos gone from the list leave the index with their faces, a photo whose URL changed
    is looked at again (its faces are kept if its bytes are the same), failed photos get another chance.
    """
    index, _ = SessionIndex.objects.get_or_create(session_id=session_id)
    validation = session_validate(session_id=session_id)
    if not validation["valid"]:
        if index.disabled_at is None:
            SessionIndex.objects.filter(session_id=session_id).update(disabled_at=timezone.now())
        logger.info("session_index_skipped session_id=%s reason=%s", session_id, validation["error"])
        return []
    photos = photos_list(session_id=session_id, request_id=request_id)
    with transaction.atomic():
        index = SessionIndex.objects.select_for_update().get(session_id=session_id)
        _photos_sync(session_id, photos)
        index.photos_total = len(photos)
        index.disabled_at = None
        index.error = ""
        index.status = SessionIndex.Status.INDEXING
        index.save(update_fields=["photos_total", "disabled_at", "error", "status"])
    pending = list(
        IndexedPhoto.objects.filter(session_id=session_id, status=IndexedPhoto.Status.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )
    session_index_complete_if_done(session_id=session_id)
    return batches(pending, settings.FACE_INDEX_BATCH_SIZE)


def _photos_sync(session_id: UUID, photos: list[PixoraPhoto]) -> None:
    listed = {photo.id: photo for photo in photos}
    known = {photo.photo_id: photo for photo in IndexedPhoto.objects.filter(session_id=session_id)}
    gone = [photo.id for photo_id, photo in known.items() if photo_id not in listed]
    if gone:
        IndexedPhoto.objects.filter(id__in=gone).delete()
    new = [
        IndexedPhoto(session_id=session_id, photo_id=photo.id, url=photo.url, thumbnail_url=photo.thumbnail_url)
        for photo_id, photo in listed.items()
        if photo_id not in known
    ]
    IndexedPhoto.objects.bulk_create(new, ignore_conflicts=True)
    for photo_id, photo in listed.items():
        existing = known.get(photo_id)
        if existing is None:
            continue
        changed_url = existing.url != photo.url
        if (
            changed_url
            or existing.thumbnail_url != photo.thumbnail_url
            or existing.status == IndexedPhoto.Status.FAILED
        ):
            IndexedPhoto.objects.filter(id=existing.id).update(
                url=photo.url,
                thumbnail_url=photo.thumbnail_url,
                status=IndexedPhoto.Status.PENDING
                if changed_url or existing.status == IndexedPhoto.Status.FAILED
                else existing.status,
                attempts=0 if existing.status == IndexedPhoto.Status.FAILED else existing.attempts,
                error="",
            )


def session_index_fail(*, session_id: UUID, error: str) -> None:
    """Pixora's photo list could not be read even after retries: searches waiting on it fail with a reason."""
    SessionIndex.objects.filter(session_id=session_id).update(status=SessionIndex.Status.FAILED, error=error[:1000])
    logger.error("session_index_failed session_id=%s error=%s", session_id, error)


def photo_index(*, photo_pk: int, request_id: str) -> bool:
    """Index one photo: download, decode, detect and embed its faces. False when it should be tried again later.

    A photo that can't be indexed ends FAILED with its reason after FACE_INDEX_MAX_ATTEMPTS tries and
    never holds up the rest of the session.
    """
    photo = IndexedPhoto.objects.filter(pk=photo_pk).first()
    if photo is None or photo.status != IndexedPhoto.Status.PENDING:
        return True
    try:
        data = photo_download(url=photo.url, request_id=request_id)
    except PhotoFetchFailed as exc:
        return photo_failure_record(photo, exc.reason, retryable=exc.retryable)
    digest = hashlib.sha256(data).hexdigest()
    if digest == photo.content_sha256:
        _photo_faces_store(photo, digest, faces=None)
        return True
    try:
        image = image_decode(data, max_side=settings.FACE_PHOTO_MAX_SIDE)
    except ImageRejected as exc:
        return photo_failure_record(photo, str(exc), retryable=False)
    _photo_faces_store(photo, digest, faces=faces_detect(image))
    return True


def _photo_faces_store(photo: IndexedPhoto, digest: str, *, faces: list[DetectedFace] | None) -> None:
    """Replace the photo's faces (None: keep them, the bytes are unchanged) and mark it indexed, once."""
    with transaction.atomic():
        locked = IndexedPhoto.objects.select_for_update().filter(pk=photo.pk).first()
        if locked is None or locked.status != IndexedPhoto.Status.PENDING:
            return
        if faces is not None:
            Face.objects.filter(photo_id=photo.pk).delete()
            Face.objects.bulk_create(
                Face(
                    photo_id=photo.pk,
                    session_id=photo.session_id,
                    top=face.top,
                    right=face.right,
                    bottom=face.bottom,
                    left=face.left,
                    embedding=embedding_to_bytes(face.embedding),
                )
                for face in faces
            )
        IndexedPhoto.objects.filter(pk=photo.pk).update(
            status=IndexedPhoto.Status.INDEXED, content_sha256=digest, indexed_at=timezone.now(), error=""
        )


def photo_failure_record(photo: IndexedPhoto, reason: str, *, retryable: bool) -> bool:
    attempts = photo.attempts + 1
    final = not retryable or attempts >= settings.FACE_INDEX_MAX_ATTEMPTS
    IndexedPhoto.objects.filter(pk=photo.pk, status=IndexedPhoto.Status.PENDING).update(
        attempts=attempts,
        error=reason[:1000],
        status=IndexedPhoto.Status.FAILED if final else IndexedPhoto.Status.PENDING,
    )
    logger.warning(
        "photo_index_failed session_id=%s photo_id=%s attempt=%s final=%s reason=%s",
        photo.session_id,
        photo.photo_id,
        attempts,
        final,
        reason,
    )
    return final


def session_index_complete_if_done(*, session_id: UUID) -> bool:
    """Mark the index ready once no photo is pending; a new generation tells caches the faces changed."""
    if IndexedPhoto.objects.filter(session_id=session_id, status=IndexedPhoto.Status.PENDING).exists():
        return False
    updated = SessionIndex.objects.filter(session_id=session_id, status=SessionIndex.Status.INDEXING).update(
        status=SessionIndex.Status.READY, indexed_at=timezone.now(), generation=F("generation") + 1
    )
    if updated:
        logger.info("session_index_ready session_id=%s", session_id)
    return True


def session_forget(*, session_id: UUID) -> int:
    """Drop every face, photo and selfie FacePass holds for a session at once; the number of faces dropped."""
    with transaction.atomic():
        faces = Face.objects.filter(session_id=session_id).count()
        IndexedPhoto.objects.filter(session_id=session_id).delete()
        SessionIndex.objects.filter(session_id=session_id).delete()
        Selfie.objects.filter(request__session_id=session_id).delete()
        FaceSearchRequest.objects.filter(session_id=session_id).exclude(status__in=FaceSearchRequest.FINISHED).update(
            status=FaceSearchRequest.Status.FAILED, error=SESSION_GONE, finished_at=timezone.now()
        )
        FaceSearchRequest.objects.filter(session_id=session_id).update(embedding=None, selfie_deleted_at=timezone.now())
    logger.info("session_forgotten session_id=%s faces=%s", session_id, faces)
    return faces


# --- Periodic work (Celery beat) ------------------------------------------------------------------


def sessions_sweep(*, limit: int = 500) -> list[UUID]:
    """The FacePass-enabled sessions Pixora changed since the last sweep (read-only, as always), to index.

    Sessions changed to disabled are marked so that their faces are dropped after FACE_INDEX_RETENTION_DAYS.
    """
    state, _ = SweepState.objects.get_or_create(name=SWEEP_STATE_NAME)
    changed = PhotoSession.objects.order_by("updated_at", "id").only("id", "updated_at", "facepass_enabled")
    if state.last_seen is not None:
        changed = changed.filter(
            Q(updated_at__gt=state.last_seen) | Q(updated_at=state.last_seen, id__gt=state.last_id or UUID(int=0))
        )
    sessions = list(changed[:limit])
    enabled = [session.id for session in sessions if session.facepass_enabled]
    disabled = [session.id for session in sessions if not session.facepass_enabled]
    if disabled:
        SessionIndex.objects.filter(session_id__in=disabled, disabled_at__isnull=True).update(
            disabled_at=timezone.now()
        )
    if sessions:
        SweepState.objects.filter(name=SWEEP_STATE_NAME).update(
            last_seen=sessions[-1].updated_at, last_id=sessions[-1].id
        )
    return enabled


def biometric_data_purge() -> dict[str, int]:
    """Delete what the retention rules say must go; what was deleted, by kind."""
    now = timezone.now()
    search_cutoff = now - timedelta(minutes=settings.FACE_SEARCH_RETENTION_MINUTES)
    stale = list(
        FaceSearchRequest.objects.filter(created_at__lt=search_cutoff)
        .exclude(status__in=FaceSearchRequest.FINISHED)
        .values_list("id", flat=True)
    )
    for request_id in stale:
        face_search_expire(request_id=request_id)
    selfies, _ = Selfie.objects.filter(request__created_at__lt=search_cutoff).delete()
    FaceSearchRequest.objects.filter(created_at__lt=search_cutoff).exclude(embedding=None).update(embedding=None)
    results, _ = FaceSearchRequest.objects.filter(
        created_at__lt=now - timedelta(hours=settings.FACE_SEARCH_RESULT_RETENTION_HOURS)
    ).delete()
    index_cutoff = now - timedelta(days=settings.FACE_INDEX_RETENTION_DAYS)
    dropped_sessions = list(
        SessionIndex.objects.filter(disabled_at__lt=index_cutoff).values_list("session_id", flat=True)
    )
    for session_id in dropped_sessions:
        session_forget(session_id=session_id)
    return {
        "searches_expired": len(stale),
        "selfies_deleted": selfies,
        "results_deleted": results,
        "sessions_dropped": len(dropped_sessions),
    }


def stalled_work_find(*, older_than: timedelta) -> tuple[list[UUID], list[UUID]]:
    """Work whose messages may have been lost (a broker that restarted keeps no queue), to queue again.

    Searches never picked up after `older_than`, and searches still waiting for an index that is no longer being
    built (their wake-up was lost); sessions whose indexing has not moved for `older_than`.
    """
    cutoff = timezone.now() - older_than
    index_settled = SessionIndex.objects.filter(
        session_id=OuterRef("session_id"), status__in=[SessionIndex.Status.READY, SessionIndex.Status.FAILED]
    )
    searches = list(
        FaceSearchRequest.objects.filter(
            Q(status=FaceSearchRequest.Status.QUEUED, created_at__lt=cutoff)
            | Q(Exists(index_settled), status=FaceSearchRequest.Status.INDEXING, created_at__lt=cutoff)
        ).values_list("id", flat=True)
    )
    # A session is stalled when nothing of it was indexed lately, not merely when it is large.
    recently_indexed = IndexedPhoto.objects.filter(session_id=OuterRef("session_id"), indexed_at__gte=cutoff)
    sessions = list(
        SessionIndex.objects.filter(status=SessionIndex.Status.INDEXING)
        .filter(Q(requested_at__lt=cutoff) | Q(requested_at__isnull=True))
        .exclude(Exists(recently_indexed))
        .values_list("session_id", flat=True)
    )
    return searches, sessions


def batches(values: Iterable[int], size: int) -> list[list[int]]:
    items = list(values)
    return [items[i : i + size] for i in range(0, len(items), size)]
