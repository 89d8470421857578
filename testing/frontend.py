"""A small page server standing for the browser frontend (http://localhost:3000 in development)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FRONTEND_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Frontend</title></head>
<body><h1>Frontend standing for http://localhost:3000</h1></body></html>
"""


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(FRONTEND_PAGE)))
        self.end_headers()
        self.wfile.write(FRONTEND_PAGE)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def frontend_server() -> Iterator[int]:
    """Serve a blank page on 127.0.0.1 and a free port; yields the port.

    The same server is two origins to a browser: http://localhost:<port> and http://127.0.0.1:<port>.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
