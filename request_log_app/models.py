"""The per-pod request log, in FacePass's own database."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RequestLogEntry(models.Model):
    """One proxied Pixora call or session validation, as served by one pod."""

    pod = models.CharField(max_length=63)
    created_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=16)
    path = models.CharField(max_length=2048)
    url_name = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    request_id = models.CharField(max_length=128)

    class Meta:
        verbose_name = "request log entry"
        verbose_name_plural = "request log"
        # Pages are read newest first by (time, id): entries that share a timestamp are neither skipped nor repeated.
        indexes = [models.Index(fields=["pod", "-created_at", "-id"], name="reqlog_pod_created_id")]

    def __str__(self) -> str:
        return f"{self.pod} {self.method} {self.path} {self.status}"
