from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from sessions_app.models import PhotoSession
from sessions_app.selectors import session_data, session_row, validation_of
from sessions_app.serializers import PhotoSessionSerializer

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {
            "name": 'Ünïcødé 名前 🎉 "quoted" <tag>',
            "description": "",
            "status": "a-status-pixora-added-later",
            "settings": {"nested": {"list": [1, 2.5, None, "x"]}},
            "scheduled_at": datetime(2026, 7, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "completed_at": datetime(2026, 7, 1, 18, 0, tzinfo=UTC),
            "service_package_id": uuid.uuid4(),
            "facepass_enabled": False,
        },
        {"settings": ["a", "json", "array"], "description": None, "service_package_id": None},
    ],
)
def test_session_data_is_what_the_serializer_shows(pixora, fields):
    row = pixora.insert(**fields)
    session = PhotoSession.objects.get(id=row["id"])

    assert session_data(session) == PhotoSessionSerializer(session).data
    assert list(session_data(session)) == list(PhotoSessionSerializer(session).data)


@pytest.mark.parametrize(
    "fields",
    [
        {"settings": {"a": [1, None]}, "service_package_id": uuid.uuid4(), "facepass_enabled": False},
        {"settings": None, "description": None, "scheduled_at": datetime(2026, 7, 1, 12, tzinfo=UTC)},
    ],
)
def test_session_row_holds_the_model_s_values_from_the_orm_s_query(pixora, fields):
    row = pixora.insert(**fields)

    with CaptureQueriesContext(connections["pixora"]) as orm_queries:
        expected = PhotoSession.objects.get(id=row["id"])
    with CaptureQueriesContext(connections["pixora"]) as queries:
        values = session_row(session_id=row["id"])

    assert [q["sql"] for q in queries] == [q["sql"] for q in orm_queries]
    assert values == {f.attname: getattr(expected, f.attname) for f in PhotoSession._meta.fields}
    assert session_data(values) == PhotoSessionSerializer(expected).data
    assert validation_of(values) == validation_of(expected)


def test_session_row_of_an_unknown_id_is_none():
    assert session_row(session_id=uuid.uuid4()) is None
