"""Pixora's persistent connection on real PostgreSQL: no health check per request, one retry when it died."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections
from django.test.utils import CaptureQueriesContext

from common.health import CONNECTED, database_check
from sessions_app.selectors import pixora_read, session_row

# No django_db mark: the connection is used as a request uses it, in autocommit with no test transaction around it.
pytestmark = [pytest.mark.postgres]


@pytest.fixture
def pixora_connection_outside_a_transaction(pixora_on_postgres, django_db_blocker):
    """The `pixora` connection as a request holds it: persistent, in autocommit, no test transaction around it."""
    with django_db_blocker.unblock():
        connection = connections["pixora"]
        connection.close()
        yield connection
        connection.close()


def test_pixora_runs_no_health_check_before_a_request_s_first_query(pixora_connection_outside_a_transaction):
    assert pixora_connection_outside_a_transaction.settings_dict["CONN_HEALTH_CHECKS"] is False


def test_session_row_retries_once_on_a_held_connection_the_server_killed(
    pixora_on_postgres, pixora_connection_outside_a_transaction
):
    connection = pixora_connection_outside_a_transaction
    row = pixora_on_postgres.insert()
    assert session_row(session_id=row["id"]) is not None
    killed_pid = connection.connection.get_backend_pid()
    pixora_on_postgres.execute("SELECT pg_terminate_backend(%s)", (killed_pid,))

    with CaptureQueriesContext(connection) as queries:
        values = session_row(session_id=row["id"])

    assert values is not None
    assert values["id"] == row["id"]
    assert connection.connection.get_backend_pid() != killed_pid
    assert [q["sql"] for q in queries] == [queries[0]["sql"]] * 2  # the failed query, then the retry


def test_a_read_that_fails_on_a_new_connection_is_not_retried(pixora_connection_outside_a_transaction):
    calls = []

    def read(connection):
        calls.append(connection.connection)
        raise OperationalError("could not connect")

    with pytest.raises(OperationalError):
        pixora_read(read)

    assert calls == [None]


def test_the_health_check_reconnects_once_when_the_held_connection_was_killed(
    pixora_on_postgres, pixora_connection_outside_a_transaction
):
    connection = pixora_connection_outside_a_transaction
    assert database_check("pixora")() == CONNECTED
    pixora_on_postgres.execute("SELECT pg_terminate_backend(%s)", (connection.connection.get_backend_pid(),))

    assert database_check("pixora")() == CONNECTED
