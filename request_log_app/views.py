"""A pod's request log, for operators signed in with the read_logs permission."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from request_log_app.errors import InvalidPodName
from request_log_app.pods import DNS_LABEL
from request_log_app.selectors import request_log_page
from request_log_app.serializers import RequestLogPageSerializer, RequestLogQuerySerializer
from sso_app.authentication import SSOTokenAuthentication
from sso_app.permissions import READ_LOGS, CanReadLogs


class RequestLogView(APIView):
    authentication_classes = [SSOTokenAuthentication]
    permission_classes = [CanReadLogs]

    @extend_schema(
        parameters=[RequestLogQuerySerializer],
        responses={
            200: RequestLogPageSerializer,
            400: OpenApiResponse(description="Pod name not a DNS label, or a bad limit, before or before_id."),
            401: OpenApiResponse(description="Missing, malformed, unknown, expired or revoked token."),
            403: OpenApiResponse(description=f"The token's user lacks {READ_LOGS}."),
            503: OpenApiResponse(description="The auth service or the database is unavailable."),
        },
    )
    def get(self, request: Request, pod_name: str) -> Response:
        pod = pod_name.lower()
        if not DNS_LABEL.fullmatch(pod):
            raise InvalidPodName()
        query = RequestLogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        entries = list(request_log_page(pod=pod, **query.validated_data))
        last = entries[-1] if len(entries) == limit else None
        return Response(
            RequestLogPageSerializer(
                {
                    "status": "success",
                    "pod_name": pod,
                    "entries": entries,
                    "next_before": last.created_at if last else None,
                    "next_before_id": last.pk if last else None,
                }
            ).data
        )
