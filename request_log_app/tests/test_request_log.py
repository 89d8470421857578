from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from unittest import mock

import psycopg2
import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from request_log_app import writer
from request_log_app.models import RequestLogEntry
from request_log_app.writer import BUFFER, PendingEntry, RequestLogBuffer
from sessions_app.demo import DEMO_SESSIONS
from sso_app.tests.conftest import bearer
from testing.postgres import scratch_database
from testing.services import base_environment, manage

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

ENABLED_ID = str(DEMO_SESSIONS[0]["id"])


def pending(pod: str = "pod-a", minutes_ago: float = 0, **fields) -> PendingEntry:
    values = {
        "pod": pod,
        "created_at": timezone.now() - timedelta(minutes=minutes_ago),
        "method": "GET",
        "path": "/api/v1/sessions/validate/x",
        "url_name": "session-validate",
        "status": 200,
        "duration_ms": 1.5,
        "request_id": "req",
    }
    return PendingEntry(**{**values, **fields})


def entry(pod: str = "pod-a", minutes_ago: float = 0, **fields) -> RequestLogEntry:
    return RequestLogEntry(**pending(pod, minutes_ago, **fields)._asdict())


def test_session_validations_are_recorded_with_pod_status_duration_and_request_id(api, settings):
    settings.POD_NAME = "Pod-A"  # each test client loads the middleware afresh, which reads it

    api.get(f"/api/v1/sessions/validate/{ENABLED_ID}", HTTP_X_REQUEST_ID="req-1")
    api.post("/api/v1/sessions/validate", {"session_ids": [ENABLED_ID]}, format="json", HTTP_X_REQUEST_ID="req-2")
    api.get("/api/v1/sessions/validate/not-a-uuid", HTTP_X_REQUEST_ID="req-3")
    api.get(f"/api/v1/sessions/{ENABLED_ID}")  # not a validation: not recorded
    api.get("/api/healthz/")

    assert BUFFER.flush() == 3
    rows = {row.request_id: row for row in RequestLogEntry.objects.all()}
    assert set(rows) == {"req-1", "req-2", "req-3"}
    assert (rows["req-1"].method, rows["req-1"].status, rows["req-1"].url_name) == ("GET", 200, "session-validate")
    assert rows["req-1"].path == f"/api/v1/sessions/validate/{ENABLED_ID}"
    assert (rows["req-2"].method, rows["req-2"].url_name) == ("POST", "sessions-validate-many")
    assert rows["req-3"].status == HTTPStatus.BAD_REQUEST
    assert all(row.duration_ms > 0 for row in rows.values())
    assert {row.pod for row in rows.values()} == {"pod-a"}


def test_recording_never_fails_the_request(api):
    with mock.patch.object(BUFFER, "append", side_effect=RuntimeError("broken")):
        response = api.get(f"/api/v1/sessions/validate/{ENABLED_ID}")

    assert response.status_code == HTTPStatus.OK


def test_the_buffer_keeps_the_newest_entries_when_full():
    buffer = RequestLogBuffer(max_entries=3, background=False)
    for number in range(5):
        buffer.append(pending(request_id=str(number)))

    assert [item.request_id for item in buffer.entries] == ["2", "3", "4"]
    assert buffer.dropped == 2


def test_a_failed_write_is_retried_then_dropped_without_raising(caplog):
    buffer = RequestLogBuffer(background=False)
    buffer.append(pending(request_id="kept"))
    failing = mock.patch.object(writer, "entries_write", side_effect=OperationalError("down"))

    with failing, caplog.at_level(logging.WARNING, logger="request_log_app.writer"):
        assert buffer.flush() == 0
    assert buffer.flush() == 1  # the database is back: the held batch is written
    assert RequestLogEntry.objects.get().request_id == "kept"

    buffer.append(pending(request_id="lost"))
    with failing, caplog.at_level(logging.WARNING, logger="request_log_app.writer"):
        for _ in range(writer.FLUSH_MAX_ATTEMPTS):
            assert buffer.flush() == 0
    assert buffer.flush() == 0
    assert buffer.dropped == 1
    assert "dropped 1 entries" in caplog.text


