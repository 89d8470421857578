"""Staff can look at Pixora's sessions here, and change nothing."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse

from common.admin import ReadOnlyAdmin
from sessions_app.models import PhotoSession

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class StatusFilter(admin.SimpleListFilter):
    """Filters on status compared as text, so any enum value, known to us or not, works on PostgreSQL."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[PhotoSession]) -> list[tuple[str, str]]:
        values = (
            model_admin.get_queryset(request)
            .annotate(status_text=Cast("status", TextField()))
            .order_by("status_text")
            .values_list("status_text", flat=True)
            .distinct()
        )
        return [(value, value) for value in values]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PhotoSession]) -> QuerySet[PhotoSession]:
        if self.value() is None:
            return queryset
        return queryset.annotate(status_text=Cast("status", TextField())).filter(status_text=self.value())


@admin.register(PhotoSession)
class PhotoSessionAdmin(ReadOnlyAdmin[PhotoSession]):
    list_display = ["name", "status", "facepass_enabled", "studio_id", "created_at"]
    list_filter = [StatusFilter, "facepass_enabled"]
    search_fields = ["name"]
    search_help_text = "Search by name, or by a full session id."
    readonly_fields = [field.name for field in PhotoSession._meta.fields]
    ordering = ["-created_at"]
    show_full_result_count = False
    actions = None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PhotoSession], search_term: str
    ) -> tuple[QuerySet[PhotoSession], bool]:
        term = search_term.strip()
        try:
            return queryset.filter(id=uuid.UUID(term)), False
        except ValueError:
            return super().get_search_results(request, queryset, term)

    # Django's admin opens a write transaction (asking the router for a write database) on POSTs and on
    # every delete page; the router refuses those for Pixora, so such requests are turned away first.
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            raise PermissionDenied
        return super().changeform_view(request, *args, **kwargs)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise PermissionDenied
