"""Signing in, checking and revoking SSO tokens, and one-time sign-in codes: plain functions, no HTTP."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from sso_app.models import LoginCode, SSOToken
from sso_app.principal import SSOPrincipal

logger = logging.getLogger("facepass.sso")

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


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: SSOToken
    principal: SSOPrincipal


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def user_permissions(user: AbstractBaseUser) -> frozenset[str]:
    """Every permission the user holds, directly, through groups, or as a superuser ("app.codename")."""
    return frozenset(user.get_all_permissions()) if user.is_active else frozenset()


def principal_for(user: AbstractBaseUser, expires_at: datetime) -> SSOPrincipal:
    return SSOPrincipal(
        username=user.get_username(), permissions=user_permissions(user), expires_at=expires_at, user_id=user.pk
    )


def token_issue(*, user: AbstractBaseUser, user_agent: str = "", ip: str | None = None) -> IssuedToken:
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


def login_code_redeem(*, email: str, code: str) -> AbstractBaseUser | None:
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
