"""Signing in, checking and revoking SSO tokens, one-time sign-in codes, the service clients that may check
tokens, and the audit trail: plain functions, no HTTP."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from sso_app.models import AuditEvent, LoginCode, ServiceClient, SSOToken
from sso_app.principal import ServiceCaller, SSOPrincipal

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
# 10 characters from 31 that can't be mistaken for one another (no 0/O, 1/I/L): about 50 bits, so guessing at the
# sign-in rate is hopeless; shown in two groups of 5 and accepted in any case, with or without the dash.
LOGIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LOGIN_CODE_LENGTH = 10
LOGIN_CODE_TTL = timedelta(minutes=10)
# Wrong tries per email address within LOGIN_CODE_TTL, whichever codes they were made against.
LOGIN_CODE_MAX_ATTEMPTS = 5
# A token's last use is written at most this often, so validation is not a write per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)
USER_AGENT_MAX = 256
SHARED_KEY_CALLER = "FacePass gateway (shared service key)"
CLIENT_ID_PREFIX = "fpc_"
CLIENT_ID_BYTES = 12
# What client_create issues; anything else is refused before any lookup (a NUL byte would make PostgreSQL raise).
CLIENT_ID_PATTERN = re.compile(r"fpc_[A-Za-z0-9_-]{16}")
CLIENT_SECRET_BYTES = 32


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: SSOToken
    principal: SSOPrincipal


def token_digest(token: str) -> str:
    """The SHA-256 of a token or client secret, as stored. Both are 256 random bits, so a fast hash is enough: a
    slow password hash would guard nothing here and cost CPU on every check."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def user_permissions(user: User) -> frozenset[str]:
    """Every permission the user holds, directly, through groups, or as a superuser ("app.codename")."""
    return frozenset(user.get_all_permissions()) if user.is_active else frozenset()


def principal_for(user: User, expires_at: datetime) -> SSOPrincipal:
    return SSOPrincipal(
        username=user.get_username(), permissions=user_permissions(user), expires_at=expires_at, user_id=user.pk
    )


def token_issue(*, user: User, user_agent: str = "", ip: str | None = None) -> IssuedToken:
    """A new token for this user, valid SSO_TOKEN_TTL_MINUTES; the raw token is returned once and never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    record = SSOToken.objects.create(
        digest=token_digest(token),
        user=user,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.SSO_TOKEN_TTL_MINUTES),
        user_agent=user_agent[:USER_AGENT_MAX],
        ip=ip,
    )
    return IssuedToken(token=token, record=record, principal=principal_for(user, record.expires_at))


def token_check(*, token: str) -> tuple[SSOPrincipal, SSOToken] | None:
    """The principal and record of a valid token: known, not expired, not revoked, of an active user; else None."""
    now = timezone.now()
    record = (
        SSOToken.objects.select_related("user")
        .filter(digest=token_digest(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if record is None or not record.user.is_active:
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
        SSOToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now
    return principal_for(record.user, record.expires_at), record


def token_revoke(*, record: SSOToken) -> None:
    SSOToken.objects.filter(pk=record.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def tokens_revoke_all(*, user_id: int) -> int:
    """Revoke every live token of this user; the number revoked."""
    return SSOToken.objects.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def principal_payload(principal: SSOPrincipal) -> dict[str, Any]:
    return {"username": principal.username, "permissions": sorted(principal.permissions)}


def login_code_hash(code: str) -> str:
    # Keyed, so a copy of the table alone does not let anyone try codes offline.
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def login_code_new() -> str:
    """A fresh sign-in code as it is emailed: 'ABCDE-FGHJK'."""
    code = "".join(secrets.choice(LOGIN_CODE_ALPHABET) for _ in range(LOGIN_CODE_LENGTH))
    return f"{code[:5]}-{code[5:]}"


def login_code_normalize(code: str) -> str:
    """What a person typed, as the code was made: upper case, without spaces or dashes."""
    return "".join(code.split()).replace("-", "").upper()


def login_code_request(*, email: str) -> None:
    """Email a one-time code to the active user with this address, if there is one; silent either way.

    Runs on a worker (sso_app.tasks), so that the answer takes the same time whether the account exists or not
    and a mail server that hangs holds no web thread (EMAIL_TIMEOUT bounds it here).
    """
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
    if user is None:
        return
    code = login_code_new()
    now = timezone.now()
    LoginCode.objects.create(
        email=email.lower(),
        user=user,
        code_hash=login_code_hash(login_code_normalize(code)),
        created_at=now,
        expires_at=now + LOGIN_CODE_TTL,
    )
    try:
        send_mail(
            subject="Your FacePass sign-in code",
            message=f"Your FacePass sign-in code is {code}. It is valid for 10 minutes and can be used once.",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except OSError as exc:
        # The customer was answered 202 long ago; the operator sees why no mail left.
        logger.error("sign-in code email could not be sent: %s", exc)


def login_code_redeem(*, email: str, code: str) -> User | None:
    """The user whose latest code for this email is `code`, still fresh and unused; None otherwise.

    Every try counts against the address, across all its codes of the last LOGIN_CODE_TTL: asking for a new
    code gives no new tries.
    """
    email = email.lower()
    with transaction.atomic():
        since = timezone.now() - LOGIN_CODE_TTL
        recent = LoginCode.objects.select_for_update().filter(email=email, created_at__gt=since)
        tries = sum(recent.values_list("attempts", flat=True))
        login_code = recent.select_related("user").order_by("-created_at", "-pk").first()
        if (
            login_code is None
            or login_code.used_at is not None
            or login_code.expires_at <= timezone.now()
            or tries >= LOGIN_CODE_MAX_ATTEMPTS
        ):
            return None
        login_code.attempts += 1
        matches = hmac.compare_digest(login_code.code_hash, login_code_hash(login_code_normalize(code)))
        if matches:
            login_code.used_at = timezone.now()
        login_code.save(update_fields=["attempts", "used_at"])
    if not matches or not login_code.user.is_active:
        return None
    return login_code.user


def sso_records_prune(*, expired_before: datetime) -> tuple[int, int]:
    """Delete tokens and sign-in codes that expired before this time: (tokens, codes) deleted.

    Revoked tokens go once their expiry has passed too; until then the admin shows who signed out, and when.
    """
    tokens, _ = SSOToken.objects.filter(expires_at__lt=expired_before).delete()
    codes, _ = LoginCode.objects.filter(expires_at__lt=expired_before).delete()
    return tokens, codes


def audit_record(
    kind: AuditEvent.Kind,
    *,
    user: User | None = None,
    username: str = "",
    client: ServiceClient | None = None,
    ip: str | None = None,
    detail: str = "",
) -> AuditEvent:
    """One line of the audit trail; never a password, a token or a secret."""
    return AuditEvent.objects.create(
        kind=kind,
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        client=client,
        ip=ip,
        detail=detail[:200],
    )


def sign_in(*, user: User, method: str, user_agent: str = "", ip: str | None = None) -> IssuedToken:
    """A token for a user who has just proved who they are (`method`: how), recorded in the audit trail."""
    issued = token_issue(user=user, user_agent=user_agent, ip=ip)
    audit_record(AuditEvent.Kind.SIGN_IN, user=user, ip=ip, detail=method)
    return issued


@dataclass(frozen=True)
class ClientCredentials:
    """A service client's id and secret as shown once, at creation or rotation."""

    client_id: str
    client_secret: str
    name: str


