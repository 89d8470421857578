"""The base of FacePass's public API views."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.views import APIView

from common.throttles import ResilientScopedRateThrottle


class PublicAPIView(APIView):
    """An endpoint anyone may call: no credentials are read and no permission is checked.

    DRF resolves `request.user` on every request even with no authentication classes, through an attribute
    lookup that fails twice. Here it is left lazy, as DRF documents for perform_authentication: nothing on these
    endpoints asks for it.
    """

    authentication_classes = ()
    permission_classes = ()

    def perform_authentication(self, request: Request) -> None:
        pass


class SessionsThrottledView(PublicAPIView):
    """Public session endpoints share one per-client rate, THROTTLE_RATE_SESSIONS, against enumeration."""

    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "sessions"
