"""RFC 7662 introspection: who may ask (RFC 6749 client authentication), and what the answer says."""

from __future__ import annotations

import base64
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import quote_plus

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from django.utils import timezone

from sso_app.models import ServiceClient
from sso_app.services import client_authenticate, client_create, client_secret_rotate
from sso_app.tests.conftest import PASSWORD, bearer, introspect, service

pytestmark = pytest.mark.django_db


def basic(client_id: str, client_secret: str, *, form_encode: bool = True) -> dict[str, str]:
    if form_encode:
        client_id, client_secret = quote_plus(client_id), quote_plus(client_secret)
    value = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {value}"}


@pytest.fixture
def credentials(db):
    return client_create(name="resource-server")


@pytest.mark.parametrize("form_encode", [True, False])
def test_a_client_authenticates_with_http_basic(api, reader, login, credentials, form_encode):
    token = login("reader")

    response = introspect(
        api, {"token": token}, **basic(credentials.client_id, credentials.client_secret, form_encode=form_encode)
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["active"] is True


def test_a_client_authenticates_with_form_fields(api, reader, login, credentials):
    token = login("reader")

    response = introspect(
        api, {"token": token, "client_id": credentials.client_id, "client_secret": credentials.client_secret}
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["active"] is True


def test_a_gateway_may_present_client_credentials_as_its_service_key(api, reader, login, credentials):
    token = login("reader")
    key = f"{credentials.client_id}:{credentials.client_secret}"

    introspected = introspect(api, {"token": token}, **service(key=key))
    validated = api.post("/api/v1/auth/validate", **service(token, key=key))

    assert introspected.json()["active"] is True
    assert validated.status_code == HTTPStatus.OK


def test_no_credentials_is_a_401_with_a_basic_challenge(api, reader, login):
    response = introspect(api, {"token": login("reader")})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Basic realm="facepass"'
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff:x").decode(),
        "Basic é",
    ],
)
def test_malformed_basic_credentials_are_refused_as_an_invalid_client(api, authorization):
    response = introspect(api, {"token": "A" * 43}, HTTP_AUTHORIZATION=authorization)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


def test_wrong_unknown_and_disabled_clients_are_refused(api, reader, login, credentials):
    token = login("reader")
    wrong = introspect(api, {"token": token}, **basic(credentials.client_id, credentials.client_secret + "x"))
    unknown = introspect(api, {"token": token}, **basic("fpc_nobody", credentials.client_secret))
    ServiceClient.objects.update(enabled=False)
    disabled = introspect(api, {"token": token}, **basic(credentials.client_id, credentials.client_secret))

    for response in (wrong, unknown, disabled):
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["error"] == "invalid_client"
        assert "active" not in response.json()


def test_two_ways_of_client_authentication_at_once_are_refused(api, credentials):
    response = introspect(
        api,
        {"token": "A" * 43, "client_id": credentials.client_id, "client_secret": credentials.client_secret},
        **basic(credentials.client_id, credentials.client_secret),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"
    assert "one way" in response.json()["error_description"]


def test_the_previous_secret_works_while_rotating(api, reader, login, credentials):
    client = ServiceClient.objects.get(client_id=credentials.client_id)
    client_secret_rotate(client=client, overlap=timedelta(hours=1))

    response = introspect(api, {"token": login("reader")}, **basic(credentials.client_id, credentials.client_secret))

    assert response.json()["active"] is True


def test_an_active_token_is_described_with_the_members_of_rfc_7662(api, reader, login, credentials):
    token = login("reader")

    response = introspect(api, {"token": token}, **basic(credentials.client_id, credentials.client_secret))

    body = response.json()
    assert body["active"] is True
    assert body["username"] == "reader"
    assert body["sub"] == str(reader.pk)
    assert body["iss"] == "http://testserver"
    assert body["scope"] == "sso_app.read_logs"
    assert body["token_type"] == "Bearer"
    assert body["exp"] - body["iat"] == 30 * 60
    assert abs(body["iat"] - timezone.now().timestamp()) < 60


def test_the_issuer_is_the_configured_one(api, reader, login, credentials, settings):
    settings.SSO_ISSUER = "https://sso.example.test/"

    response = introspect(api, {"token": login("reader")}, **basic(credentials.client_id, credentials.client_secret))

    assert response.json()["iss"] == "https://sso.example.test"


@pytest.mark.parametrize("value", ["A" * 43, "' OR 1=1 --", "x" * 10_000, "tökén"])
def test_tokens_that_are_not_valid_are_inactive_and_nothing_else(api, value):
    response = introspect(api, {"token": value}, **service())

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"active": False}


