from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers


class LoginRequestSerializer(serializers.Serializer[Mapping[str, object]]):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class LoginCodeRequestSerializer(serializers.Serializer[Mapping[str, object]]):
    email = serializers.EmailField(max_length=254)


class LoginCodeRedeemSerializer(serializers.Serializer[Mapping[str, object]]):
    email = serializers.EmailField(max_length=254)
    code = serializers.RegexField(
        r"^[A-Za-z0-9 -]{10,16}$", error_messages={"invalid": "A code is 10 letters and digits, such as ABCDE-FGHJK."}
    )


class UserSerializer(serializers.Serializer[Mapping[str, object]]):
    username = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())


class LoginResponseSerializer(serializers.Serializer[Mapping[str, object]]):
    token = serializers.CharField()
    token_type = serializers.CharField()
    expires_at = serializers.DateTimeField()
    user = UserSerializer()


class ValidationResponseSerializer(serializers.Serializer[Mapping[str, object]]):
    active = serializers.BooleanField()
    username = serializers.CharField(required=False)
    permissions = serializers.ListField(child=serializers.CharField(), required=False)
    expires_at = serializers.DateTimeField(required=False)
    detail = serializers.CharField(required=False)


class IntrospectionRequestSerializer(serializers.Serializer[Mapping[str, object]]):
    token = serializers.CharField(trim_whitespace=False)
    token_type_hint = serializers.CharField(required=False, help_text="Accepted and ignored: there is one kind.")


class IntrospectionResponseSerializer(serializers.Serializer[Mapping[str, object]]):
    """RFC 7662 §2.2; an inactive token is `{"active": false}` and nothing else."""

    active = serializers.BooleanField()
    scope = serializers.CharField(required=False, help_text="The user's permissions, space-separated.")
    username = serializers.CharField(required=False)
    token_type = serializers.CharField(required=False)
    exp = serializers.IntegerField(required=False)
    iat = serializers.IntegerField(required=False)
    sub = serializers.CharField(required=False)
    iss = serializers.CharField(required=False)
    permissions = serializers.ListField(child=serializers.CharField(), required=False)


class TokenCheckSerializer(serializers.Serializer[Mapping[str, object]]):
    username = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())


class AuthorizationServerMetadataSerializer(serializers.Serializer[Mapping[str, object]]):
    issuer = serializers.CharField()
    introspection_endpoint = serializers.CharField()
    introspection_endpoint_auth_methods_supported = serializers.ListField(child=serializers.CharField())
    response_types_supported = serializers.ListField(child=serializers.CharField())
    grant_types_supported = serializers.ListField(child=serializers.CharField())


class SessionSerializer(serializers.Serializer[Mapping[str, object]]):
    username = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    ip = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()
