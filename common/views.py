"""Health endpoint and JSON error pages for the API."""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import PublicAPIView
from common.health import health_report, readiness_report
from common.metrics import metrics_text


class HealthView(PublicAPIView):
    @extend_schema(
        responses={
            (HTTPStatus.OK, "application/json"): inline_serializer("Health", {"status": serializers.CharField()}),
            (HTTPStatus.SERVICE_UNAVAILABLE, "application/json"): inline_serializer(
                "HealthDegraded", {"status": serializers.CharField()}
            ),
        }
    )
    def get(self, request: Request) -> Response:
        healthy, report = health_report()
        return Response(report, status=HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE)


class LivenessView(PublicAPIView):
    """The process answers: restart it if not. Checks nothing else, so an outage elsewhere never restarts pods."""

    @extend_schema(responses={HTTPStatus.OK: inline_serializer("Liveness", {"status": serializers.CharField()})})
    def get(self, request: Request) -> Response:
        return Response({"status": "alive"})


class ReadinessView(PublicAPIView):
    """Whether to send customers here: 503 only when Pixora's database can't be read."""

    @extend_schema(
        responses={
            (HTTPStatus.OK, "application/json"): inline_serializer("Readiness", {"status": serializers.CharField()}),
            (HTTPStatus.SERVICE_UNAVAILABLE, "application/json"): inline_serializer(
                "NotReady", {"status": serializers.CharField()}
            ),
        }
    )
    def get(self, request: Request) -> Response:
        ready, report = readiness_report()
        return Response(report, status=HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Bad request"}, status=HTTPStatus.BAD_REQUEST)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Permission denied"}, status=HTTPStatus.FORBIDDEN)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found"}, status=HTTPStatus.NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error"}, status=HTTPStatus.INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics (nginx keeps /metrics to the internal network)."""
    body, content_type = metrics_text()
    return HttpResponse(body, content_type=content_type)
