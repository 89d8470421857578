"""The task queue in the health report: uploads are refused while the broker can't be reached."""

from __future__ import annotations

import logging

from celery import current_app

from common.health import CONNECTED, UNAVAILABLE

logger = logging.getLogger(__name__)


def task_queue_check() -> str:
    """Whether a task could be queued now (one connection to the broker, no retry)."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=1)
    except Exception as exc:  # kombu raises the transport's own errors, whatever the broker
        logger.error("health: task queue unavailable: %s", exc)
        return UNAVAILABLE
    return CONNECTED
