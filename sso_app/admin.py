"""Staff see tokens (and can revoke them) and read the request log; neither can be edited here."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from common.admin import ReadOnlyAdmin
from sso_app.models import RequestLogEntry, SSOToken


@admin.register(SSOToken)
class SSOTokenAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "expires_at", "last_used_at", "revoked_at", "ip"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username"]
    readonly_fields = [field.name for field in SSOToken._meta.fields if field.name != "digest"]
    exclude = ["digest"]
    ordering = ["-created_at"]
    list_select_related = ["user"]
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sso_app.change_ssotoken")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[SSOToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")


@admin.register(RequestLogEntry)
class RequestLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "pod", "method", "path", "status", "duration_ms", "request_id"]
    list_filter = ["pod", "url_name", "status"]
    search_fields = ["request_id", "path"]
    readonly_fields = [field.name for field in RequestLogEntry._meta.fields]
    ordering = ["-created_at"]
    show_full_result_count = False
    actions = None
