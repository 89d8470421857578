"""A real HTTP server standing for the Pixora API, on 127.0.0.1 and a free port, that misbehaves on demand.

    with PixoraApiStub() as upstream:              # serving in a thread until the block ends
        settings.MAIN_API_URL = upstream.url        # http://127.0.0.1:<port>
        upstream.behave("hang")                     # every later request hangs (see MODES)
        ...
        upstream.paths                              # every path received, in order (query strings included)
        upstream.requests[0].headers                # and the headers each request came with
        upstream.reset()                            # back to "ok", nothing recorded

Answers to GET /api/session/<id>/services are `services_payload(<id>)` unless `payload=` says otherwise; any
other path gets the same answer, so a test sees what a wrong URL would have fetched in `paths`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SERVICES_PATH_PREFIX = "/api/session/"

MODES = {
    "ok": "200 with the JSON payload",
    "slow": "the same after `delay` seconds",
    "hang": "never answers (until behave() is called again or the server stops)",
    "drop": "closes the connection without answering",
    "trickle": "200 with a Content-Length, then one byte every `delay` seconds (default 0.3)",
    "huge": "200 with a chunked JSON body of `body_bytes` bytes, streamed",
    "html": "200 with an HTML error page as text/html",
    "status": "`status` with a JSON error body that must not leak",
}


def services_payload(session_id: str) -> dict[str, Any]:
    """What Pixora answers for a session's services (the contract the page and the proxy rely on)."""
    return {
        "session_id": session_id,
        "currency": "EUR",
        "services": [
            {"id": "retouch", "name": "Retouching", "description": "Skin and light, per photo", "price": "15.00"},
            {"id": "print-a4", "name": "Print A4 — glossy", "description": "Premium paper", "price": "9.50"},
            {"id": "album", "name": "Фотоальбом 写真集", "description": "30 pages", "price": "120.00"},
        ],
    }


@dataclass(frozen=True)
class Behaviour:
    mode: str = "ok"
    delay: float = 0.0
    status: int = 200
    body_bytes: int = 0
    payload: Any = None


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is what several modes provoke; no traceback on stderr."""


@dataclass
class PixoraApiStub:
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._release = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                stub.requests.append(RecordedRequest(self.path, dict(self.headers.items())))
                stub._answer(self)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> PixoraApiStub:
        # A short poll so that stopping takes milliseconds, not serve_forever's default half second.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def behave(self, mode: str, **options: Any) -> None:
        """Answer every later request this way (MODES); requests hanging or trickling until now are let go."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        self.behaviour = Behaviour(mode=mode, **options)
        self._release.set()
        self._release = threading.Event()

    def reset(self) -> None:
        """Answer normally again and forget the requests received."""
        self.behave("ok")
        self.requests.clear()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        behaviour, release = self.behaviour, self._release
        mode = behaviour.mode
        if mode == "hang":
            release.wait(timeout=120)
            handler.close_connection = True
            return
        if mode == "drop":
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        if mode == "slow" and release.wait(timeout=behaviour.delay):
            return
        if mode == "huge":
            self._send_huge(handler, behaviour.body_bytes)
            return
        status, content_type, body = behaviour.status if mode == "status" else 200, "application/json", b""
        if mode == "html":
            content_type = "text/html"
            body = b"<html><body><h1>502 Bad Gateway</h1><p>secret stack trace</p></body></html>"
        elif mode == "status":
            body = json.dumps({"error": "upstream says no", "internal": "do not leak"}).encode()
        else:
            session_id = handler.path.removeprefix(SERVICES_PATH_PREFIX).split("/", 1)[0]
            payload = behaviour.payload if behaviour.payload is not None else services_payload(session_id)
            body = json.dumps(payload, ensure_ascii=False).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", f"{content_type}; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if mode != "trickle":
            handler.wfile.write(body)
            return
        for byte in body:
            if release.wait(timeout=behaviour.delay or 0.3):
                handler.close_connection = True
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    @staticmethod
    def _send_huge(handler: BaseHTTPRequestHandler, body_bytes: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"x" * 65536
        parts = [b'{"padding": "', *([chunk] * (body_bytes // len(chunk))), b'"}']
        for part in parts:
            handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")
