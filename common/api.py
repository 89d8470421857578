"""The base of FacePass's public API views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from common.negotiation import JSON, PLAIN_JSON_ACCEPTS
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


class PlainJSONGetView(SessionsThrottledView):
    """A public session endpoint whose GET answers JSON data, without DRF's per-request machinery for JSON clients.

    For `GET` with `Accept: application/json`, `*/*` or none (what nearly every client sends), the view checks the
    throttles, calls `json_get()` and renders its data with DRF's JSONRenderer into a plain HttpResponse with the
    headers DRF would add: no DRF Request, no negotiation, no Response and template-response rendering. The answer
    is the same, byte for byte (common/tests/test_api.py holds both paths to it). Any error raised on the way
    (throttled, a bad id, a database down) is answered by DRF's own exception handling, and every other request
    (another method or Accept, a format override) goes through DRF's dispatch as before. The schema is DRF's: it
    documents `get()`, which returns the same data (`extend_schema_view` on the subclass describes it).
    """

    def json_get(self, *, session_id: str) -> Any:
        raise NotImplementedError

    def get(self, request: Request, session_id: str) -> Response:
        return Response(self.json_get(session_id=session_id))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            request.method != "GET"
            or request.META.get("HTTP_ACCEPT", "*/*") not in PLAIN_JSON_ACCEPTS
            or (request.META.get("QUERY_STRING") and api_settings.URL_FORMAT_OVERRIDE in request.GET)
        ):
            return super().dispatch(request, *args, **kwargs)
        self.args, self.kwargs, self.request = args, kwargs, request  # type: ignore[assignment]  # DRF's on errors
        self.headers = self.default_response_headers
        try:
            self.check_throttles(request)  # type: ignore[arg-type]  # the throttles read only META
            data = self.json_get(**kwargs)
        except Exception as exc:  # noqa: BLE001 (answered as DRF answers it, or raised by it)
            return self._error_response(request, exc)
        response = HttpResponse(JSON_RENDERER.render(data), content_type=JSON)
        for name, value in self.headers.items():
            response[name] = value
        return response

    def _error_response(self, request: HttpRequest, exc: Exception) -> HttpResponseBase:
        """What DRF's dispatch answers for an exception raised by its handler, the throttles not counted again."""
        drf_request = self.initialize_request(request, *self.args, **self.kwargs)
        self.request = drf_request
        drf_request.accepted_renderer, drf_request.accepted_media_type = self.perform_content_negotiation(
            drf_request, force=True
        )
        response = self.handle_exception(exc)
        self.response = self.finalize_response(drf_request, response, *self.args, **self.kwargs)
        return self.response


JSON_RENDERER = JSONRenderer()
