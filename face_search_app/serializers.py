from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers

from face_search_app.models import FaceSearchRequest


class FaceSearchAcceptedSerializer(serializers.ModelSerializer[FaceSearchRequest]):
    class Meta:
        model = FaceSearchRequest
        fields = ["id", "status"]


class FaceSearchUploadSerializer(serializers.Serializer[Mapping[str, object]]):
    image = serializers.FileField(help_text="The selfie, a JPEG or PNG (judged by content).")
    consent = serializers.BooleanField(
        help_text="true: the customer agreed that the selfie is used for this search and deleted afterwards."
    )


class ProgressSerializer(serializers.Serializer[Mapping[str, object]]):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class MatchSerializer(serializers.Serializer[Mapping[str, object]]):
    photo_id = serializers.CharField()
    url = serializers.URLField()
    thumbnail_url = serializers.URLField(allow_null=True)
    distance = serializers.FloatField()


class FaceSearchSerializer(serializers.Serializer[Mapping[str, object]]):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=FaceSearchRequest.Status.choices)
    progress = ProgressSerializer(allow_null=True)
    matches = MatchSerializer(many=True)
    error = serializers.CharField(allow_null=True)


class PixoraWebhookSerializer(serializers.Serializer[Mapping[str, object]]):
    event = serializers.ChoiceField(choices=["session.photos_changed", "session.updated"])
    session_id = serializers.UUIDField()
