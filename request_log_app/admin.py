"""Staff read the request log; nobody edits it."""

from __future__ import annotations

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from request_log_app.models import RequestLogEntry


@admin.register(RequestLogEntry)
class RequestLogEntryAdmin(ReadOnlyAdmin[RequestLogEntry]):
    list_display = ["created_at", "pod", "method", "path", "status", "duration_ms", "request_id"]
    list_filter = ["pod", "url_name", "status"]
    search_fields = ["request_id", "path"]
    readonly_fields = [field.name for field in RequestLogEntry._meta.fields]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    actions = None
