"""Pixora's database is never written: not through the router, the ORM, raw SQL, or a migration."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connections

from sessions_app.demo import DEMO_SESSIONS, session_row
from sessions_app.models import PhotoSession, PixoraReadOnlyError
from sessions_app.routers import PixoraRouter

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])


def test_router_reads_photo_sessions_from_pixora():
    assert PixoraRouter().db_for_read(PhotoSession) == "pixora"
    assert PhotoSession.objects.count() >= len(DEMO_SESSIONS)


def test_router_leaves_other_models_to_default():
    from django.contrib.auth.models import User

    assert PixoraRouter().db_for_read(User) is None
    assert PixoraRouter().db_for_write(User) is None


@pytest.mark.parametrize("app_label", ["sessions_app", "auth", "contenttypes"])
def test_router_never_migrates_pixora(app_label):
    assert PixoraRouter().allow_migrate("pixora", app_label) is False


@pytest.mark.parametrize(
    "write",
    [
        lambda: PhotoSession(**session_row()).save(),
        lambda: PhotoSession.objects.create(**session_row()),
        lambda: PhotoSession.objects.bulk_create([PhotoSession(**session_row())]),
        lambda: PhotoSession.objects.filter(id=DEMO_SESSIONS[0]["id"]).update(name="changed"),
        lambda: PhotoSession.objects.filter(id=DEMO_SESSIONS[0]["id"]).delete(),
        lambda: PhotoSession.objects.get(id=DEMO_SESSIONS[0]["id"]).delete(),
        lambda: PhotoSession.objects.update_or_create(id=DEMO_SESSIONS[0]["id"], defaults={"name": "x"}),
    ],
    ids=["save", "create", "bulk_create", "update", "queryset-delete", "instance-delete", "update_or_create"],
)
def test_orm_writes_are_refused(write, pixora):
    before = pixora.count()

    with pytest.raises(PixoraReadOnlyError, match="read-only|never writes"):
        write()

    assert pixora.count() == before
    assert PhotoSession.objects.get(id=DEMO_SESSIONS[0]["id"]).name == DEMO_SESSIONS[0]["name"]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE photo_sessions SET name = 'changed'",
        "DELETE FROM photo_sessions",
        "CREATE TABLE intruder (id integer)",
        "DROP TABLE photo_sessions",
    ],
)
def test_raw_sql_writes_fail_on_the_connection_itself(sql, pixora):
    before = pixora.count()

    with pytest.raises(DatabaseError), connections["pixora"].cursor() as cursor:
        cursor.execute(sql)

    assert pixora.count() == before


def test_writes_through_using_pixora_fail_too(pixora):
    from django.contrib.auth.models import Group

    with pytest.raises(DatabaseError):
        Group.objects.using("pixora").create(name=f"intruder-{uuid.uuid4()}")


def test_migrate_refuses_the_pixora_database(pixora):
    with pytest.raises(CommandError, match="never migrated"):
        call_command("migrate", database="pixora", verbosity=0)

    with connections["pixora"].cursor() as cursor:
        tables = connections["pixora"].introspection.table_names(cursor)
    assert tables == ["photo_sessions"]
