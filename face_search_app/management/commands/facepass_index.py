"""`manage.py facepass_index SESSION_ID`: queue a session's indexing (or run it here with --now)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from face_search_app import services, tasks
from face_search_app.selectors import session_index_progress


class Command(BaseCommand):
    help = "Index a session's photos for face search: queued for the workers, or here and now with --now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("session_id")
        parser.add_argument("--now", action="store_true", help="index in this process instead of queueing")

    def handle(self, *args: Any, session_id: str, now: bool, **options: Any) -> None:
        try:
            parsed_id = UUID(session_id)
        except ValueError:
            raise CommandError(f"{session_id!r} is not a session id (a UUID).") from None
        if not now:
            services.session_index_request(session_id=parsed_id)
            self.stdout.write(f"Indexing of {parsed_id} queued.")
            return
        for batch in services.session_index_refresh(session_id=parsed_id, request_id="manage-facepass-index"):
            for photo_pk in batch:
                services.photo_index(photo_pk=photo_pk, request_id="manage-facepass-index")
        services.session_index_complete_if_done(session_id=parsed_id)
        tasks.searches_resume(session_id=parsed_id)
        progress = session_index_progress(session_id=parsed_id)
        self.stdout.write(f"Indexed {parsed_id}: {progress}.")
