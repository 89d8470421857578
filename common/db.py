"""Reads that survive a persistent database connection that died while it was held."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

T = TypeVar("T")


def read_retrying_once(alias: str, read: Callable[[BaseDatabaseWrapper], T]) -> T:
    """Run a read on this database; once more on a new connection if the one held turns out to be dead.

    For an alias without CONN_HEALTH_CHECKS (a round trip before each request's first query): a held connection
    that died (the server restarted, the backend was killed) is noticed by the failing read instead, and a read is
    safe to repeat. A new connection that fails is not retried: the server is down. Inside a transaction nothing
    is retried: the transaction is lost with the connection.
    """
    connection = connections[alias]
    held = connection.connection is not None
    try:
        return read(connection)
    except (OperationalError, InterfaceError):
        if not held or connection.in_atomic_block:
            raise
        connection.close()
        return read(connection)
