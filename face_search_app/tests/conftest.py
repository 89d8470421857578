"""Fixtures for face search: tasks published to the in-memory broker, real face models, images."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kombu.transport import memory

from face_search_app.engine import FaceModels, face_models
from face_search_app.selectors import session_faces_cache_clear

ENABLED_ID = "11111111-1111-4111-8111-111111111111"
DISABLED_ID = "22222222-2222-4222-8222-222222222222"
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"


@dataclass(frozen=True)
class QueuedTask:
    queue: str
    name: str
    args: list[Any]


@pytest.fixture
def queued_tasks() -> Iterator[Callable[[], list[QueuedTask]]]:
    """What was published to the broker (settings_test: kombu's in-memory transport), drained on each call."""
    memory.Channel.queues.clear()

    def drain() -> list[QueuedTask]:
        tasks = []
        for queue_name, queue in memory.Channel.queues.items():
            while not queue.empty():
                message = queue.get()
                body = message["body"]
                if message["properties"].get("body_encoding") == "base64":
                    body = base64.b64decode(body)
                args = json.loads(body)[0]
                tasks.append(
                    QueuedTask(queue=queue_name, name=message["headers"]["task"].rsplit(".", 1)[-1], args=args)
                )
        return tasks

    yield drain
    memory.Channel.queues.clear()


@pytest.fixture(scope="session")
def models() -> FaceModels:
    """dlib's models, loaded once for the whole run (about half a second)."""
    return face_models()


@pytest.fixture(autouse=True)
def _fresh_faces_cache() -> Iterator[None]:
    session_faces_cache_clear()
    yield
    session_faces_cache_clear()
