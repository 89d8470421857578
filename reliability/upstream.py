"""A Pixora API on a fixed port that the soak can make answer, hang, or refuse connections (listener closed)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from testing.services import free_port
from testing.upstream import SERVICES_PATH_PREFIX, services_payload

HANG_LIMIT_SECONDS = 60


class ControllableUpstream:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._release = threading.Event()
        self._hanging = False
        self._server: ThreadingHTTPServer | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if upstream._server is None:
                    # A kept-alive connection from before the listener closed: drop it, as a dead host would.
                    self.close_connection = True
                    return
                if upstream._hanging:
                    upstream._release.wait(timeout=HANG_LIMIT_SECONDS)
                    self.close_connection = True
                    return
                session_id = self.path.removeprefix(SERVICES_PATH_PREFIX).split("/", 1)[0]
                body = json.dumps(services_payload(session_id), ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def serve(self) -> None:
        """Answer normally (opening the listener again if it was closed)."""
        self._hanging = False
        self._release.set()
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
            self._server.daemon_threads = True
            threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def hang(self) -> None:
        """Accept connections and requests, and never answer them."""
        self._release = threading.Event()
        self._hanging = True

    def refuse(self) -> None:
        """Close the listener: new connections are refused; hung requests are let go."""
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.refuse()
