"""CPU of one uncached session validation against real PostgreSQL, in-process: the lookup alone, per variant.

    .venv/bin/python scripts/measure_session_lookup.py [calls]

Each call is what a request that misses the cache does on Pixora's connection: Django's end-of-request check
(close_if_unusable_or_obsolete), then the lookup. Variants: the row read into a model (session_model below, as
the selector did before) or read as values (session_row), each with Pixora's CONN_HEALTH_CHECKS on (a `SELECT 1`
before the request's first query) and off. Prints this process's CPU µs per call (time.process_time: the
server's cost, not PostgreSQL's) and the wall µs per call, medians of 5 rounds of interleaved variants.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_config.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connections, router  # noqa: E402

from sessions_app.models import PhotoSession  # noqa: E402
from sessions_app.selectors import _session_by_id_query, session_row, validation_of  # noqa: E402
from testing.pixora import PostgresPixora, use_pixora_database  # noqa: E402
from testing.services import postgres_test_url  # noqa: E402


def session_model(*, session_id: UUID) -> PhotoSession | None:
    """The same query as session_row, read into a model: what a cache miss did before it read values."""
    alias = router.db_for_read(PhotoSession)
    connection = connections[alias]
    sql = _session_by_id_query(alias, connection.vendor).sql
    session_id_value = PhotoSession._meta.pk.get_db_prep_value(session_id, connection)
    return next(iter(PhotoSession.objects.db_manager(alias).raw(sql, [session_id_value])), None)


def timed(lookup: Callable[[], object], calls: int) -> tuple[float, float]:
    connection = connections["pixora"]
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        connection.close_if_unusable_or_obsolete()
        lookup()
    return 1e6 * (time.process_time() - cpu) / calls, 1e6 * (time.perf_counter() - wall) / calls


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    pixora = PostgresPixora(server_url=postgres_test_url())
    try:
        use_pixora_database(pixora)
        connections["pixora"].settings_dict["CONN_MAX_AGE"] = None
        session_id = pixora.insert()["id"]
        variants: dict[str, tuple[Callable[[], object], bool]] = {
            "model, health check": (lambda: validation_of(session_model(session_id=session_id)), True),
            "model, no health check": (lambda: validation_of(session_model(session_id=session_id)), False),
            "values, health check": (lambda: validation_of(session_row(session_id=session_id)), True),
            "values, no health check": (lambda: validation_of(session_row(session_id=session_id)), False),
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for _ in range(5):
            for name, (lookup, health_check) in variants.items():
                connections["pixora"].close()
                connections["pixora"].settings_dict["CONN_HEALTH_CHECKS"] = health_check
                lookup()
                results[name].append(timed(lookup, calls))
        for name, samples in results.items():
            cpu = statistics.median(s[0] for s in samples)
            wall = statistics.median(s[1] for s in samples)
            print(f"{name:26} CPU {cpu:7.1f} µs/call   wall {wall:7.1f} µs/call")
    finally:
        connections["pixora"].close()
        pixora.drop()


if __name__ == "__main__":
    main()
