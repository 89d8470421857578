"""Plain PostgreSQL helpers (no Django) for tests and the benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2


def database_url(server_url: str, name: str) -> str:
    """The URL of another database on the same server."""
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def autocommit(url: str) -> Iterator[psycopg2.extensions.cursor]:
    connection = psycopg2.connect(url, connect_timeout=3)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def postgres_server_available(url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        psycopg2.connect(url, connect_timeout=2).close()
    except psycopg2.OperationalError as exc:
        return f"no PostgreSQL server at {url}: {str(exc).strip()}"
    return None
