"""Create the demo SQLite file that stands for Pixora's database in local runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sessions_app.demo import DEMO_SESSIONS, demo_database_create
from sessions_app.models import PIXORA_DATABASE


def demo_path_of(database: dict[str, Any], demo_path: Path) -> Path | None:
    """The demo file's path if this database is that demo SQLite file, else None."""
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return None
    name = str(database["NAME"])
    path = Path(unquote(urlparse(name).path) if name.startswith("file:") else name).resolve()
    return path if path == Path(demo_path).resolve() else None


class Command(BaseCommand):
    help = "Create the demo SQLite file that stands for Pixora's database. Refuses any other database."

    def handle(self, *args: Any, **options: Any) -> None:
        path = demo_path_of(settings.DATABASES[PIXORA_DATABASE], settings.PIXORA_DEMO_DATABASE_PATH)
        if path is None:
            raise CommandError(
                "The 'pixora' database is not the demo SQLite file "
                f"({settings.PIXORA_DEMO_DATABASE_PATH}); refusing to touch it."
            )
        demo_database_create(path)
        self.stdout.write(f"Created {len(DEMO_SESSIONS)} demo Pixora sessions in {path}")
