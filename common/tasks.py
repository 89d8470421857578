"""Queueing a Celery task for a caller that must know it was queued: the broker can't take it → a 503."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from common.errors import TaskQueueUnavailable

logger = logging.getLogger(__name__)


def task_publish(task: Task[..., Any], *args: Any) -> None:
    """Queue the task, or raise TaskQueueUnavailable: accepted work is never silently lost."""
    try:
        task.delay(*args)
    except Exception as exc:  # kombu raises its transport's own errors, whatever the broker
        logger.error("task_not_queued task=%s error=%s", task.name, exc)
        raise TaskQueueUnavailable() from exc
