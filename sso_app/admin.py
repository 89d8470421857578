"""Staff see tokens (and can revoke them) and the audit trail, and manage service clients."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from common.admin import ReadOnlyAdmin
from sso_app.models import AuditEvent, ServiceClient, SSOToken
from sso_app.services import ClientCredentials, client_create, client_enabled_record, client_secret_rotate
from sso_app.throttles import client_ip

CREDENTIALS_ATTRIBUTE = "sso_client_credentials"


@admin.register(SSOToken)
class SSOTokenAdmin(ReadOnlyAdmin[SSOToken]):
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


@admin.register(ServiceClient)
class ServiceClientAdmin(admin.ModelAdmin[ServiceClient]):
    """Created here or with `manage.py sso_client_create`; the secret is shown once, on a page of its own."""

    list_display = ["name", "client_id", "enabled", "created_at", "rotated_at"]
    list_filter = ["enabled"]
    search_fields = ["name", "client_id"]
    ordering = ["name"]
    actions = ["rotate_secret"]

    def get_fields(self, request: HttpRequest, obj: ServiceClient | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("name",)
        return ("name", "client_id", "enabled", "created_at", "rotated_at", "previous_secret_expires_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ServiceClient | None = None) -> list[str]:
        if obj is None:
            return []
        return ["name", "client_id", "created_at", "rotated_at", "previous_secret_expires_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Disabling keeps the audit trail's link to the client; a deleted one would leave it pointing nowhere.
        return False

    def save_model(self, request: HttpRequest, obj: ServiceClient, form: Any, change: bool) -> None:
        actor, ip = request.user.get_username(), client_ip(request)
        if change:
            super().save_model(request, obj, form, change)
            if "enabled" in form.changed_data:
                client_enabled_record(client=obj, changed_by=actor, ip=ip)
            return
        credentials = client_create(name=obj.name, created_by=actor, ip=ip)
        created = ServiceClient.objects.get(client_id=credentials.client_id)
        obj.pk, obj.client_id, obj.created_at = created.pk, created.client_id, created.created_at
        # The add view answers next (response_add): the secret goes to that page and nowhere else.
        setattr(request, CREDENTIALS_ATTRIBUTE, credentials)

    def response_add(
        self, request: HttpRequest, obj: ServiceClient, post_url_continue: str | None = None
    ) -> HttpResponse:
        credentials: ClientCredentials = getattr(request, CREDENTIALS_ATTRIBUTE)
        return self.credentials_page(request, credentials, "Service client created")

    def has_rotate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sso_app.change_serviceclient")

    @admin.action(description="Rotate the secret (one client at a time)", permissions=["rotate"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[ServiceClient]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Rotate one client at a time: its new secret is shown once.", messages.ERROR)
            return None
        client = queryset.get()
        credentials = client_secret_rotate(
            client=client,
            overlap=timedelta(hours=settings.SSO_CLIENT_SECRET_OVERLAP_HOURS),
            rotated_by=request.user.get_username(),
            ip=client_ip(request),
        )
        return self.credentials_page(
            request, credentials, "New secret", previous_until=client.previous_secret_expires_at
        )

    def credentials_page(
        self, request: HttpRequest, credentials: ClientCredentials, title: str, previous_until: Any = None
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "credentials": credentials,
            "previous_until": previous_until,
            "changelist_url": reverse("admin:sso_app_serviceclient_changelist"),
            "opts": self.opts,
        }
        response = TemplateResponse(request, "admin/sso_app/client_credentials.html", context)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin[AuditEvent]):
    list_display = ["created_at", "kind", "username", "client", "ip", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "ip", "client__name"]
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    ordering = ["-created_at"]
    list_select_related = ["client", "user"]
    date_hierarchy = "created_at"
    actions = None