def test_the_background_writer_flushes_within_a_second(transactional_db):
    buffer = RequestLogBuffer(background=True)
    buffer.append(pending(request_id="background"))
    try:
        deadline = timezone.now() + timedelta(seconds=5)
        while not RequestLogEntry.objects.filter(request_id="background").exists():
            assert timezone.now() < deadline, "the writer did not flush"
            time.sleep(0.05)
        assert len(buffer.entries) == 0
    finally:
        buffer.stop()
    assert buffer._thread is not None
    assert not buffer._thread.is_alive()


def test_prune_deletes_entries_older_than_the_retention(settings):
    settings.REQUEST_LOG_RETENTION_DAYS = 14
    RequestLogEntry.objects.bulk_create(
        [entry(request_id="old", minutes_ago=15 * 24 * 60), entry(request_id="new", minutes_ago=13 * 24 * 60)]
    )

    call_command("prune_request_log", stdout=mock.Mock())

    assert list(RequestLogEntry.objects.values_list("request_id", flat=True)) == ["new"]
    call_command("prune_request_log", "--days", "0", stdout=mock.Mock())
    assert not RequestLogEntry.objects.exists()


@pytest.fixture
def log_rows() -> list[RequestLogEntry]:
    return RequestLogEntry.objects.bulk_create(
        [entry("pod-a", minutes_ago=minutes, request_id=f"a{minutes}") for minutes in range(5)]
        + [entry("pod-b", request_id="b0")]
    )


def test_logs_answer_the_pods_entries_newest_first(api, reader, login, log_rows):
    response = api.get("/api/v1/logs/pod-a", **bearer(login("reader")))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "success"
    assert body["pod_name"] == "pod-a"
    assert [item["request_id"] for item in body["entries"]] == ["a0", "a1", "a2", "a3", "a4"]
    assert set(body["entries"][0]) == {
        "id",
        "pod",
        "time",
        "method",
        "path",
        "url_name",
        "status",
        "duration_ms",
        "request_id",
    }
    assert body["next_before"] is None


def test_logs_page_with_limit_and_before(api, reader, login, log_rows):
    headers = bearer(login("reader"))

    first = api.get("/api/v1/logs/pod-a?limit=2", **headers).json()
    second = api.get("/api/v1/logs/pod-a", {"limit": 2, "before": first["next_before"]}, **headers).json()

    assert [item["request_id"] for item in first["entries"]] == ["a0", "a1"]
    assert [item["request_id"] for item in second["entries"]] == ["a2", "a3"]


def test_logs_page_by_time_and_id_so_entries_sharing_a_timestamp_are_neither_skipped_nor_repeated(api, reader, login):
    same_time = timezone.now() - timedelta(minutes=1)
    RequestLogEntry.objects.bulk_create(
        [entry("pod-c", created_at=same_time, request_id=f"c{number}") for number in range(5)]
        + [entry("pod-c", minutes_ago=2, request_id="older")]
    )
    headers = bearer(login("reader"))

    seen: list[str] = []
    query: dict[str, object] = {"limit": 2}
    for _ in range(10):
        page = api.get("/api/v1/logs/pod-c", query, **headers).json()
        seen += [item["request_id"] for item in page["entries"]]
        if page["next_before"] is None:
            break
        query = {"limit": 2, "before": page["next_before"], "before_id": page["next_before_id"]}

    assert sorted(seen[:5]) == [f"c{number}" for number in range(5)]
    assert seen[5:] == ["older"]


def test_logs_pod_names_are_case_insensitive(api, reader, login, log_rows):
    body = api.get("/api/v1/logs/POD-A", **bearer(login("reader"))).json()

    assert body["pod_name"] == "pod-a"
    assert len(body["entries"]) == 5


@pytest.mark.parametrize(
    "pod",
    ["-pod", "pod-", "pod_a", "pod.a", "a" * 64, "pöd", "pod%20a", "%27%20OR%201%3D1"],
)
def test_logs_refuse_pod_names_that_are_not_dns_labels(api, reader, login, pod):
    response = api.get(f"/api/v1/logs/{pod}", **bearer(login("reader")))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "DNS label" in response.json()["detail"]


