"""DRF permissions for SSO-protected endpoints."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from sso_app.errors import SERVICE_KEY_REFUSED
from sso_app.principal import ServiceCaller

READ_LOGS = "sso_app.read_logs"
# Set by nginx per protected location: the permissions ("app.codename", comma-separated) a token must carry.
REQUIRED_PERMISSION_HEADER = "X-Required-Permission"


class HasPermission(BasePermission):
    """An authenticated principal holding `required_permission`; 401 without a token, 403 without the permission."""

    required_permission = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user is not None and user.is_authenticated and user.has_perm(self.required_permission))


class CanReadLogs(HasPermission):
    required_permission = READ_LOGS
    message = "You need the read_logs permission."


class IsServiceCaller(BasePermission):
    """A service allowed to check tokens (a registered client, or a gateway with the shared service key)."""

    message = SERVICE_KEY_REFUSED

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, ServiceCaller)


def required_permissions(request: Request) -> list[str]:
    header = request.headers.get(REQUIRED_PERMISSION_HEADER, "")
    return [name.strip() for name in header.split(",") if name.strip()]


class HoldsRequiredPermissions(BasePermission):
    """A signed-in user holding every permission the proxy in front named in X-Required-Permission; 401 without a
    valid token, 403 naming what is missing."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        missing = [name for name in required_permissions(request) if not user.has_perm(name)]
        if missing:
            raise PermissionDenied(f"This needs the permission {', '.join(missing)}.")
        return True
