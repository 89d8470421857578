"""GET or POST /floor/<name> answers the JSON body FacePass gave for that scenario, as any Django view would."""

from __future__ import annotations

import json
from pathlib import Path

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path

# From this floor's settings module (its DJANGO_SETTINGS_MODULE): mypy's Django plugin types `settings` as FacePass's.
from bench.floors.settings import BENCH_FLOOR_BODIES

BODIES = json.loads(Path(BENCH_FLOOR_BODIES).read_text()) if BENCH_FLOOR_BODIES else {}


def floor(request: HttpRequest, name: str) -> JsonResponse:
    try:
        body = BODIES[name]
    except KeyError:
        raise Http404(name) from None
    return JsonResponse(body)


urlpatterns = [path("floor/<str:name>", floor)]
