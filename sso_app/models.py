"""SSO tokens, one-time sign-in codes, the services that may check tokens, and the audit trail (all in FacePass's
own database)."""

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
        # Granted through SSO, required by the request log's endpoint; "sso_app.read_logs" is the name tokens carry.
        permissions = [("read_logs", "Can read the per-pod request log")]

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


class ServiceClient(models.Model):
    """A service that may validate or introspect tokens, with a secret of its own (only its SHA-256 is stored).

    While a secret is being rotated, the one it replaced stays valid until `previous_secret_expires_at`, so the
    service can be given the new secret without a moment in which neither works.
    """

    client_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    secret_digest = models.CharField(max_length=64)
    previous_secret_digest = models.CharField(max_length=64, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "service client"

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class AuditEvent(models.Model):
    """Who signed in, failed to, signed out, or created, rotated, enabled or disabled a service client: when and
    from where."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "signed in"
        SIGN_IN_FAILED = "sign_in_failed", "failed to sign in"
        SIGN_OUT = "sign_out", "signed out"
        SIGN_OUT_EVERYWHERE = "sign_out_everywhere", "signed out everywhere"
        CLIENT_CREATED = "client_created", "created a service client"
        CLIENT_ROTATED = "client_rotated", "rotated a service client's secret"
        CLIENT_ENABLED = "client_enabled", "enabled a service client"
        CLIENT_DISABLED = "client_disabled", "disabled a service client"

    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # As typed or as known at the time: a failed sign-in may name no account, and a user may later be deleted.
    username = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sso_audit_events"
    )
    client = models.ForeignKey(
        ServiceClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "audit event"
        indexes = [models.Index(fields=["-created_at"], name="sso_audit_created")]

    def __str__(self) -> str:
        return f"{self.username or '?'} {self.get_kind_display()}"
