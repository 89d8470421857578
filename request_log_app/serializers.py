from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from rest_framework import serializers

from request_log_app.models import RequestLogEntry

T = TypeVar("T")
PAGE_DEFAULT = 100
PAGE_MAX = 1000


class RequestLogQuerySerializer(serializers.Serializer[Mapping[str, object]]):
    """The query string. `allow_null` lets an empty value (`?limit=`) reach validate_*, which refuse it, where DRF
    would otherwise take it for an absent one."""

    limit = serializers.IntegerField(
        min_value=1,
        max_value=PAGE_MAX,
        default=PAGE_DEFAULT,
        allow_null=True,
        help_text=f"Entries per page, 1 to {PAGE_MAX}.",
    )
    before = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Only entries older than this (the previous page's next_before)."
    )
    before_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="With before: entries at that very time with a smaller id too (from the previous page).",
    )

    def validate_limit(self, value: int | None) -> int:
        return self.present(value)

    def validate_before(self, value: datetime | None) -> datetime:
        return self.present(value)

    def validate_before_id(self, value: int | None) -> int:
        return self.present(value)

    @staticmethod
    def present(value: T | None) -> T:
        if value is None:
            raise serializers.ValidationError("Give a value, or leave the parameter out.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "before_id" in attrs and "before" not in attrs:
            raise serializers.ValidationError({"before_id": ["Only with before."]})
        return attrs


class RequestLogEntrySerializer(serializers.Serializer[RequestLogEntry]):
    id = serializers.IntegerField()
    pod = serializers.CharField()
    time = serializers.DateTimeField(source="created_at")
    method = serializers.CharField()
    path = serializers.CharField()
    url_name = serializers.CharField()
    status = serializers.IntegerField()
    duration_ms = serializers.FloatField()
    request_id = serializers.CharField()


class RequestLogPageSerializer(serializers.Serializer[Mapping[str, object]]):
    status = serializers.CharField()
    pod_name = serializers.CharField()
    entries = RequestLogEntrySerializer(many=True)
    next_before = serializers.DateTimeField(allow_null=True)
    next_before_id = serializers.IntegerField(allow_null=True)
