"""Register a service that may validate and introspect SSO tokens; prints its credentials once, as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sso_app.models import ServiceClient
from sso_app.services import client_create


class Command(BaseCommand):
    help = (
        "Register a service client NAME and print {client_id, client_secret, name} as JSON. The secret is shown "
        "only now: FacePass keeps its hash."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="What the service is, e.g. 'wiki-oauth2-proxy'.")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        name = name.strip()
        max_length = ServiceClient._meta.get_field("name").max_length
        if not name or (max_length is not None and len(name) > max_length):
            raise CommandError("NAME must be 1 to 100 characters.")
        if ServiceClient.objects.filter(name=name).exists():
            raise CommandError(f"A service client named {name!r} exists; rotate its secret with sso_client_rotate.")
        credentials = client_create(name=name, created_by="manage.py sso_client_create")
        self.stdout.write(json.dumps(asdict(credentials)))