@pytest.mark.parametrize("pod", ["a", "a" * 63, "pod-7f9c-x2", "0"])
def test_logs_accept_dns_labels(api, reader, login, pod):
    assert api.get(f"/api/v1/logs/{pod}", **bearer(login("reader"))).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=1001",
        "limit=-1",
        "limit=abc",
        "limit=",
        "limit=1e3",
        "before=yesterday",
        "before=2026-13-01",
        "before=",
        "before_id=5",
        "before=2026-01-01T00:00:00Z&before_id=0",
        "before=2026-01-01T00:00:00Z&before_id=x",
    ],
)
def test_logs_refuse_bad_limit_or_before(api, reader, login, query):
    response = api.get(f"/api/v1/logs/pod-a?{query}", **bearer(login("reader")))

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_logs_without_a_token_are_a_401(api, log_rows):
    response = api.get("/api/v1/logs/pod-a")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_logs_without_the_permission_are_a_403(api, make_user, login, log_rows):
    make_user("plain")

    response = api.get("/api/v1/logs/pod-a", **bearer(login("plain")))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_logs_are_readable_by_a_superuser(api, make_user, login, log_rows):
    admin = make_user("boss")
    admin.is_superuser = True
    admin.save()

    assert api.get("/api/v1/logs/pod-a", **bearer(login("boss"))).status_code == HTTPStatus.OK


def test_logs_refuse_a_revoked_token(api, reader, login):
    token = login("reader")
    api.post("/api/v1/auth/logout", **bearer(token))

    assert api.get("/api/v1/logs/pod-a", **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED


def test_proxied_pixora_calls_are_recorded_even_when_they_fail(api, settings):
    settings.MAIN_API_URL = ""

    response = api.get(f"/api/v1/remote-services/{ENABLED_ID}", HTTP_X_REQUEST_ID="proxy-1")

    assert BUFFER.flush() == 1
    row = RequestLogEntry.objects.get()
    assert (row.url_name, row.status, row.request_id) == ("remote-services", response.status_code, "proxy-1")


WRITE_THEN_EXIT = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.utils import timezone
from request_log_app.writer import BUFFER, PendingEntry
for number in range(3):
    BUFFER.append(PendingEntry(pod="p", created_at=timezone.now(), method="GET", path="/", url_name="x", status=200,
                               duration_ms=1, request_id=str(number)))
"""


def test_entries_waiting_at_process_exit_are_written(tmp_path):
    manage("shell", "-c", WRITE_THEN_EXIT, env=base_environment(tmp_path))

    with closing(sqlite3.connect(tmp_path / "facepass.sqlite3")) as database:
        (count,) = database.execute("SELECT count(*) FROM request_log_app_requestlogentry").fetchone()
    assert count == 3


COPY_AWKWARD_ROWS = """
import json, sys
from datetime import datetime, timezone
from django.core.management import call_command
call_command("migrate", verbosity=0)
from request_log_app.writer import PendingEntry, entries_write
at = datetime(2026, 12, 3, 10, 20, 30, 123456, tzinfo=timezone.utc)
entries_write([
    PendingEntry("p-1", at, "GET", '/a,b"c\\\\d\\te\\nf\\r', "", 503, 1.234567, "é✓'"),
    PendingEntry("p-2", at, "POST", "", "session-validate", 200, 0.0, ""),
])
"""


@pytest.mark.postgres
def test_on_postgresql_a_batch_is_one_copy_that_keeps_every_character(tmp_path):
    with scratch_database("facepass_test_request_log") as url:
        manage("shell", "-c", COPY_AWKWARD_ROWS, env=base_environment(tmp_path, DATABASE_URL=url))
        with closing(psycopg2.connect(url)) as database, database.cursor() as cursor:
            cursor.execute(
                "SELECT pod, created_at, method, path, url_name, status, duration_ms, request_id"
                " FROM request_log_app_requestlogentry ORDER BY pod"
            )
            rows = cursor.fetchall()

    at = datetime(2026, 12, 3, 10, 20, 30, 123456, tzinfo=UTC)
    assert rows == [
        ("p-1", at, "GET", '/a,b"c\\d\te\nf\r', "", 503, 1.234567, "é✓'"),
        ("p-2", at, "POST", "", "session-validate", 200, 0.0, ""),
    ]
