"""The shared outgoing session: always a timeout, no cookies kept, one retry on connection errors only."""

from __future__ import annotations

import os
import time

import pytest
import requests
import responses
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError

from common import http
from common.http import CONNECT_RETRY_ONCE, DEFAULT_TIMEOUT, pooled_session
from testing.upstream import PixoraApiStub


@pytest.fixture(autouse=True)
def no_sessions():
    http._sessions.clear()
    yield
    http._sessions.clear()


def test_one_session_per_name():
    first = pooled_session("auth", timeout=(1, 2))

    assert pooled_session("auth", timeout=(5, 5)) is first
    assert pooled_session("pixora", timeout=(1, 2)) is not first


def test_the_session_timeout_applies_when_a_call_gives_none():
    session = pooled_session("test", timeout=(1, 0.3))
    with PixoraApiStub() as upstream:
        upstream.behave("hang")
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            session.get(upstream.url, timeout=None)

    assert time.monotonic() - started < 1


@responses.activate
def test_a_cookie_one_answer_sets_never_goes_out_with_the_next_call():
    responses.get("http://upstream.test/a", headers={"Set-Cookie": "sticky=user-a; Path=/"}, json={})
    responses.get("http://upstream.test/b", json={})
    session = pooled_session("test", timeout=(1, 1))

    session.get("http://upstream.test/a")
    session.get("http://upstream.test/b")

    assert "Cookie" not in responses.calls[1].request.headers


def test_environment_proxies_are_ignored(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    session = pooled_session("test", timeout=(1, 1))
    with PixoraApiStub() as upstream:
        assert session.get(upstream.url + "/api/session/x/services").status_code == 200
        assert upstream.paths == ["/api/session/x/services"]


def test_a_refused_connection_is_retried_once():
    refused = NewConnectionError(HTTPConnection("127.0.0.1"), "refused")
    once = CONNECT_RETRY_ONCE.increment("GET", "/", error=refused)

    with pytest.raises(MaxRetryError):
        once.increment("GET", "/", error=refused)


def test_a_reset_connection_is_retried_once():
    reset = ProtocolError("Connection aborted.", ConnectionResetError())
    once = CONNECT_RETRY_ONCE.increment("GET", "/", error=reset)

    with pytest.raises(MaxRetryError):
        once.increment("GET", "/", error=reset)


def test_a_read_timeout_is_never_retried():
    with pytest.raises(ReadTimeoutError):
        CONNECT_RETRY_ONCE.increment(
            "GET", "/", error=ReadTimeoutError(HTTPConnectionPool("127.0.0.1"), "/", "read timed out")
        )


def test_a_forked_child_starts_without_the_parents_sessions():
    pooled_session("test", timeout=(1, 1))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it inherited the session, and leave at once
        os.write(write_end, b"1" if http._sessions else b"0")
        os._exit(0)
    os.waitpid(pid, 0)

    assert os.read(read_end, 1) == b"0"
    assert "test" in http._sessions


def test_a_session_named_without_timeouts_still_has_them():
    assert pooled_session("test").timeout == DEFAULT_TIMEOUT
