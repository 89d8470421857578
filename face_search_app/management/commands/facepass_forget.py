"""`manage.py facepass_forget SESSION_ID`: drop every face and selfie FacePass holds for a session, now."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from face_search_app.services import session_forget


class Command(BaseCommand):
    help = "Delete a session's faces, embeddings and selfies at once (searches keep only their status)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("session_id")

    def handle(self, *args: Any, session_id: str, **options: Any) -> None:
        try:
            parsed_id = UUID(session_id)
        except ValueError:
            raise CommandError(f"{session_id!r} is not a session id (a UUID).") from None
        faces = session_forget(session_id=parsed_id)
        self.stdout.write(f"Forgot session {parsed_id}: {faces} face(s) deleted.")
