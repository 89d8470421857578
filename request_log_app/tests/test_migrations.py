"""The request log moved from sso_app to its own app: its rows, and the grants of read_logs, come along."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("sso_app", "0002_service_clients_audit"), ("request_log_app", None)]
AFTER: list[tuple[str, str | None]] = [
    ("sso_app", "0003_request_log_moves_out"),
    ("request_log_app", "0002_own_table_and_time_id_index"),
]


def migrate(targets: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_rows_and_read_logs_grants_survive_the_move():
    migrate(BEFORE)
    reader = User.objects.create_user("reader")
    # As the old schema had it: the permission on the request log's content type, in sso_app.
    permission = Permission.objects.get(codename="read_logs")
    assert (permission.content_type.app_label, permission.content_type.model) == ("sso_app", "requestlogentry")
    reader.user_permissions.add(permission)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sso_app_requestlogentry (pod, created_at, method, path, url_name, status, duration_ms,"
            " request_id) VALUES ('pod-a', '2026-12-01 10:00:00', 'GET', '/x', 'session-validate', 200, 1.5, 'kept')"
        )

    migrate(AFTER)

    from request_log_app.models import RequestLogEntry

    assert list(RequestLogEntry.objects.values_list("request_id", flat=True)) == ["kept"]
    ContentType.objects.clear_cache()
    reader = User.objects.get(pk=reader.pk)
    assert reader.has_perm("sso_app.read_logs")
    # Nothing left stale for remove_stale_contenttypes to delete, with the grants hanging off it.
    assert Permission.objects.get(codename="read_logs").content_type.model == "ssotoken"
    assert ContentType.objects.get_for_model(RequestLogEntry).app_label == "request_log_app"
    assert not ContentType.objects.filter(app_label="sso_app", model="requestlogentry").exists()
    assert "sso_app_requestlogentry" not in connection.introspection.table_names()
