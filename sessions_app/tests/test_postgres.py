"""The API, the admin and the read-only guarantees on a real PostgreSQL Pixora database."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from html import escape
from http import HTTPStatus

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sessions_app.demo import DEMO_SESSIONS
from sessions_app.models import PhotoSession, PixoraReadOnlyError
from sessions_app.selectors import session_data, session_row
from sessions_app.serializers import PhotoSessionSerializer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("pixora_on_postgres"),
    pytest.mark.django_db(databases=["default", "pixora"]),
]


@pytest.fixture(scope="module")
def unknown_status(pixora_on_postgres) -> str:
    """A status Pixora added to its enum without telling us."""
    pixora_on_postgres.execute("ALTER TYPE photo_session_status ADD VALUE IF NOT EXISTS 'archived'")
    return "archived"


@pytest.fixture
def staff_client(db) -> APIClient:
    client = APIClient()
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))
    return client


def test_connection_is_postgres_and_read_only():
    connection = connections["pixora"]
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_transaction_read_only")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE photo_sessions SET name = 'changed'",
        "DELETE FROM photo_sessions",
        "INSERT INTO photo_sessions (id, name, photographer_id, studio_id) "
        "VALUES (gen_random_uuid(), 'x', gen_random_uuid(), gen_random_uuid())",
        "CREATE TABLE intruder (id integer)",
    ],
)
def test_raw_writes_fail_even_as_a_role_that_could_write(sql, pixora_on_postgres):
    before = pixora_on_postgres.rows_digest()

    with pytest.raises(DatabaseError, match="read-only transaction"), connections["pixora"].cursor() as cursor:
        cursor.execute(sql)

    assert pixora_on_postgres.rows_digest() == before


def test_orm_writes_are_refused_and_nothing_changes(pixora_on_postgres):
    before = pixora_on_postgres.rows_digest()

    with pytest.raises(PixoraReadOnlyError):
        PhotoSession.objects.filter(facepass_enabled=True).update(facepass_enabled=False)
    with pytest.raises(PixoraReadOnlyError):
        PhotoSession.objects.all().delete()

    assert pixora_on_postgres.rows_digest() == before


def test_validate_on_postgres(pixora_on_postgres):
    session_id = str(DEMO_SESSIONS[0]["id"])

    body = APIClient().get(f"/api/v1/sessions/validate/{session_id}").json()

    assert body["valid"] is True
    assert body["session"]["name"] == DEMO_SESSIONS[0]["name"]
    assert body["session"]["settings"] == DEMO_SESSIONS[0]["settings"]


def test_unknown_enum_value_and_json_array_are_served(pixora_on_postgres, unknown_status):
    row = pixora_on_postgres.insert(status=unknown_status, settings=[1, "two", {"three": 3}], name="Ärchived 🗄")

    body = APIClient().get(f"/api/v1/sessions/{row['id']}").json()

    assert body["status"] == unknown_status
    assert body["settings"] == [1, "two", {"three": 3}]
    assert body["name"] == "Ärchived 🗄"


def test_timestamps_keep_their_instant_and_carry_an_offset(pixora_on_postgres):
    plus_five = timezone(timedelta(hours=5))
    row = pixora_on_postgres.insert(scheduled_at=datetime(2026, 9, 1, 15, 30, 15, 250000, tzinfo=plus_five))

    body = APIClient().get(f"/api/v1/sessions/{row['id']}").json()

    scheduled_at = datetime.fromisoformat(body["scheduled_at"])
    assert scheduled_at == row["scheduled_at"]
    assert scheduled_at.utcoffset() is not None


def test_batch_validate_on_postgres_is_one_query(pixora_on_postgres, settings):
    from django.test.utils import CaptureQueriesContext

    settings.SESSION_CACHE_TTL = 0
    ids = [str(row["id"]) for row in DEMO_SESSIONS] + [str(uuid.uuid4())]

    with CaptureQueriesContext(connections["pixora"]) as queries:
        body = APIClient().post("/api/v1/sessions/validate", {"session_ids": ids}, format="json").json()

    assert [body["results"][i]["valid"] for i in ids] == [r["facepass_enabled"] for r in DEMO_SESSIONS] + [False]
    assert len(queries) == 1


def test_admin_lists_searches_and_filters_on_the_enum(staff_client, pixora_on_postgres, unknown_status):
    archived = pixora_on_postgres.insert(status=unknown_status, name="Filter me archived")

    listing = staff_client.get("/admin/sessions_app/photosession/")
    by_status = staff_client.get(f"/admin/sessions_app/photosession/?status={unknown_status}")
    by_bogus_status = staff_client.get("/admin/sessions_app/photosession/?status=no-such-value")
    by_flag = staff_client.get("/admin/sessions_app/photosession/?facepass_enabled__exact=0")
    by_name = staff_client.get("/admin/sessions_app/photosession/?q=Filter+me")
    by_id = staff_client.get(f"/admin/sessions_app/photosession/?q={archived['id']}")

    assert listing.status_code == HTTPStatus.OK
    assert escape(DEMO_SESSIONS[0]["name"]) in listing.content.decode()
    assert f"?status={unknown_status}" in listing.content.decode()
    assert "Filter me archived" in by_status.content.decode()
    assert escape(DEMO_SESSIONS[0]["name"]) not in by_status.content.decode()
    assert by_bogus_status.status_code == HTTPStatus.OK
    assert "Filter me archived" not in by_bogus_status.content.decode()
    assert escape(DEMO_SESSIONS[1]["name"]) in by_flag.content.decode()
    assert escape(DEMO_SESSIONS[0]["name"]) not in by_flag.content.decode()
    assert "Filter me archived" in by_name.content.decode()
    assert "Filter me archived" in by_id.content.decode()


def test_admin_detail_is_read_only(staff_client, pixora_on_postgres, unknown_status):
    row = pixora_on_postgres.insert(status=unknown_status, settings={"k": "v"})
    before = pixora_on_postgres.rows_digest()
    url = f"/admin/sessions_app/photosession/{row['id']}/change/"

    page = staff_client.get(url)
    post = staff_client.post(url, {"name": "changed"})
    delete = staff_client.post(f"/admin/sessions_app/photosession/{row['id']}/delete/", {"post": "yes"})
    add = staff_client.get("/admin/sessions_app/photosession/add/")

    assert page.status_code == HTTPStatus.OK
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert add.status_code == HTTPStatus.FORBIDDEN
    assert pixora_on_postgres.rows_digest() == before


def test_session_data_is_what_the_serializer_shows_on_postgres(pixora_on_postgres, unknown_status):
    row = pixora_on_postgres.insert(
        status=unknown_status,
        settings={"nested": [1, 2.5, None]},
        scheduled_at=datetime(2026, 7, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-3))),
        service_package_id=uuid.uuid4(),
    )
    session = PhotoSession.objects.get(id=row["id"])

    assert session_data(session) == PhotoSessionSerializer(session).data


def test_session_row_on_postgres_runs_the_orm_query(pixora_on_postgres, unknown_status):
    row = pixora_on_postgres.insert(status=unknown_status, settings=["x", 1])

    with CaptureQueriesContext(connections["pixora"]) as orm_queries:
        expected = PhotoSession.objects.get(id=row["id"])
    with CaptureQueriesContext(connections["pixora"]) as queries:
        values = session_row(session_id=row["id"])

    assert [q["sql"] for q in queries] == [q["sql"] for q in orm_queries]
    assert values is not None
    assert session_data(values) == session_data(expected)


def test_session_row_on_postgres_holds_the_model_s_values(pixora_on_postgres, unknown_status):
    row = pixora_on_postgres.insert(
        status=unknown_status,
        settings={"nested": [1, 2.5, None]},
        scheduled_at=datetime(2026, 7, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-3))),
        service_package_id=uuid.uuid4(),
    )
    expected = PhotoSession.objects.get(id=row["id"])

    values = session_row(session_id=row["id"])

    assert values == {f.attname: getattr(expected, f.attname) for f in PhotoSession._meta.fields}
    assert session_data(values) == PhotoSessionSerializer(expected).data
    assert session_row(session_id=uuid.uuid4()) is None
