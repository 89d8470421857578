"""Give a service client a new secret; the old one keeps working for SSO_CLIENT_SECRET_OVERLAP_HOURS."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sso_app.models import ServiceClient
from sso_app.services import client_secret_rotate


class Command(BaseCommand):
    help = (
        "Print a new secret for the service client NAME as JSON; the previous secret stays valid for "
        "SSO_CLIENT_SECRET_OVERLAP_HOURS (or --overlap-hours; 0 ends it at once), so the service can be moved "
        "to the new one without downtime."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--overlap-hours", type=int, default=None)

    def handle(self, *args: Any, name: str, overlap_hours: int | None, **options: Any) -> None:
        hours = settings.SSO_CLIENT_SECRET_OVERLAP_HOURS if overlap_hours is None else overlap_hours
        if hours < 0:
            raise CommandError("--overlap-hours can't be negative.")
        client = ServiceClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"No service client named {name!r}.")
        credentials = client_secret_rotate(
            client=client, overlap=timedelta(hours=hours), rotated_by="manage.py sso_client_rotate"
        )
        self.stdout.write(json.dumps(asdict(credentials)))
