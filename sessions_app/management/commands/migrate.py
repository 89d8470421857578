"""Django's migrate, refusing Pixora's database up front instead of failing on it half-way."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as MigrateCommand

from sessions_app.models import PIXORA_DATABASE


class Command(MigrateCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        if options["database"] == PIXORA_DATABASE:
            raise CommandError(
                "Pixora's database is read-only for FacePass and is never migrated: nothing was done. "
                "Run `migrate` without --database to migrate FacePass's own database."
            )
        super().handle(*args, **options)
