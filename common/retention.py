"""The shape every pruning command shares: keep N days (a setting, or --days), delete what is older."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone


class RetentionCommand(BaseCommand):
    """Subclasses name the setting that holds the days to keep, and delete what is older than the cutoff."""

    retention_setting: str

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Keep this many days instead of the setting.")

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        keep_days = getattr(settings, self.retention_setting) if days is None else days
        if keep_days < 0:
            self.stderr.write("The number of days to keep can't be negative.")
            raise SystemExit(2)
        self.stdout.write(self.prune(timezone.now() - timedelta(days=keep_days)))

    def prune(self, cutoff: datetime) -> str:
        """Delete what is older than the cutoff; a line saying what was deleted."""
        raise NotImplementedError
