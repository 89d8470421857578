"""Reading the request log."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from request_log_app.models import RequestLogEntry


def request_log_page(
    *, pod: str, limit: int, before: datetime | None = None, before_id: int | None = None
) -> QuerySet[RequestLogEntry]:
    """Up to `limit` entries of this pod, newest first by (time, id); older than (`before`, `before_id`) when given,
    so that entries sharing the last timestamp of one page start the next. `before` alone: older than that time."""
    entries = RequestLogEntry.objects.filter(pod=pod)
    if before is not None and before_id is not None:
        entries = entries.filter(Q(created_at__lt=before) | Q(created_at=before, id__lt=before_id))
    elif before is not None:
        entries = entries.filter(created_at__lt=before)
    return entries.order_by("-created_at", "-id")[:limit]
