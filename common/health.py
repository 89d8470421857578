"""Health of FacePass and of what it depends on, checked cheaply and without side effects."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from common.cache import CACHE_ERRORS
from common.db import read_retrying_once

logger = logging.getLogger(__name__)

CONNECTED = "connected"
UNAVAILABLE = "unavailable"


def _select_one(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def database_check(alias: str) -> Callable[[], str]:
    def check() -> str:
        try:
            read_retrying_once(alias, _select_one)
        except DatabaseError as exc:
            logger.error("health: database %r unavailable: %s", alias, exc)
            return UNAVAILABLE
        return CONNECTED

    return check


def cache_check() -> str:
    try:
        probe = str(time.monotonic_ns())
        cache.set("healthz:probe", probe, 5)
        if cache.get("healthz:probe") != probe:
            return UNAVAILABLE
    except CACHE_ERRORS as exc:
        logger.error("health: cache unavailable: %s", exc)
        return UNAVAILABLE
    return CONNECTED


# Each check answers a word; any answer outside its healthy set makes the whole report degraded. A check
# with no healthy set (None) is informational: it is reported but never makes this instance unhealthy.
HEALTH_CHECKS: dict[str, tuple[Callable[[], str], set[str] | None]] = {
    "database": (database_check("default"), {CONNECTED}),
    "pixora_database": (database_check("pixora"), {CONNECTED}),
    "cache": (cache_check, {CONNECTED}),
}


def health_report() -> tuple[bool, dict[str, str]]:
    """Whether every dependency is healthy, and the report to show."""
    report = {"status": "healthy", "timestamp": timezone.now().isoformat(), "version": settings.VERSION}
    healthy = True
    for name, (check, healthy_answers) in HEALTH_CHECKS.items():
        answer = check()
        report[name] = answer
        if healthy_answers is not None:
            healthy = healthy and answer in healthy_answers
    if not healthy:
        report["status"] = "degraded"
    return healthy, report


def readiness_report() -> tuple[bool, dict[str, str]]:
    """Whether this instance can serve customers: Pixora's database answers (what every page needs).

    FacePass's own database, the cache and the task queue are left to /api/healthz/: the API survives a Redis
    outage, and a probe that failed on it would take every pod out of the load balancer at once.
    """
    pixora = database_check("pixora")()
    ready = pixora == CONNECTED
    return ready, {"status": "ready" if ready else "not_ready", "pixora_database": pixora}