def test_a_token_is_inactive_after_logout(api, reader, login):
    token = login("reader")
    api.post("/api/v1/auth/logout", **bearer(token))

    assert introspect(api, {"token": token}, **service()).json() == {"active": False}


def test_without_a_token_the_request_is_invalid(api):
    response = introspect(api, {}, **service())

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"


def test_a_json_body_is_refused_as_an_unsupported_media_type(api, credentials):
    response = api.post(
        "/api/v1/auth/introspect",
        {"token": "A" * 43},
        format="json",
        **basic(credentials.client_id, credentials.client_secret),
    )

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE


@pytest.fixture
def over_http(live_server, monkeypatch, reader):
    """FacePass on a real HTTP server; authlib refuses plain http unless told it is a test."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    answer = requests.post(
        f"{live_server.url}/api/v1/auth/login", json={"username": "reader", "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == HTTPStatus.OK, answer.text
    return live_server.url, answer.json()["token"]


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_third_party_oauth_client_configures_itself_by_discovery_and_introspects(over_http, method):
    base_url, token = over_http
    credentials = client_create(name=f"authlib-{method}")
    metadata = AuthorizationServerMetadata(
        requests.get(f"{base_url}/.well-known/oauth-authorization-server", timeout=10).json()
    )
    metadata.validate_issuer()
    metadata.validate_introspection_endpoint()
    metadata.validate_introspection_endpoint_auth_methods_supported()
    auth_methods = metadata["introspection_endpoint_auth_methods_supported"]
    assert isinstance(auth_methods, list) and method in auth_methods
    endpoint = metadata["introspection_endpoint"]
    assert isinstance(endpoint, str)
    with OAuth2Session(credentials.client_id, credentials.client_secret, token_endpoint_auth_method=method) as session:
        active = session.introspect_token(endpoint, token=token, token_type_hint="access_token")
        inactive = session.introspect_token(endpoint, token="A" * 43)

    assert active.status_code == HTTPStatus.OK
    assert active.json()["active"] is True
    assert active.json()["username"] == "reader"
    assert active.json()["iss"] == metadata["issuer"]
    assert inactive.json() == {"active": False}


def test_a_third_party_client_with_a_wrong_secret_is_refused(over_http):
    base_url, token = over_http
    credentials = client_create(name="authlib-wrong")
    wrong_secret = OAuth2Session(
        credentials.client_id, "not-the-secret", token_endpoint_auth_method="client_secret_basic"
    )
    with wrong_secret as client:
        response = client.introspect_token(f"{base_url}/api/v1/auth/introspect", token=token)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("client_id", ["fpc_\x00" + "A" * 15, "a\x00", "fpc_" + "A" * 300, "fpc_short"])
def test_a_client_id_not_of_the_issued_shape_is_refused_before_any_lookup(
    api, credentials, django_assert_num_queries, client_id
):
    """A NUL byte would make PostgreSQL raise (a 500); such ids never reach the database."""
    with django_assert_num_queries(0):
        assert client_authenticate(client_id=client_id, client_secret=credentials.client_secret) is None

    posted = introspect(api, {"token": "A" * 43, "client_id": client_id, "client_secret": "x"})
    in_basic = introspect(api, {"token": "A" * 43}, **basic(client_id, "x", form_encode=False))
    as_key = api.post("/api/v1/auth/validate", **service("A" * 43, key=f"{client_id}:x"))

    assert (posted.status_code, in_basic.status_code) == (HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED)
    assert as_key.status_code == HTTPStatus.FORBIDDEN
