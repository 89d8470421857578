"""The deployed shape the soak breaks, all of it its own: nginx → granian → FacePass, two PostgreSQL clusters
(Pixora's and FacePass's), a redis-server and the stand-in Pixora API, each on a free port of 127.0.0.1.

Every server is started by the shared harness in testing/; this module only wires them together.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import requests
from psycopg2.extras import execute_values

from sessions_app.demo import COLUMNS, session_row
from testing.nginx import nginx_server
from testing.postgres import PostgresCluster, postgres_cluster_missing
from testing.production import production_environment
from testing.redis_server import RedisServer, redis_server_missing
from testing.services import THROTTLES_UNREACHED, ServerProcess, app_server_process, manage
from testing.upstream import PixoraApiStub

SESSIONS = 3000
FACEPASS_ENABLED_SHARE = 0.8
FACEPASS_DATABASE = "facepass"
POD_NAME = "soak-0"
SERVER_WORKERS = 2
SERVER_THREADS = 8


@dataclass
class SoakStack:
    base_url: str
    pixora_cluster: PostgresCluster
    facepass_cluster: PostgresCluster
    pixora_database: str
    redis: RedisServer
    upstream: PixoraApiStub
    app_server: ServerProcess
    enabled_ids: list[str] = field(default_factory=list)
    disabled_ids: list[str] = field(default_factory=list)
    token: str = ""


def soak_stack_missing() -> str | None:
    """Why the soak can't run here, or None (nginx is checked when it starts)."""
    return postgres_cluster_missing() or redis_server_missing()


def pixora_rows(count: int) -> list[dict[str, Any]]:
    return [session_row(facepass_enabled=random.random() < FACEPASS_ENABLED_SHARE) for _ in range(count)]


def _pixora_database(cluster: PostgresCluster, rows: list[dict[str, Any]]) -> tuple[str, str]:
    """Pixora's schema with these sessions on the cluster; its name and URL."""
    from testing.pixora import PostgresPixora  # needs Django's apps loaded

    pixora = PostgresPixora(server_url=cluster.url())
    connection = psycopg2.connect(pixora.url)
    with connection, connection.cursor() as cursor:
        execute_values(
            cursor,
            f"INSERT INTO photo_sessions ({', '.join(COLUMNS)}) VALUES %s",  # noqa: S608 (our column names)
            [tuple(json.dumps(row[c]) if c == "settings" and row[c] else row[c] for c in COLUMNS) for row in rows],
        )
    connection.close()
    return pixora.name, pixora.url


@contextmanager
def soak_stack(workdir: Path, log: Callable[[str], None]) -> Iterator[SoakStack]:
    """Everything started, FacePass migrated with an operator signed in; stopped and deleted at the end."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_config.settings_test")
    django.setup()

    with ExitStack() as stack:
        log("starting PostgreSQL (Pixora's and FacePass's clusters), Redis, the Pixora API")
        pixora_cluster = PostgresCluster.create()
        stack.callback(pixora_cluster.destroy)
        facepass_cluster = PostgresCluster.create()
        stack.callback(facepass_cluster.destroy)
        rows = pixora_rows(SESSIONS)
        pixora_name, pixora_url = _pixora_database(pixora_cluster, rows)
        facepass_cluster.execute(f"CREATE DATABASE {FACEPASS_DATABASE}")
        redis = RedisServer(workdir / "redis")
        redis.start()
        stack.callback(redis.stop)
        upstream = stack.enter_context(PixoraApiStub())

        env = production_environment(
            workdir,
            DATABASE_URL=facepass_cluster.url(FACEPASS_DATABASE),
            MAIN_APP_DATABASE_URL=pixora_url,
            REDIS_URL=redis.url,
            # Uploads queue their search on the same Redis; no worker runs, so every selfie stays in the database.
            CELERY_BROKER_URL=redis.url,
            MAIN_API_URL=upstream.url,
            # nginx here listens on plain http (no certificate in a soak); TLS is not what is measured.
            SECURE_SSL_REDIRECT="false",
            # One load generator is one client: the soak measures faults, not the enumeration throttle.
            **THROTTLES_UNREACHED,
            # The proxy's cache would hide the upstream's faults.
            PIXORA_SERVICES_CACHE_TTL="0",
            SERVER_WORKERS=str(SERVER_WORKERS),
            SERVER_THREADS=str(SERVER_THREADS),
            SERVER_LOGLEVEL="warning",
            POD_NAME=POD_NAME,
        )
        manage("migrate", "--noinput", env=env)
        password = secrets.token_urlsafe(24)
        manage(
            "createsuperuser",
            "--noinput",
            "--username",
            "soak",
            "--email",
            "soak@example.invalid",
            env={**env, "DJANGO_SUPERUSER_PASSWORD": password},
        )
        manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
        log("starting the app server and nginx")
        app_server = stack.enter_context(app_server_process(env, log_path=workdir / "server.log"))
        base_url = stack.enter_context(
            nginx_server(backend_url=app_server.url, workdir=workdir / "nginx", static_root=Path(env["STATIC_ROOT"]))
        )
        login = requests.post(
            f"{base_url}/api/v1/auth/login", json={"username": "soak", "password": password}, timeout=10
        )
        login.raise_for_status()
        yield SoakStack(
            base_url=base_url,
            pixora_cluster=pixora_cluster,
            facepass_cluster=facepass_cluster,
            pixora_database=pixora_name,
            redis=redis,
            upstream=upstream,
            app_server=app_server,
            enabled_ids=[str(row["id"]) for row in rows if row["facepass_enabled"]],
            disabled_ids=[str(row["id"]) for row in rows if not row["facepass_enabled"]],
            token=login.json()["token"],
        )


def uploads_found(stack: SoakStack, ids: list[str]) -> list[tuple[str, str, bool, bytes | None]]:
    """For each of these face-search requests in FacePass's database: id, status, whether its selfie was
    deleted after use, and the selfie's bytes (None when there is no Selfie row)."""
    if not ids:
        return []
    rows = stack.facepass_cluster.execute(
        "SELECT r.id::text, r.status, r.selfie_deleted_at IS NOT NULL, s.data"
        " FROM face_search_app_facesearchrequest r"
        " LEFT JOIN face_search_app_selfie s ON s.request_id = r.id"
        " WHERE r.id = ANY(%s::uuid[])",
        (ids,),
        database=FACEPASS_DATABASE,
    )
    return [(id_, status, deleted, bytes(data) if data is not None else None) for id_, status, deleted, data in rows]
