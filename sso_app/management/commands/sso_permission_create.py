"""Create a permission for a service behind FacePass SSO, to grant to users and groups in the admin."""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser

PERMISSION_NAME = re.compile(r"(?P<app_label>[a-z][a-z0-9_]{0,99})\.(?P<codename>[a-z][a-z0-9_]{0,99})")
# Permissions hang off a content type; a service outside FacePass has no model, so it gets one placeholder.
EXTERNAL_MODEL = "external"


class Command(BaseCommand):
    help = (
        "Create the permission APP_LABEL.CODENAME (e.g. internal_tools.use_admin) for a service behind FacePass "
        "SSO; grant it to users or groups in the admin and name it in X-Required-Permission "
        "(deploy/nginx/auth-request.conf)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("permission", help="app_label.codename, lower case")
        parser.add_argument("description", help="What it allows, as the admin lists it.")

    def handle(self, *args: Any, permission: str, description: str, **options: Any) -> None:
        match = PERMISSION_NAME.fullmatch(permission)
        if match is None:
            raise CommandError("The permission must look like app_label.codename (lower case letters, digits, _).")
        if match["app_label"] in {config.label for config in apps.get_app_configs()}:
            # It would pass has_perm("auth.change_user") and the like while the admin showed a harmless "external".
            raise CommandError(f"{match['app_label']!r} is an app of FacePass's own: name the outside service instead.")
        content_type, _ = ContentType.objects.get_or_create(app_label=match["app_label"], model=EXTERNAL_MODEL)
        _, created = Permission.objects.get_or_create(
            content_type=content_type, codename=match["codename"], defaults={"name": description[:255]}
        )
        self.stdout.write(f"{'Created' if created else 'Already there:'} {permission}")
