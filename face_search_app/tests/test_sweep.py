"""The periodic sweep reads Pixora's sessions (on PostgreSQL, read-only) for the ones changed since the last."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from face_search_app import services
from face_search_app.models import SessionIndex

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("pixora_on_postgres"),
    pytest.mark.django_db(databases=["default", "pixora"]),
]


def test_sweep_finds_enabled_sessions_changed_since_the_last_sweep(pixora):
    now = timezone.now()
    changed = pixora.insert(updated_at=now + timedelta(days=1), facepass_enabled=True)["id"]
    disabled = pixora.insert(updated_at=now + timedelta(days=1), facepass_enabled=False)["id"]
    SessionIndex.objects.create(session_id=disabled, status="ready")

    first = services.sessions_sweep(limit=10_000)

    assert changed in first
    assert disabled not in first
    assert SessionIndex.objects.get(session_id=disabled).disabled_at is not None
    later = pixora.insert(updated_at=now + timedelta(days=2), facepass_enabled=True)["id"]
    second = services.sessions_sweep(limit=10_000)
    assert later in second
    assert changed not in second
    assert services.sessions_sweep(limit=10_000) == []
