"""The Pixora stand-in misbehaving on demand: as a dead host (its port refused, then served again on the same URL),
and for one session only."""

from __future__ import annotations

import http.client
import threading
import time
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
import requests

from testing.upstream import PixoraApiStub, services_payload

SESSION_ID = "5e55104f-0000-4000-8000-000000000002"
OTHER_SESSION_ID = "5e55104f-0000-4000-8000-000000000003"
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
        address = urlsplit(stub.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=2)
        connection.request("GET", SERVICES_PATH)
        first = connection.getresponse()
        first.read()
        stub.behave("refuse")
        connection.request("GET", SERVICES_PATH)
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            connection.getresponse()
        connection.close()

    assert first.status == HTTPStatus.OK


def test_one_session_hangs_while_the_others_answer_and_ok_lets_it_go():
    with PixoraApiStub() as stub:
        stub.behave_for(SESSION_ID, "hang")
        hung: list[requests.Response | Exception] = []

        def call() -> None:
            try:
                hung.append(requests.get(stub.url + SERVICES_PATH, timeout=5))
            except requests.RequestException as exc:
                hung.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        other = requests.get(f"{stub.url}/api/session/{OTHER_SESSION_ID}/services", timeout=2)
        time.sleep(0.3)
        still_hanging = caller.is_alive()
        stub.behave_for(SESSION_ID, "ok")
        caller.join(timeout=5)
        after = requests.get(stub.url + SERVICES_PATH, timeout=2)

    assert other.status_code == HTTPStatus.OK
    assert still_hanging
    assert not caller.is_alive()
    assert after.json() == services_payload(SESSION_ID)


def test_each_request_is_recorded_with_the_clients_port():
    with PixoraApiStub() as stub:
        address = urlsplit(stub.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=2)
        connection.request("GET", SERVICES_PATH)
        connection.getresponse().read()
        client_port = connection.sock.getsockname()[1]
        connection.close()

    assert [(r.path, r.client_port) for r in stub.requests] == [(SERVICES_PATH, client_port)]
