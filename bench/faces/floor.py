"""The floor of indexing: the same decode, detection and embedding calls as a worker, in a plain process pool.

No queue, no HTTP, no database: what indexing costs when nothing but dlib runs, with as many processes as the
Celery worker has (its default concurrency, the number of CPUs).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier

import numpy as np

from bench.processes import cpu_seconds, process_tree

PHOTO_MAX_SIDE = 1600


@dataclass(frozen=True)
class FloorResult:
    photos: int
    seconds: float
    cpu_seconds: float
    faces: int
    embeddings: np.ndarray


def _worker_init(env: Mapping[str, str], ready: Barrier) -> None:
    """Set up Django (the engine imports FacePass's models) and load dlib's models before any photo is timed."""
    os.environ.update(env)
    import django

    django.setup()
    from face_search_app.engine import face_models

    face_models()
    ready.wait()


def _photo_faces(data: bytes) -> list[bytes]:
    from face_search_app.engine import faces_detect
    from face_search_app.images import image_decode

    return [face.embedding.tobytes() for face in faces_detect(image_decode(data, max_side=PHOTO_MAX_SIDE))]


def _nothing(_: int) -> None:
    return None


def floor_run(photos: list[bytes], *, processes: int, env: Mapping[str, str]) -> FloorResult:
    """Detect and embed every photo in a pool of `processes`, one photo per task as a worker takes them."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes)
    with context.Pool(processes, initializer=_worker_init, initargs=(dict(env), ready)) as pool:
        # A task ends only once every process has loaded its models (the barrier): timing starts warm.
        pool.map(_nothing, range(processes), chunksize=1)
        pids = [pid for pid in process_tree(os.getpid()) if pid != os.getpid()]
        cpu_before = cpu_seconds(pids)
        started = time.perf_counter()
        results = list(pool.imap_unordered(_photo_faces, photos, chunksize=1))
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
    embeddings = [np.frombuffer(face, dtype=np.float32) for faces in results for face in faces]
    matrix = np.vstack(embeddings) if embeddings else np.empty((0, 128), dtype=np.float32)
    return FloorResult(photos=len(photos), seconds=seconds, cpu_seconds=cpu, faces=len(embeddings), embeddings=matrix)
