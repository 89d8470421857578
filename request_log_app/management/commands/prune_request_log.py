"""Delete request-log entries older than REQUEST_LOG_RETENTION_DAYS."""

from __future__ import annotations

from datetime import datetime

from common.retention import RetentionCommand
from request_log_app.models import RequestLogEntry


class Command(RetentionCommand):
    help = "Delete request-log entries older than REQUEST_LOG_RETENTION_DAYS (or --days)."
    retention_setting = "REQUEST_LOG_RETENTION_DAYS"

    def prune(self, cutoff: datetime) -> str:
        deleted, _ = RequestLogEntry.objects.filter(created_at__lt=cutoff).delete()
        return f"Deleted {deleted} request-log entries older than {cutoff.isoformat()}."
