"""Fixtures shared by every app's tests: Pixora databases (SQLite or real PostgreSQL), Redis, a clean cache."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.cache import cache, caches
from django.test.utils import setup_databases, teardown_databases
from kombu.transport import memory

from common.cache import local_clear
from common.throttles import window_counts_clear
from sso_app.throttles import sign_in_local_counts_clear
from testing.images import image_bytes
from testing.pixora import PixoraTestDatabase, PostgresPixora, SqlitePixora, use_pixora_database
from testing.postgres import postgres_server_available
from testing.services import postgres_test_url, redis_test_url, service_missing

_active_pixora: list[PixoraTestDatabase] = []


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment: None, django_db_blocker, tmp_path_factory) -> Iterator[None]:
    """Create only FacePass's own test database; Pixora's is never created, migrated or flushed by Django."""
    sqlite_pixora = SqlitePixora(tmp_path_factory.mktemp("pixora") / "pixora.sqlite3")
    use_pixora_database(sqlite_pixora)
    _active_pixora.append(sqlite_pixora)
    with django_db_blocker.unblock():
        old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"})  # type: ignore[arg-type]  # stub says Mapping; Django takes a set of names
    yield
    with django_db_blocker.unblock():
        teardown_databases(old_config, verbosity=0)


@pytest.fixture(scope="session")
def postgres_pixora_database(django_db_setup: None) -> Iterator[PostgresPixora]:
    """A real PostgreSQL database with Pixora's schema and demo rows, for the whole run."""
    url = postgres_test_url()
    if reason := postgres_server_available(url):
        service_missing(reason)
    database = PostgresPixora(server_url=url)
    yield database
    database.drop()


@pytest.fixture(scope="module")
def pixora_on_postgres(postgres_pixora_database: PostgresPixora) -> Iterator[PostgresPixora]:
    """Point the `pixora` alias at PostgreSQL for one test module, then back."""
    previous = _active_pixora[-1]
    use_pixora_database(postgres_pixora_database)
    _active_pixora.append(postgres_pixora_database)
    yield postgres_pixora_database
    _active_pixora.pop()
    use_pixora_database(previous)


@pytest.fixture
def pixora(django_db_setup: None) -> PixoraTestDatabase:
    """The Pixora database the `pixora` alias points at now, for inserting rows as Pixora would."""
    return _active_pixora[-1]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    local_clear()
    window_counts_clear()
    sign_in_local_counts_clear()
    yield
    cache.clear()
    local_clear()
    window_counts_clear()
    sign_in_local_counts_clear()


@pytest.fixture
def pixora_down(pixora: PixoraTestDatabase, tmp_path: Path) -> Iterator[None]:
    """Point the `pixora` alias at a database file that no longer exists (as when Pixora's server is down)."""
    missing = SqlitePixora(tmp_path / "gone.sqlite3")
    use_pixora_database(missing)
    missing.path.unlink()
    try:
        yield
    finally:
        use_pixora_database(pixora)


@pytest.fixture
def jpeg() -> bytes:
    return image_bytes("JPEG")


@pytest.fixture
def png() -> bytes:
    return image_bytes("PNG")


def redis_cache(location: str) -> dict[str, dict[str, object]]:
    return {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"facepass-test-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def real_redis(settings):
    url = redis_test_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        service_missing(f"no Redis server at {url}: {exc}")
    settings.CACHES = redis_cache(url)
    yield url
    caches["default"].clear()
    caches["default"].close()


@pytest.fixture
def redis_down(settings):
    settings.CACHES = redis_cache("redis://127.0.0.1:1/0")
    yield
    caches["default"].close()


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
