"""Delete request-log entries older than REQUEST_LOG_RETENTION_DAYS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from sso_app.models import RequestLogEntry


class Command(BaseCommand):
    help = "Delete request-log entries older than REQUEST_LOG_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Keep this many days instead of the setting.")

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        keep_days = settings.REQUEST_LOG_RETENTION_DAYS if days is None else days
        if keep_days < 0:
            self.stderr.write("The number of days to keep can't be negative.")
            raise SystemExit(2)
        cutoff = timezone.now() - timedelta(days=keep_days)
        deleted, _ = RequestLogEntry.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"Deleted {deleted} request-log entries older than {cutoff.isoformat()}.")
