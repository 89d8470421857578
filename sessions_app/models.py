"""Pixora's photo sessions, read from Pixora's own database (never written)."""

from __future__ import annotations

from typing import Any

from django.db import models

PIXORA_DATABASE = "pixora"

# Values Pixora's `photo_session_status` enum is known to have. Pixora adds values without telling
# us, so the column is read as text and an unknown value is shown as it is, never rejected.
KNOWN_STATUSES = ("created", "scheduled", "in_progress", "completed", "cancelled")


class PixoraReadOnlyError(RuntimeError):
    """Raised on any attempt to write to Pixora's database."""


class PixoraModel(models.Model):
    """A model that lives in Pixora's database: read through the `pixora` alias, never saved."""

    class Meta:
        abstract = True
        managed = False

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise PixoraReadOnlyError(f"{type(self).__name__} belongs to Pixora's database, which FacePass never writes.")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PixoraReadOnlyError(f"{type(self).__name__} belongs to Pixora's database, which FacePass never writes.")


class PhotoSession(PixoraModel):
    id = models.UUIDField(primary_key=True)
    name = models.TextField()
    description = models.TextField(null=True, blank=True)
    photographer_id = models.UUIDField()
    studio_id = models.UUIDField()
    # A PostgreSQL enum in Pixora, read as text (see KNOWN_STATUSES).
    status = models.TextField()
    scheduled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    settings = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    service_package_id = models.UUIDField(null=True, blank=True)
    facepass_enabled = models.BooleanField()

    class Meta(PixoraModel.Meta):
        db_table = "photo_sessions"
        ordering = ["-created_at"]
        verbose_name = "Pixora photo session"

    def __str__(self) -> str:
        return self.name
