"""Content negotiation that answers JSON clients at once, and leaves every other case to DRF's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

JSON = "application/json"
# Accept headers for which DRF's negotiation picks the first renderer, when that one renders JSON, as JSON.
PLAIN_JSON_ACCEPTS = frozenset({"*/*", JSON})


class JSONFirstContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation; for `Accept: application/json` or `*/*` with JSON first, the same answer without parsing.

    Nearly every API client sends one of those two, and parsing the header would give the known answer again on
    every request.
    """

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str] | Any:
        if (
            isinstance(renderers, list)  # as APIView passes them
            and renderers
            and renderers[0].media_type == JSON
            and not format_suffix
            and request.META.get("HTTP_ACCEPT", "*/*") in PLAIN_JSON_ACCEPTS
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], JSON
        return super().select_renderer(request, renderers, format_suffix)
