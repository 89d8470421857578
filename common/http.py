"""The one place outgoing HTTP sessions are made: pooled, keep-alive, always timed out, one connection retry.

session = pooled_session("auth", timeout=(2, 5))   # once per process and name; later calls get the same one
response = session.get(url)                        # the session's timeout applies unless the call gives one
"""

from __future__ import annotations

import os
import threading
import time
from http.cookiejar import DefaultCookiePolicy
from types import TracebackType
from typing import Any, Self

import requests
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

# (connect, read) seconds, as requests takes them.
Timeout = tuple[float, float]
# For an upstream that names none: short enough that a hung upstream can't hold a worker thread for long.
DEFAULT_TIMEOUT: Timeout = (3.0, 10.0)


class ConnectionRetry(Retry):
    """Retries a refused connect, or a connection reset or closed before an answer; never a read timeout.

    urllib3 counts a reset (ProtocolError) and a read timeout alike as read errors; only the reset means the
    request never got an answer. After a read timeout the upstream may still be working on it, and the
    caller has already waited the whole timeout.
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError):
            raise error.with_traceback(_stacktrace)
        return super().increment(method, url, response, error, _pool, _stacktrace)


# At most one retry, on connection errors only, for idempotent methods; statuses and redirects pass through.
CONNECT_RETRY_ONCE = ConnectionRetry(
    total=1, connect=1, read=1, status=0, other=0, redirect=0, allowed_methods={"GET", "HEAD"}, raise_on_status=False
)


class UpstreamSession(requests.Session):
    """A Session that never waits without a timeout, and keeps no cookies between calls."""

    def __init__(self, timeout: Timeout) -> None:
        super().__init__()
        self.timeout = timeout
        # Environment proxies and .netrc must never redirect or authenticate our server-to-server calls.
        self.trust_env = False
        # Calls are made on behalf of many users: a cookie one answer sets must never go out with another's.
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


_sessions: dict[str, UpstreamSession] = {}
_sessions_lock = threading.Lock()


def pooled_session(
    name: str, *, timeout: Timeout = DEFAULT_TIMEOUT, pool_maxsize: int = 32, retry: Retry = CONNECT_RETRY_ONCE
) -> UpstreamSession:
    """This process's shared session for one upstream, created on first use with these defaults."""
    session = _sessions.get(name)
    if session is not None:
        return session
    with _sessions_lock:
        if name not in _sessions:
            session = UpstreamSession(timeout)
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _sessions[name] = session
        return _sessions[name]


def _forget_sessions_after_fork() -> None:
    """A forked child (a server worker) starts with no sessions: sockets are never shared."""
    global _sessions_lock
    _sessions.clear()
    _sessions_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_sessions_after_fork)

READ_CHUNK_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """The answer declared or sent more bytes than the caller accepts."""


class BodyTimeout(Exception):
    """The answer's bytes did not all arrive before the deadline, or a wait for them outlasted the read timeout."""


def body_read_bounded(response: requests.Response, *, limit: int, deadline: float, read_timeout: float) -> bytes:
    """A streamed answer's body: stops past `limit` bytes, and at `deadline` (monotonic) however slow the bytes.

    Decoding and connection errors are left to the caller, which knows what they mean for its upstream.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    connection = response.raw.connection
    sock = connection.sock if connection is not None else None
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BodyTimeout()
            if sock is not None:
                # Each wait for bytes ends at the deadline, so a trickle can't stretch the call past it.
                sock.settimeout(min(read_timeout, remaining))
            chunk = response.raw.read1(READ_CHUNK_BYTES, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            chunks.append(chunk)
    except (ReadTimeoutError, TimeoutError) as exc:
        raise BodyTimeout() from exc
    return b"".join(chunks)
