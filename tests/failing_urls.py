"""The project's URLs plus views that fail on purpose, to show what a client sees when code breaks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.views import APIView

from project_config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401

LEAKY_MESSAGE = "boom: password=hunter2 at /srv/facepass/secret.py"


def failing_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(LEAKY_MESSAGE)


def forbidden_view(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(LEAKY_MESSAGE)


def suspicious_view(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(LEAKY_MESSAGE)


class FailingApiView(APIView):
    def get(self, request: Request) -> HttpResponse:
        raise KeyError(LEAKY_MESSAGE)


urlpatterns = [
    *urlpatterns,
    path("api/test-failures/plain", failing_view),
    path("api/test-failures/forbidden", forbidden_view),
    path("api/test-failures/suspicious", suspicious_view),
    path("api/test-failures/drf", FailingApiView.as_view()),
]
