"""DRF permissions for SSO-protected endpoints."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

READ_LOGS = "sso_app.read_logs"


class HasPermission(BasePermission):
    """An authenticated principal holding `required_permission`; 401 without a token, 403 without the permission."""

    required_permission = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user is not None and user.is_authenticated and user.has_perm(self.required_permission))


class CanReadLogs(HasPermission):
    required_permission = READ_LOGS
    message = "You need the read_logs permission."
