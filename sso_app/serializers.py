from __future__ import annotations

from rest_framework import serializers


class LoginRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class LoginCodeRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class LoginCodeRedeemSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    code = serializers.RegexField(
        r"^[A-Za-z0-9 -]{10,16}$", error_messages={"invalid": "A code is 10 letters and digits, such as ABCDE-FGHJK."}
    )


class UserSerializer(serializers.Serializer):
    username = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())


class LoginResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_type = serializers.CharField()
    expires_at = serializers.DateTimeField()
    user = UserSerializer()


class ValidationResponseSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    username = serializers.CharField(required=False)
    permissions = serializers.ListField(child=serializers.CharField(), required=False)
    expires_at = serializers.DateTimeField(required=False)
    detail = serializers.CharField(required=False)


class SessionSerializer(serializers.Serializer):
    username = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    ip = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()


class RequestLogEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pod = serializers.CharField()
    time = serializers.DateTimeField(source="created_at")
    method = serializers.CharField()
    path = serializers.CharField()
    url_name = serializers.CharField()
    status = serializers.IntegerField()
    duration_ms = serializers.FloatField()
    request_id = serializers.CharField()


class RequestLogPageSerializer(serializers.Serializer):
    status = serializers.CharField()
    pod_name = serializers.CharField()
    entries = RequestLogEntrySerializer(many=True)
    next_before = serializers.DateTimeField(allow_null=True)
