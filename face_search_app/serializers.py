from __future__ import annotations

from rest_framework import serializers

from face_search_app.models import FaceSearchRequest


class FaceSearchAcceptedSerializer(serializers.ModelSerializer):
    class Meta:
        model = FaceSearchRequest
        fields = ["id", "status"]


class FaceSearchUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="The selfie, a JPEG or PNG (judged by content).")
    consent = serializers.BooleanField(
        help_text="true: the customer agreed that the selfie is used for this search and deleted afterwards."
    )


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class MatchSerializer(serializers.Serializer):
    photo_id = serializers.CharField()
    url = serializers.URLField()
    thumbnail_url = serializers.URLField(allow_null=True)
    distance = serializers.FloatField()


class FaceSearchSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=FaceSearchRequest.Status.choices)
    progress = ProgressSerializer(allow_null=True)
    matches = MatchSerializer(many=True)
    error = serializers.CharField(allow_null=True)


class PixoraWebhookSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=["session.photos_changed", "session.updated"])
    session_id = serializers.UUIDField()
