"""The request log's writer: a bounded buffer the middleware appends to, written in batches by a daemon thread.

A request never waits for the database and never fails because of the log: when the database is down a batch
is retried on the next FLUSH_MAX_ATTEMPTS ticks, then dropped with an error in the log. When more than
BUFFER_MAX_ENTRIES entries wait, the oldest are dropped first (and counted in `dropped`).

Entries wait as plain tuples, not models: a request pays for a tuple, not for a model's __init__ and its signals.
On PostgreSQL a batch is one COPY, a tenth of the CPU of the ORM's multi-row INSERT for the same rows.
"""

from __future__ import annotations

import atexit
import csv
import io
import logging
import os
import threading
import time
from collections import deque
from datetime import datetime
from typing import NamedTuple

from django.db import DatabaseError, close_old_connections, connections, router

from request_log_app.models import RequestLogEntry

logger = logging.getLogger(__name__)

BUFFER_MAX_ENTRIES = 10_000
FLUSH_INTERVAL_SECONDS = 1.0
FLUSH_BATCH_SIZE = 500
FLUSH_MAX_ATTEMPTS = 3


class PendingEntry(NamedTuple):
    """A request log row waiting to be written: RequestLogEntry's fields but its id."""

    pod: str
    created_at: datetime
    method: str
    path: str
    url_name: str
    status: int
    duration_ms: float
    request_id: str


def entries_write(entries: list[PendingEntry]) -> None:
    """Insert these rows: with COPY on PostgreSQL, else with the ORM's bulk insert."""
    connection = connections[router.db_for_write(RequestLogEntry)]
    if connection.vendor != "postgresql":
        RequestLogEntry.objects.using(connection.alias).bulk_create(
            [RequestLogEntry(**entry._asdict()) for entry in entries]
        )
        return
    # CSV with every value quoted: an empty string stays an empty string (unquoted, COPY would read NULL).
    data = io.StringIO()
    csv.writer(data, quoting=csv.QUOTE_ALL).writerows(entries)
    data.seek(0)
    quote = connection.ops.quote_name
    column_of = {field.attname: str(field.column) for field in RequestLogEntry._meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in PendingEntry._fields)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {quote(RequestLogEntry._meta.db_table)} ({columns}) FROM STDIN WITH (FORMAT csv)", data
        )


class RequestLogBuffer:
    """Entries waiting to be written, and the background writer of this process."""

    def __init__(self, *, max_entries: int = BUFFER_MAX_ENTRIES, background: bool = True) -> None:
        self.entries: deque[PendingEntry] = deque(maxlen=max_entries)
        self.background = background
        self.dropped = 0
        self._pending: list[PendingEntry] = []
        self._attempts = 0
        self._wake = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._owner_pid: int | None = None
        self._start_lock = threading.Lock()
        self._stopped = threading.Event()

    def append(self, entry: PendingEntry) -> None:
        if len(self.entries) == self.entries.maxlen:
            self.dropped += 1
        self.entries.append(entry)
        if self.background and self._owner_pid != os.getpid():
            self._start()
        if len(self.entries) >= FLUSH_BATCH_SIZE:
            self._wake.set()

    def _start(self) -> None:
        # Started on first use in each process: a thread started before the server forks would not exist in workers.
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
                    entries_write(self._pending)
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
