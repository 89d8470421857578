"""A real HTTP server standing for the Pixora API, on 127.0.0.1 and a free port, that misbehaves on demand.

    with PixoraApiStub() as upstream:              # serving in a thread until the block ends
        settings.MAIN_API_URL = upstream.url        # http://127.0.0.1:<port>
        upstream.behave("hang")                     # every later request hangs (see MODES)
        upstream.behave("refuse")                   # the port closed; any other mode opens it again
        ...
        upstream.paths                              # every path received, in order (query strings included)
        upstream.requests[0].headers                # and the headers each request came with
        upstream.reset()                            # back to "ok", nothing recorded

Answers to GET /api/session/<id>/services are `services_payload(<id>)` unless `payload=` says otherwise; any
other path gets the same answer, so a test sees what a wrong URL would have fetched in `paths`.

Session photos follow Pixora's contract (PHOTO_FAULTS lists how one photo can misbehave):

        upstream.set_photos(session_id, [StubPhoto("p1", jpeg), StubPhoto("p2", jpeg, fault="hang")])
        GET /api/session/<id>/photos?page=1     -> {"photos": [{"id", "url", "thumbnail_url"}, ...], "next_page": 2}
        GET /media/photos/<id>/<photo id>       -> the photo's bytes
        GET /media/thumbnails/<id>/<photo id>   -> a JPEG at most THUMBNAIL_MAX_SIDE px on its longest side

The global modes of `behave()` apply to these paths too. From a shell, for `make run`:

    python -m testing.upstream --host 127.0.0.1 --port 8001 --demo
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import signal
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from PIL import Image, ImageOps, UnidentifiedImageError

from testing.faces import session_photo_set

SERVICES_PATH_PREFIX = "/api/session/"
PHOTOS_PATH_SUFFIX = "/photos"
PHOTO_MEDIA_PREFIX = "/media/photos/"
THUMBNAIL_MEDIA_PREFIX = "/media/thumbnails/"
DEMO_SESSION_ID = "11111111-1111-4111-8111-111111111111"
DEFAULT_PAGE_SIZE = 50
THUMBNAIL_MAX_SIDE = 320
HUGE_PHOTO_BYTES = 64 * 1024 * 1024
SLOW_PHOTO_SECONDS = 1.0
HANG_LIMIT_SECONDS = 120
JPEG_MAGIC = b"\xff\xd8\xff\xe0"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
HTML_ERROR_PAGE = b"<html><body><h1>502 Bad Gateway</h1><p>secret stack trace</p></body></html>"

MODES = {
    "ok": "200 with the JSON payload",
    "slow": "the same after `delay` seconds",
    "hang": "never answers (until behave() is called again or the server stops)",
    "drop": "closes the connection without answering",
    "trickle": "200 with a Content-Length, then one byte every `delay` seconds (default 0.3)",
    "huge": "200 with a chunked JSON body of `body_bytes` bytes, streamed",
    "html": "200 with an HTML error page as text/html",
    "status": "`status` with a JSON error body that must not leak",
    "refuse": "the listener is closed: new connections are refused, kept-alive ones dropped, as a dead host would",
}

PHOTO_FAULTS = {
    "hang": "the image URL never answers (until behave() is called or the server stops)",
    "404": "the image URL answers 404 with a JSON error",
    "html": "the image URL answers 200 with an HTML page as text/html",
    "huge": f"the image URL streams {HUGE_PHOTO_BYTES} bytes of image/jpeg, chunked, starting like a JPEG",
    "slow": f"the image URL answers after {SLOW_PHOTO_SECONDS:g} s",
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
class StubPhoto:
    """A photo of a session: its bytes at the image URL, and how that URL misbehaves (PHOTO_FAULTS), if it does."""

    id: str
    data: bytes
    fault: str | None = None
    content_type: str = "image/jpeg"
    thumbnail: bool = True

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in PHOTO_FAULTS:
            raise ValueError(f"unknown photo fault {self.fault!r}; one of {', '.join(PHOTO_FAULTS)}")


@dataclass(frozen=True)
class _Reply:
    status: int
    content_type: str
    body: bytes


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
    page_size: int = DEFAULT_PAGE_SIZE
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        self._release = threading.Event()
        self._photos_lock = threading.Lock()
        self._photos: dict[str, tuple[StubPhoto, ...]] = {}
        self._thumbnails: dict[StubPhoto, bytes | None] = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                stub.requests.append(RecordedRequest(self.path, dict(self.headers.items())))
                stub._answer(self)

        self._handler = Handler
        self._listening = False
        self.server = _QuietServer((self.host, self.port), Handler)
        self.url = f"http://{self.host}:{self.server.server_address[1]}"

    def __enter__(self) -> PixoraApiStub:
        self._listen()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._close()

    def _listen(self) -> None:
        if not self._listening:
            if self.server.socket.fileno() == -1:
                # Reopened on the same port (the server allows address reuse), so the app's URL still holds.
                self.server = _QuietServer((self.host, self.server.server_address[1]), self._handler)
            # A short poll so that stopping takes milliseconds, not serve_forever's default half second.
            threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            self._listening = True

    def _close(self) -> None:
        if self._listening:
            self.server.shutdown()
            self._listening = False
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
        if mode == "refuse":
            self._close()
        else:
            self._listen()

    def reset(self) -> None:
        """Answer normally again and forget the requests received; the photos set stay."""
        self.behave("ok")
        self.requests.clear()

    def set_photos(self, session_id: str, photos: Iterable[StubPhoto]) -> None:
        """Serve these photos for the session from now on, in this order; an empty list is a session without photos."""
        listed = tuple(photos)
        ids = [photo.id for photo in listed]
        if len(set(ids)) != len(ids):
            raise ValueError(f"photo ids repeat in session {session_id}")
        with self._photos_lock:
            self._photos[session_id] = listed

    def photo_url(self, session_id: str, photo_id: str) -> str:
        return f"{self.url}{PHOTO_MEDIA_PREFIX}{quote(session_id, safe='')}/{quote(photo_id, safe='')}"

    def thumbnail_url(self, session_id: str, photo_id: str) -> str:
        return f"{self.url}{THUMBNAIL_MEDIA_PREFIX}{quote(session_id, safe='')}/{quote(photo_id, safe='')}"

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        behaviour, release = self.behaviour, self._release
        mode = behaviour.mode
        if mode == "refuse":
            # A request on a connection kept alive from before the listener closed.
            handler.close_connection = True
            return
        if mode == "hang":
            release.wait(timeout=HANG_LIMIT_SECONDS)
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
        if mode == "html":
            reply = _Reply(200, HTML_CONTENT_TYPE, HTML_ERROR_PAGE)
        elif mode == "status":
            body = json.dumps({"error": "upstream says no", "internal": "do not leak"}).encode()
            reply = _Reply(behaviour.status, JSON_CONTENT_TYPE, body)
        else:
            routed = self._route(handler, behaviour, release)
            if routed is None:
                return
            reply = routed
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        if mode != "trickle":
            handler.wfile.write(reply.body)
            return
        for byte in reply.body:
            if release.wait(timeout=behaviour.delay or 0.3):
                handler.close_connection = True
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    @staticmethod
    def _services_reply(path: str, behaviour: Behaviour) -> _Reply:
        session_id = path.removeprefix(SERVICES_PATH_PREFIX).split("/", 1)[0]
        payload = behaviour.payload if behaviour.payload is not None else services_payload(session_id)
        return _Reply(200, JSON_CONTENT_TYPE, json.dumps(payload, ensure_ascii=False).encode())

    def _route(self, handler: BaseHTTPRequestHandler, behaviour: Behaviour, release: threading.Event) -> _Reply | None:
        """The reply the path asks for, or None when a photo's fault has already dealt with the request."""
        url = urlsplit(handler.path)
        if url.path.startswith(SERVICES_PATH_PREFIX) and url.path.endswith(PHOTOS_PATH_SUFFIX):
            session_id = url.path.removeprefix(SERVICES_PATH_PREFIX).removesuffix(PHOTOS_PATH_SUFFIX)
            if session_id and "/" not in session_id:
                return self._photos_page(unquote(session_id), parse_qs(url.query).get("page", []))
        for prefix in (PHOTO_MEDIA_PREFIX, THUMBNAIL_MEDIA_PREFIX):
            if url.path.startswith(prefix):
                parts = url.path.removeprefix(prefix).split("/")
                photo = self._photo(*map(unquote, parts)) if len(parts) == 2 else None
                if photo is None:
                    return _json_reply(HTTPStatus.NOT_FOUND, {"error": "not found"})
                if prefix == THUMBNAIL_MEDIA_PREFIX:
                    return self._thumbnail_reply(photo)
                return self._photo_reply(handler, photo, release)
        return self._services_reply(handler.path, behaviour)

    def _photo(self, session_id: str, photo_id: str) -> StubPhoto | None:
        with self._photos_lock:
            photos = self._photos.get(session_id, ())
        return next((photo for photo in photos if photo.id == photo_id), None)

    def _photos_page(self, session_id: str, pages: list[str]) -> _Reply:
        page = pages[0] if len(pages) == 1 else ""
        if not (page.isascii() and page.isdigit() and int(page) >= 1):
            return _json_reply(HTTPStatus.BAD_REQUEST, {"error": "page must be a whole number from 1"})
        with self._photos_lock:
            photos = self._photos.get(session_id)
        if photos is None:
            return _json_reply(HTTPStatus.NOT_FOUND, {"error": "not found"})
        number = int(page)
        start = (number - 1) * self.page_size
        listed = [
            {
                "id": photo.id,
                "url": self.photo_url(session_id, photo.id),
                "thumbnail_url": self.thumbnail_url(session_id, photo.id) if photo.thumbnail else None,
            }
            for photo in photos[start : start + self.page_size]
        ]
        next_page = number + 1 if start + self.page_size < len(photos) else None
        return _json_reply(HTTPStatus.OK, {"photos": listed, "next_page": next_page})

    def _photo_reply(
        self, handler: BaseHTTPRequestHandler, photo: StubPhoto, release: threading.Event
    ) -> _Reply | None:
        if photo.fault == "hang":
            release.wait(timeout=HANG_LIMIT_SECONDS)
            handler.close_connection = True
            return None
        if photo.fault == "huge":
            self._send_huge_photo(handler)
            return None
        if photo.fault == "404":
            return _json_reply(HTTPStatus.NOT_FOUND, {"error": "not found"})
        if photo.fault == "html":
            return _Reply(200, HTML_CONTENT_TYPE, HTML_ERROR_PAGE)
        if photo.fault == "slow":
            time.sleep(SLOW_PHOTO_SECONDS)
        return _Reply(200, photo.content_type, photo.data)

    def _thumbnail_reply(self, photo: StubPhoto) -> _Reply:
        if not photo.thumbnail:
            return _json_reply(HTTPStatus.NOT_FOUND, {"error": "not found"})
        with self._photos_lock:
            cached = photo in self._thumbnails
            thumbnail = self._thumbnails.get(photo)
        if not cached:
            thumbnail = _thumbnail(photo.data)
            with self._photos_lock:
                self._thumbnails[photo] = thumbnail
        if thumbnail is None:
            return _json_reply(HTTPStatus.NOT_FOUND, {"error": "not found"})
        return _Reply(200, "image/jpeg", thumbnail)

    @staticmethod
    def _send_huge_photo(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/jpeg")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = bytes(65536)
        try:
            for offset in range(0, HUGE_PHOTO_BYTES, len(chunk)):
                part = JPEG_MAGIC + chunk[len(JPEG_MAGIC) :] if offset == 0 else chunk
                handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            # The client hung up, which is what a size limit on its side should do.
            handler.close_connection = True

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


def _json_reply(status: int, payload: Any) -> _Reply:
    return _Reply(status, JSON_CONTENT_TYPE, json.dumps(payload).encode())


def _thumbnail(data: bytes) -> bytes | None:
    """The photo upright, at most THUMBNAIL_MAX_SIDE px on its longest side, as JPEG; None if it is no image."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None
    image.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in Pixora API until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m testing.upstream", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 for any free port")
    parser.add_argument(
        "--demo", action="store_true", help=f"serve testing.faces.session_photo_set() for session {DEMO_SESSION_ID}"
    )
    arguments = parser.parse_args(argv)
    stub = PixoraApiStub(host=arguments.host, port=arguments.port)
    if arguments.demo:
        stub.set_photos(DEMO_SESSION_ID, [StubPhoto(photo.id, photo.data) for photo in session_photo_set()])
    # SIGTERM leaves through the with-block like Ctrl-C, so the socket is closed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with stub:
        print(f"Pixora API stub serving on {stub.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
