"""Delete SSO tokens and sign-in codes that expired more than SSO_RECORD_RETENTION_DAYS ago."""

from __future__ import annotations

from datetime import datetime

from common.retention import RetentionCommand
from sso_app.services import sso_records_prune


class Command(RetentionCommand):
    help = "Delete SSO tokens and sign-in codes that expired more than SSO_RECORD_RETENTION_DAYS (or --days) ago."
    retention_setting = "SSO_RECORD_RETENTION_DAYS"

    def prune(self, cutoff: datetime) -> str:
        tokens, codes = sso_records_prune(expired_before=cutoff)
        return f"Deleted {tokens} tokens and {codes} sign-in codes that expired before {cutoff.isoformat()}."
