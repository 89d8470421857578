"""Pixora's signed webhooks: `X-Pixora-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`."""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings

from face_search_app.errors import WebhookNotConfigured, WebhookSignatureInvalid

SIGNATURE_PREFIX = "sha256="
# Older (or later) signatures are refused, so a captured request can't be replayed for long.
TIMESTAMP_TOLERANCE_SECONDS = 300


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value Pixora sends for this body at this timestamp."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def webhook_verify(*, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None) -> None:
    """Raise WebhookSignatureInvalid unless the signature is Pixora's and the timestamp is recent."""
    secret = settings.PIXORA_WEBHOOK_SECRET
    if not secret:
        raise WebhookNotConfigured()
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        raise WebhookSignatureInvalid()
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        raise WebhookSignatureInvalid("The webhook timestamp is more than 5 minutes off.")
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise WebhookSignatureInvalid()
