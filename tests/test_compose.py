"""docker-compose.local.yml can't run here (no Docker engine), so it is checked for what can go wrong quietly."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import psycopg2.errors
import pytest
import yaml

from sessions_app.demo import COLUMNS, DEMO_SESSIONS
from testing.config import variables_read
from testing.postgres import scratch_database
from testing.services import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.local.yml").read_text())


@pytest.mark.parametrize("service", ["backend", "worker", "beat"])
def test_every_variable_a_facepass_service_sets_is_read_by_the_settings(service):
    environment = set(COMPOSE["services"][service]["environment"])

    assert environment - variables_read() == set()


def test_the_stack_has_every_part():
    assert set(COMPOSE["services"]) == {"backend", "worker", "beat", "facepass-db", "pixora-db", "redis", "nginx"}


def test_workers_share_the_backends_settings_and_take_both_queues():
    services = COMPOSE["services"]

    assert services["worker"]["environment"] == services["backend"]["environment"]
    assert services["beat"]["environment"] == services["backend"]["environment"]
    assert services["backend"]["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:")
    assert "celery -A project_config worker -Q search,index" in services["worker"]["command"]
    assert "celery -A project_config beat" in services["beat"]["command"]


def test_files_the_stack_mounts_exist():
    for service in COMPOSE["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (REPO_ROOT / source).exists(), source


def test_pixora_is_read_through_a_select_only_role_created_by_the_demo_schema():
    url = COMPOSE["services"]["backend"]["environment"]["MAIN_APP_DATABASE_URL"]
    demo_sql = (REPO_ROOT / "deploy" / "pixora" / "demo.sql").read_text()

    assert url.startswith("postgres://facepass_reader@")
    assert "GRANT SELECT ON photo_sessions TO facepass_reader" in demo_sql
    assert "GRANT INSERT" not in demo_sql and "GRANT ALL" not in demo_sql


def test_nginx_uses_the_production_config_unchanged():
    nginx = COMPOSE["services"]["nginx"]

    assert "./deploy/nginx/facepass.conf:/etc/nginx/conf.d/default.conf:ro" in nginx["volumes"]
    assert nginx["network_mode"] == "service:backend"
    assert COMPOSE["services"]["backend"]["environment"]["CORS_MODE"] == "nginx"


@pytest.fixture
def empty_postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server, as the pixora-db container starts."""
    with scratch_database("facepass_test_compose") as url:
        yield url


@pytest.mark.postgres
def test_pixora_init_scripts_give_the_demo_sessions_to_a_select_only_role(empty_postgres_database):
    """What the pixora-db container runs from docker-entrypoint-initdb.d, run for real (then rolled back: the
    role it creates is server-wide)."""
    mounted = COMPOSE["services"]["pixora-db"]["volumes"]
    scripts = sorted(volume.split(":")[:2] for volume in mounted if "docker-entrypoint-initdb.d" in volume)
    connection = psycopg2.connect(empty_postgres_database, connect_timeout=3)
    try:
        with connection.cursor() as cursor:
            for source, _target in sorted(scripts, key=lambda pair: pair[1]):
                cursor.execute((REPO_ROOT / source).read_text())
            cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM photo_sessions ORDER BY id")
            rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
            cursor.execute("SET ROLE facepass_reader")
            cursor.execute("SELECT count(*) FROM photo_sessions")
            count = cursor.fetchone()
            assert count is not None
            (readable,) = count
            cursor.execute("SAVEPOINT write_attempt")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute("UPDATE photo_sessions SET name = 'changed'")
            cursor.execute("ROLLBACK TO SAVEPOINT write_attempt")
    finally:
        connection.rollback()
        connection.close()

    assert rows == sorted(DEMO_SESSIONS, key=lambda row: str(row["id"]))
    assert readable == len(DEMO_SESSIONS)
