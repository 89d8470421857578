"""Reading the request log."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from sso_app.models import RequestLogEntry


def request_log_page(*, pod: str, limit: int, before: datetime | None = None) -> QuerySet[RequestLogEntry]:
    """Up to `limit` entries of this pod, newest first, older than `before` when given."""
    entries = RequestLogEntry.objects.filter(pod=pod)
    if before is not None:
        entries = entries.filter(created_at__lt=before)
    return entries.order_by("-created_at", "-id")[:limit]
