"""The per-pod request log: a middleware appends to a bounded buffer; a daemon thread writes it in batches.

A request never waits for the database and never fails because of the log: when the database is down a batch
is retried on the next FLUSH_MAX_ATTEMPTS ticks, then dropped with an error in the log. When more than
BUFFER_MAX_ENTRIES entries wait, the oldest are dropped first (and counted in `dropped`).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from sso_app.models import RequestLogEntry

logger = logging.getLogger(__name__)

LOGGED_URL_NAMES = frozenset({"remote-services", "session-validate", "sessions-validate-many"})
BUFFER_MAX_ENTRIES = 10_000
FLUSH_INTERVAL_SECONDS = 1.0
FLUSH_BATCH_SIZE = 500
FLUSH_MAX_ATTEMPTS = 3
PATH_MAX = 2048


class RequestLogBuffer:
    """Entries waiting to be written, and the background writer of this process."""

    def __init__(self, *, max_entries: int = BUFFER_MAX_ENTRIES, background: bool = True) -> None:
        self.entries: deque[RequestLogEntry] = deque(maxlen=max_entries)
        self.background = background
        self.dropped = 0
        self._pending: list[RequestLogEntry] = []
        self._attempts = 0
        self._wake = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._owner_pid: int | None = None
        self._start_lock = threading.Lock()
        self._stopped = threading.Event()

    def append(self, entry: RequestLogEntry) -> None:
        if len(self.entries) == self.entries.maxlen:
            self.dropped += 1
        self.entries.append(entry)
        if self.background and self._owner_pid != os.getpid():
            self._start()
        if len(self.entries) >= FLUSH_BATCH_SIZE:
            self._wake.set()

    def _start(self) -> None:
        # Started on first use in each process: a thread started before gunicorn forks would not exist in workers.
        with self._start_lock:
            if self._owner_pid == os.getpid():
                return
            self._wake = threading.Event()
            self._flush_lock = threading.Lock()
            self._thread = threading.Thread(target=self._run, name="request-log-writer", daemon=True)
            self._thread.start()
            self._owner_pid = os.getpid()
            atexit.register(self.flush)

    def stop(self) -> None:
        """End the background writer (after a last flush of what it was given)."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(FLUSH_INTERVAL_SECONDS)
            self._wake.clear()
            try:
                close_old_connections()
                self.flush()
            except Exception:  # the writer must outlive anything a flush can raise
                logger.exception("request log writer failed")
            if self._attempts:
                # A failing database is retried once a tick, however many entries arrive meanwhile.
                time.sleep(FLUSH_INTERVAL_SECONDS)

    def flush(self) -> int:
        """Write what waits, in batches; the number of rows written. Never raises for a database error."""
        written = 0
        with self._flush_lock:
            while True:
                if not self._pending:
                    while self.entries and len(self._pending) < FLUSH_BATCH_SIZE:
                        self._pending.append(self.entries.popleft())
                if not self._pending:
                    return written
                try:
                    RequestLogEntry.objects.bulk_create(self._pending)
                except DatabaseError as exc:
                    self._attempts += 1
                    if self._attempts >= FLUSH_MAX_ATTEMPTS:
                        logger.error(
                            "request log: dropped %d entries after %d failed writes: %s",
                            len(self._pending),
                            self._attempts,
                            exc,
                        )
                        self.dropped += len(self._pending)
                        self._pending, self._attempts = [], 0
                    else:
                        logger.warning("request log: write failed (attempt %d), will retry: %s", self._attempts, exc)
                    return written
                written += len(self._pending)
                self._pending, self._attempts = [], 0


BUFFER = RequestLogBuffer()


def pod_name() -> str:
    # DNS names are case-insensitive; the log keeps them lower-case so lookups can use the index.
    return settings.POD_NAME.lower()[:63]


class RequestLogMiddleware:
    """Records the requests of LOGGED_URL_NAMES; the cost on the request is one object and one deque append."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.pod = pod_name()
        BUFFER.background = getattr(settings, "REQUEST_LOG_BACKGROUND_FLUSH", True)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        try:
            match = getattr(request, "resolver_match", None)
            if match is not None and match.url_name in LOGGED_URL_NAMES:
                BUFFER.append(
                    RequestLogEntry(
                        pod=self.pod,
                        created_at=timezone.now(),
                        method=request.method or "",
                        path=request.path[:PATH_MAX],
                        url_name=match.url_name,
                        status=response.status_code,
                        duration_ms=round((time.perf_counter() - started) * 1000, 3),
                        request_id=getattr(request, "request_id", "")[:128],
                    )
                )
        except Exception:  # recording must never fail the request it records
            logger.exception("request log: could not record a request")
        return response
