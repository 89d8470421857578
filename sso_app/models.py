"""SSO tokens, one-time sign-in codes, and the per-pod request log (all in FacePass's own database)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SSOToken(models.Model):
    """A session token; only its SHA-256 digest is stored, the token itself is shown once, at sign-in."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_tokens")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "SSO token"
        indexes = [models.Index(fields=["user", "revoked_at"], name="sso_token_user_revoked")]

    def __str__(self) -> str:
        return f"{self.user} token {self.digest[:8]}…"


class LoginCode(models.Model):
    """A one-time sign-in code sent by email; stored as a keyed hash, single use, a few tries."""

    email = models.EmailField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_login_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email", "-created_at"], name="sso_code_email_created")]

    def __str__(self) -> str:
        return f"sign-in code for {self.email}"


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
        indexes = [models.Index(fields=["pod", "-created_at"], name="sso_reqlog_pod_created")]
        permissions = [("read_logs", "Can read the per-pod request log")]

    def __str__(self) -> str:
        return f"{self.pod} {self.method} {self.path} {self.status}"