def client_create(*, name: str, created_by: str = "", ip: str | None = None) -> ClientCredentials:
    """Register a service that may validate and introspect tokens; its secret is returned once and never stored."""
    secret = secrets.token_urlsafe(CLIENT_SECRET_BYTES)
    client = ServiceClient.objects.create(
        client_id=CLIENT_ID_PREFIX + secrets.token_urlsafe(CLIENT_ID_BYTES),
        name=name,
        secret_digest=token_digest(secret),
    )
    audit_record(AuditEvent.Kind.CLIENT_CREATED, username=created_by, client=client, ip=ip, detail=name)
    return ClientCredentials(client_id=client.client_id, client_secret=secret, name=client.name)


def client_secret_rotate(
    *, client: ServiceClient, overlap: timedelta, rotated_by: str = "", ip: str | None = None
) -> ClientCredentials:
    """A new secret for this client; the current one keeps working for `overlap` (zero: it stops at once), so the
    service can be moved to the new secret without downtime. At most two secrets are ever valid."""
    secret = secrets.token_urlsafe(CLIENT_SECRET_BYTES)
    now = timezone.now()
    keeps_previous = overlap > timedelta(0)
    client.previous_secret_digest = client.secret_digest if keeps_previous else ""
    client.previous_secret_expires_at = now + overlap if keeps_previous else None
    client.secret_digest = token_digest(secret)
    client.rotated_at = now
    client.save(update_fields=["secret_digest", "previous_secret_digest", "previous_secret_expires_at", "rotated_at"])
    audit_record(
        AuditEvent.Kind.CLIENT_ROTATED,
        username=rotated_by,
        client=client,
        ip=ip,
        detail=f"previous secret valid until {client.previous_secret_expires_at or now:%Y-%m-%d %H:%M UTC}",
    )
    return ClientCredentials(client_id=client.client_id, client_secret=secret, name=client.name)


def client_enabled_record(*, client: ServiceClient, changed_by: str = "", ip: str | None = None) -> AuditEvent:
    """Record that a client was just enabled or disabled (as `client.enabled` now says)."""
    kind = AuditEvent.Kind.CLIENT_ENABLED if client.enabled else AuditEvent.Kind.CLIENT_DISABLED
    return audit_record(kind, username=changed_by, client=client, ip=ip, detail=client.name)


def client_authenticate(*, client_id: str, client_secret: str) -> ServiceClient | None:
    """The enabled client with this id whose current (or, while rotating, previous) secret this is; else None."""
    if not CLIENT_ID_PATTERN.fullmatch(client_id):
        return None
    client = ServiceClient.objects.filter(client_id=client_id, enabled=True).first()
    if client is None:
        return None
    presented = token_digest(client_secret)
    if hmac.compare_digest(presented, client.secret_digest):
        return client
    # Rotation sets the previous digest and its end together (and clears both).
    ends = client.previous_secret_expires_at
    if ends is not None and ends > timezone.now() and hmac.compare_digest(presented, client.previous_secret_digest):
        return client
    return None


def service_key_caller(presented: str) -> ServiceCaller | None:
    """Who presented this `X-Service-Key`: the shared SSO_SERVICE_KEY (nobody, while it is unset), or a registered
    client's `client_id:client_secret`; None for anything else."""
    expected = settings.SSO_SERVICE_KEY
    if expected and hmac.compare_digest(
        presented.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    ):
        return ServiceCaller(name=SHARED_KEY_CALLER)
    client_id, separator, client_secret = presented.partition(":")
    if not separator:
        return None
    return client_caller(client_id=client_id, client_secret=client_secret)


def client_caller(*, client_id: str, client_secret: str) -> ServiceCaller | None:
    client = client_authenticate(client_id=client_id, client_secret=client_secret)
    return None if client is None else ServiceCaller(name=client.name, client_id=client.client_id)


def sso_audit_prune(*, created_before: datetime) -> int:
    """Delete audit events recorded before this time; the number deleted."""
    deleted, _ = AuditEvent.objects.filter(created_at__lt=created_before).delete()
    return deleted
