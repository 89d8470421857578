from __future__ import annotations

from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db

METADATA = "/.well-known/oauth-authorization-server"


def test_the_metadata_names_the_issuer_the_introspection_endpoint_and_the_client_authentication_methods(api):
    response = api.get(METADATA)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "issuer": "http://testserver",
        "introspection_endpoint": "http://testserver/api/v1/auth/introspect",
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
        "grant_types_supported": [],
    }


def test_the_configured_issuer_is_used_and_the_endpoint_hangs_off_it(api, settings):
    settings.SSO_ISSUER = "https://sso.example.test"

    body = api.get(METADATA).json()

    assert body["issuer"] == "https://sso.example.test"
    assert body["introspection_endpoint"] == "https://sso.example.test/api/v1/auth/introspect"


def test_behind_a_tls_proxy_the_issuer_is_https(api, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    # As nginx sends them: the Host header without a port, and the scheme the client used.
    body = api.get(METADATA, HTTP_HOST="testserver", HTTP_X_FORWARDED_PROTO="https").json()

    assert body["issuer"] == "https://testserver"
