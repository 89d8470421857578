"""Delete SSO audit events recorded more than SSO_AUDIT_RETENTION_DAYS ago."""

from __future__ import annotations

from datetime import datetime

from common.retention import RetentionCommand
from sso_app.services import sso_audit_prune


class Command(RetentionCommand):
    help = "Delete SSO audit events recorded more than SSO_AUDIT_RETENTION_DAYS (or --days) ago."
    retention_setting = "SSO_AUDIT_RETENTION_DAYS"

    def prune(self, cutoff: datetime) -> str:
        return f"Deleted {sso_audit_prune(created_before=cutoff)} audit events recorded before {cutoff.isoformat()}."
