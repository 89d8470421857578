"""Run in a Django process (`python -m bench.faces.seed`, DATABASE_URL set): seed an indexed session through the
ORM, or time reading a session's face matrix from the database.

    python -m bench.faces.seed seed SESSION_ID FACES.npz URL_PREFIX   # a ready index of those photos and faces
    python -m bench.faces.seed load SESSION_ID RUNS                   # _session_faces_load, RUNS times

Each prints one JSON line of figures.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Mapping
from uuid import UUID

import django
import numpy as np

BULK_BATCH = 2000


def session_seed(session_id: UUID, faces_file: str, url_prefix: str) -> dict[str, float]:
    """A ready index: `photos` photos, and the faces of the file (an embedding and a photo number each)."""
    from django.db import transaction
    from django.utils import timezone

    from face_search_app.models import Face, IndexedPhoto, SessionIndex, embedding_to_bytes

    data = np.load(faces_file)
    embeddings, face_photos, photo_count = data["embeddings"], data["photos"], int(data["photo_count"])
    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        photos = IndexedPhoto.objects.bulk_create(
            (
                IndexedPhoto(
                    session_id=session_id,
                    photo_id=f"seeded-{number:06d}",
                    url=f"{url_prefix}/seeded-{number:06d}",
                    thumbnail_url=f"{url_prefix}/seeded-{number:06d}?thumbnail",
                    status=IndexedPhoto.Status.INDEXED,
                    content_sha256=hashlib.sha256(f"{session_id}-{number}".encode()).hexdigest(),
                    indexed_at=now,
                )
                for number in range(photo_count)
            ),
            batch_size=BULK_BATCH,
        )
        Face.objects.bulk_create(
            (
                Face(
                    photo_id=photos[int(photo)].pk,
                    session_id=session_id,
                    top=100,
                    right=300,
                    bottom=300,
                    left=100,
                    embedding=embedding_to_bytes(embedding),
                )
                for embedding, photo in zip(embeddings, face_photos, strict=True)
            ),
            batch_size=BULK_BATCH,
        )
        SessionIndex.objects.update_or_create(
            session_id=session_id,
            defaults={
                "status": SessionIndex.Status.READY,
                "generation": 1,
                "photos_total": photo_count,
                "indexed_at": now,
                "requested_at": now,
            },
        )
    return {"photos": photo_count, "faces": len(embeddings), "seconds": round(time.perf_counter() - started, 3)}


def faces_load_time(session_id: UUID, runs: int) -> dict[str, object]:
    """How long reading the session's faces into one matrix takes (what a worker does once per index generation)."""
    from django.db import connection

    from face_search_app.selectors import _session_faces_load

    timings = []
    faces = photos = 0
    connection.ensure_connection()
    for _ in range(runs):
        started = time.perf_counter()
        matrix, matched = _session_faces_load(session_id)
        timings.append((time.perf_counter() - started) * 1000)
        faces, photos = len(matrix.embeddings), len(matched)
    return {"faces": faces, "photos": photos, "runs_ms": [round(t, 2) for t in timings]}


def main(argv: list[str]) -> int:
    django.setup()
    command, session_id = argv[0], UUID(argv[1])
    result: Mapping[str, object]
    if command == "seed":
        result = session_seed(session_id, argv[2], argv[3])
    elif command == "load":
        result = faces_load_time(session_id, int(argv[2]))
    else:
        raise SystemExit(f"unknown command {command!r}: seed or load")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
