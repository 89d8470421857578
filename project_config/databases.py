"""Database settings helpers: Pixora's database is opened read-only whatever the URL says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

SQLITE_ENGINE = "django.db.backends.sqlite3"
POSTGRES_ENGINES = {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}


def read_only_database(url: str, *, conn_max_age: int = 60, statement_timeout_ms: int = 5000) -> dict[str, Any]:
    """Django settings for a database URL, opened so that the connection itself refuses writes."""
    config: dict[str, Any] = environ.Env.db_url_config(url)
    engine = config["ENGINE"]
    if engine == SQLITE_ENGINE:
        # mode=ro makes SQLite itself refuse every write; the file must exist.
        config["NAME"] = Path(config["NAME"]).resolve().as_uri() + "?mode=ro"
    elif engine in POSTGRES_ENGINES:
        options = config.setdefault("OPTIONS", {})
        server_options = options.get("options", "")
        options["options"] = (
            f"{server_options} -c default_transaction_read_only=on -c statement_timeout={statement_timeout_ms}"
        ).strip()
        options.setdefault("connect_timeout", 3)
    else:
        raise ImproperlyConfigured(f"MAIN_APP_DATABASE_URL: unsupported database engine {engine!r}")
    config["CONN_MAX_AGE"] = conn_max_age
    # No `SELECT 1` round trip before each request's first query: Pixora is only read, and a held connection that
    # died is noticed by the failing read, which sessions_app.selectors.pixora_read repeats once on a new one.
    config["CONN_HEALTH_CHECKS"] = False
    return config


def app_database(url: str, *, conn_max_age: int = 60) -> dict[str, Any]:
    """Django settings for FacePass's own, writable database."""
    config: dict[str, Any] = environ.Env.db_url_config(url)
    if config["ENGINE"] in POSTGRES_ENGINES:
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    elif config["ENGINE"] == SQLITE_ENGINE:
        # `make run`: the dev server and two worker processes write to one file; a writer waits for the lock
        # instead of failing after SQLite's default 5 s.
        config.setdefault("OPTIONS", {}).setdefault("timeout", 30)
    config["CONN_MAX_AGE"] = conn_max_age
    config["CONN_HEALTH_CHECKS"] = True
    return config
