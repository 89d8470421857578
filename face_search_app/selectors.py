"""Reading face-search state: a request as its customer sees it, and a session's faces as one matrix."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import numpy as np

from face_search_app.errors import FaceSearchNotFound
from face_search_app.matching import SessionFaces
from face_search_app.models import (
    EMBEDDING_DIMENSIONS,
    EMBEDDING_DTYPE,
    Face,
    FaceSearchRequest,
    IndexedPhoto,
    SessionIndex,
)

# Sessions whose face matrix a worker process keeps in memory (100,000 faces take 51 MB).
SESSION_FACES_CACHE_SIZE = 8


@dataclass(frozen=True)
class MatchedPhoto:
    photo_id: str
    url: str
    thumbnail_url: str | None


def face_search_get(*, session_id: UUID, request_id: UUID) -> dict[str, Any]:
    """A search as its customer sees it; 404 for an unknown id or one of another session."""
    request = (
        FaceSearchRequest.objects.filter(id=request_id, session_id=session_id)
        .only("id", "status", "matches", "error")
        .first()
    )
    if request is None:
        raise FaceSearchNotFound()
    return {
        "id": request.id,
        "status": request.status,
        "progress": session_index_progress(session_id=session_id)
        if request.status == FaceSearchRequest.Status.INDEXING
        else None,
        "matches": request.matches if request.status == FaceSearchRequest.Status.DONE else [],
        "error": request.error or None,
    }


def session_index_progress(*, session_id: UUID) -> dict[str, int] | None:
    """How many of the session's photos are indexed (or failed for good) out of how many; None before listing."""
    index = SessionIndex.objects.filter(session_id=session_id).only("photos_total", "status").first()
    if index is None or index.status == SessionIndex.Status.PENDING:
        return None
    done = IndexedPhoto.objects.filter(session_id=session_id).exclude(status=IndexedPhoto.Status.PENDING).count()
    return {"done": min(done, index.photos_total), "total": index.photos_total}


_faces_cache: OrderedDict[tuple[UUID, int], tuple[SessionFaces, list[MatchedPhoto]]] = OrderedDict()
_faces_cache_lock = threading.Lock()


def session_faces(*, session_id: UUID, generation: int) -> tuple[SessionFaces, list[MatchedPhoto]]:
    """The session's faces and their photos, read once per index generation and kept in this process."""
    key = (session_id, generation)
    with _faces_cache_lock:
        if key in _faces_cache:
            _faces_cache.move_to_end(key)
            return _faces_cache[key]
    loaded = _session_faces_load(session_id)
    with _faces_cache_lock:
        _faces_cache[key] = loaded
        while len(_faces_cache) > SESSION_FACES_CACHE_SIZE:
            _faces_cache.popitem(last=False)
    return loaded


def _session_faces_load(session_id: UUID) -> tuple[SessionFaces, list[MatchedPhoto]]:
    photos: list[MatchedPhoto] = []
    photo_rows: dict[int, int] = {}
    for pk, photo_id, url, thumbnail_url in IndexedPhoto.objects.filter(
        session_id=session_id, status=IndexedPhoto.Status.INDEXED
    ).values_list("pk", "photo_id", "url", "thumbnail_url"):
        photo_rows[pk] = len(photos)
        photos.append(MatchedPhoto(photo_id=photo_id, url=url, thumbnail_url=thumbnail_url))
    rows = [
        (photo_rows[photo_pk], bytes(embedding))
        for photo_pk, embedding in Face.objects.filter(session_id=session_id).values_list("photo_id", "embedding")
        if photo_pk in photo_rows
    ]
    if not rows:
        return SessionFaces.empty(EMBEDDING_DIMENSIONS), photos
    embeddings = np.frombuffer(b"".join(embedding for _, embedding in rows), dtype=EMBEDDING_DTYPE)
    faces = SessionFaces(
        embeddings=embeddings.reshape(len(rows), EMBEDDING_DIMENSIONS).astype(np.float32),
        photo_rows=np.fromiter((row for row, _ in rows), dtype=np.int64, count=len(rows)),
    )
    return faces, photos


def session_faces_cache_clear() -> None:
    with _faces_cache_lock:
        _faces_cache.clear()
