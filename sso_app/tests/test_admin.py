from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission

from sso_app.models import SSOToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, make_user, login):
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    login("admin")
    client.force_login(admin)
    return client


def test_tokens_are_listed_read_only_without_their_digest(staff_client):
    record = SSOToken.objects.get()

    listing = staff_client.get("/admin/sso_app/ssotoken/")
    detail = staff_client.get(f"/admin/sso_app/ssotoken/{record.pk}/change/")

    assert listing.status_code == HTTPStatus.OK
    assert detail.status_code == HTTPStatus.OK
    assert record.digest not in detail.content.decode()
    assert staff_client.get("/admin/sso_app/ssotoken/add/").status_code == HTTPStatus.FORBIDDEN


def test_staff_can_revoke_tokens(staff_client):
    record = SSOToken.objects.get()

    staff_client.post("/admin/sso_app/ssotoken/", {"action": "revoke", "_selected_action": [record.pk]})

    record.refresh_from_db()
    assert record.revoked_at is not None


def test_staff_who_may_only_view_tokens_can_not_revoke_them(client, make_user, login):
    viewer = make_user("viewer")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_ssotoken"))
    login("viewer")
    client.force_login(viewer)
    record = SSOToken.objects.get()

    client.post("/admin/sso_app/ssotoken/", {"action": "revoke", "_selected_action": [record.pk]})

    record.refresh_from_db()
    assert record.revoked_at is None
