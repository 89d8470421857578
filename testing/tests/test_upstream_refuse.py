"""The Pixora stand-in can stand for a dead host: its port refuses connections, then serves again on the same URL."""

from __future__ import annotations

import http.client
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
import requests

from testing.upstream import PixoraApiStub, services_payload

SESSION_ID = "5e55104f-0000-4000-8000-000000000002"
SERVICES_PATH = f"/api/session/{SESSION_ID}/services"


def test_refuse_closes_the_port_and_ok_opens_it_again():
    with PixoraApiStub() as stub:
        stub.behave("refuse")
        with pytest.raises(requests.ConnectionError):
            requests.get(stub.url + SERVICES_PATH, timeout=2)

        stub.behave("ok")
        answer = requests.get(stub.url + SERVICES_PATH, timeout=2)

    assert answer.status_code == HTTPStatus.OK
    assert answer.json() == services_payload(SESSION_ID)


def test_refuse_drops_a_connection_kept_alive_from_before():
    with PixoraApiStub() as stub:
        connection = http.client.HTTPConnection(urlsplit(stub.url).netloc, timeout=2)
        connection.request("GET", SERVICES_PATH)
        first = connection.getresponse()
        first.read()
        stub.behave("refuse")
        connection.request("GET", SERVICES_PATH)
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            connection.getresponse()
        connection.close()

    assert first.status == HTTPStatus.OK
