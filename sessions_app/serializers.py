from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from sessions_app.models import PhotoSession
from sessions_app.parsing import SESSION_ID_PATTERN

MAX_BATCH_SIZE = 100


class PhotoSessionSerializer(serializers.ModelSerializer[PhotoSession]):
    class Meta:
        model = PhotoSession
        fields = [
            "id",
            "name",
            "description",
            "status",
            "facepass_enabled",
            "studio_id",
            "photographer_id",
            "service_package_id",
            "scheduled_at",
            "completed_at",
            "created_at",
            "updated_at",
            "settings",
        ]


class ValidationSerializer(serializers.Serializer[Mapping[str, object]]):
    valid = serializers.BooleanField()
    session = PhotoSessionSerializer(allow_null=True)
    error = serializers.CharField(allow_null=True)


class FacePassStatusSerializer(serializers.Serializer[Mapping[str, object]]):
    session_id = serializers.UUIDField()
    facepass_enabled = serializers.BooleanField()
    status = serializers.CharField()


class BatchValidateRequestSerializer(serializers.Serializer[Mapping[str, object]]):
    session_ids = serializers.ListField(
        child=serializers.RegexField(f"^{SESSION_ID_PATTERN}$", error_messages={"invalid": "Must be a UUID."}),
        min_length=1,
        max_length=MAX_BATCH_SIZE,
        error_messages={
            "min_length": "Give at least one session id.",
            "max_length": f"Give at most {MAX_BATCH_SIZE} session ids.",
            "not_a_list": "Must be a list of session ids.",
        },
    )


class BatchResultSerializer(serializers.Serializer[Mapping[str, object]]):
    valid = serializers.BooleanField()
    error = serializers.CharField(allow_null=True)


class BatchValidateResponseSerializer(serializers.Serializer[Mapping[str, object]]):
    results = serializers.DictField(child=BatchResultSerializer())
