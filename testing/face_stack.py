"""Face search as deployed, for end-to-end tests and the bench: one harness, started one way.

    with face_search_stack(tmp_path, sessions=[session_row(...)]) as stack:    # everything but the workers
        stack.pixora_api.set_photos(session_id, [StubPhoto("p1", jpeg)])
        with celery_worker(stack.env, log_path=tmp_path / "worker.log"):    # testing/workers.py
            stack.upload_selfie(session_id, data)                           # as the page does
            stack.webhook(session_id)                                       # as Pixora does

Its own redis-server (the broker; the cache on its database 1), FacePass's tables on a fresh PostgreSQL database,
Pixora's sessions in a SQLite file, the stand-in Pixora API over HTTP (testing/upstream.py), the app server with the
repository's config.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import requests

from sessions_app.demo import DEMO_SESSIONS, demo_database_create
from testing.postgres import new_database, postgres_server_available
from testing.redis_server import RedisServer, redis_server_missing
from testing.services import app_server, base_environment, manage, postgres_test_url, service_missing
from testing.upstream import PixoraApiStub

WEBHOOK_SECRET = "stack-webhook-secret-not-real"  # noqa: S105 (a throwaway secret for local servers)


def pixora_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`X-Pixora-Signature` computed as Pixora does, from the documented scheme (not with FacePass's own code)."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass
class FaceStack:
    url: str
    env: dict[str, str]
    directory: Path
    pixora_api: PixoraApiStub
    broker: RedisServer
    database_url: str

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows from FacePass's database, read outside the app."""
        connection = psycopg2.connect(self.database_url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def upload_selfie(self, session_id: str, data: bytes) -> requests.Response:
        """The page's upload: the selfie with the customer's consent."""
        return requests.post(
            f"{self.url}/api/v1/sessions/{session_id}/face-search",
            files={"image": ("selfie.jpg", data, "image/jpeg")},
            data={"consent": "true"},
            timeout=30,
        )

    def search_status(self, session_id: str, request_id: str) -> requests.Response:
        return requests.get(f"{self.url}/api/v1/sessions/{session_id}/face-search/{request_id}", timeout=30)

    def webhook(
        self, session_id: str, *, event: str = "session.photos_changed", secret: str = WEBHOOK_SECRET
    ) -> requests.Response:
        """Pixora's signed webhook for the session."""
        body = json.dumps({"event": event, "session_id": session_id}).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Pixora-Timestamp": timestamp,
            "X-Pixora-Signature": pixora_signature(secret=secret, timestamp=timestamp, body=body),
        }
        return requests.post(f"{self.url}/api/v1/webhooks/pixora", data=body, headers=headers, timeout=30)


def face_search_stack_missing() -> str | None:
    """Why the stack can't start here, or None."""
    return redis_server_missing() or postgres_server_available(postgres_test_url())


@contextmanager
def face_search_stack(
    directory: Path,
    *,
    sessions: Sequence[dict[str, Any]] = DEMO_SESSIONS,
    postgres_url: str | None = None,
    collectstatic: bool = False,
    **env_overrides: str,
) -> Iterator[FaceStack]:
    """Everything but the Celery workers, with these Pixora sessions; stopped and dropped at the end.

    Skips (fails under REQUIRE_SERVICES=1) when redis-server or PostgreSQL is missing.
    """
    if reason := face_search_stack_missing():
        service_missing(reason)
    directory.mkdir(parents=True, exist_ok=True)
    demo_database_create(directory / "pixora.sqlite3", list(sessions))
    with ExitStack() as stack:
        broker = RedisServer(directory / "redis")
        broker.start()
        stack.callback(broker.stop)
        database_url = stack.enter_context(new_database(postgres_url or postgres_test_url(), "facepass_e2e"))
        pixora_api = stack.enter_context(PixoraApiStub())
        env = base_environment(
            directory,
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=broker.url,
            REDIS_URL=broker.url.rsplit("/", 1)[0] + "/1",
            MAIN_API_URL=pixora_api.url,
            PIXORA_PHOTO_HOSTS="127.0.0.1",
            PIXORA_WEBHOOK_SECRET=WEBHOOK_SECRET,
            **env_overrides,
        )
        manage("migrate", "--noinput", env=env)
        if collectstatic:
            manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
        url = stack.enter_context(app_server(env, log_path=directory / "server.log"))
        yield FaceStack(url, env, directory, pixora_api, broker, database_url)
