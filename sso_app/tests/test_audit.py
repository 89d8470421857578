"""The audit trail: who signed in, failed to, signed out, or changed a service client; never a secret."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from sso_app.models import AuditEvent
from sso_app.tests.conftest import PASSWORD, bearer

pytestmark = pytest.mark.django_db


def events() -> list[tuple[str, str, str | None, str]]:
    return list(AuditEvent.objects.order_by("pk").values_list("kind", "username", "ip", "detail"))


def test_sign_in_failure_and_sign_outs_are_recorded_with_who_and_from_where(api, reader, login):
    api.post("/api/v1/auth/login", {"username": "reader", "password": "wrong"}, format="json", REMOTE_ADDR="10.0.0.9")
    token = login("reader")
    api.post("/api/v1/auth/logout", **bearer(token))
    api.post("/api/v1/auth/logout-all", **bearer(login("reader")))

    assert events() == [
        ("sign_in_failed", "reader", "10.0.0.9", "password"),
        ("sign_in", "reader", "127.0.0.1", "password"),
        ("sign_out", "reader", "127.0.0.1", ""),
        ("sign_in", "reader", "127.0.0.1", "password"),
        ("sign_out_everywhere", "reader", "127.0.0.1", "1 tokens revoked"),
    ]
    assert AuditEvent.objects.filter(kind="sign_in", user=reader).count() == 2


def test_a_failed_sign_in_for_no_account_keeps_the_name_tried_but_never_the_password(api):
    api.post("/api/v1/auth/login", {"username": "nobody", "password": PASSWORD}, format="json")

    event = AuditEvent.objects.get()
    assert (event.kind, event.username, event.user) == ("sign_in_failed", "nobody", None)
    assert PASSWORD not in str(AuditEvent.objects.values().get())


def test_sign_in_with_an_emailed_code_is_recorded_and_a_wrong_code_too(api, reader):
    api.post("/api/v1/auth/request-login-token", {"email": reader.email}, format="json")
    code = mail.outbox[0].body.split("code is ")[1].split(".")[0]

    wrong = api.post("/api/v1/auth/login-token", {"email": reader.email, "code": "ZZZZZ-ZZZZZ"}, format="json")
    right = api.post("/api/v1/auth/login-token", {"email": reader.email, "code": code}, format="json")

    assert (wrong.status_code, right.status_code) == (HTTPStatus.UNAUTHORIZED, HTTPStatus.OK)
    assert [event[:2] + (event[3],) for event in events()] == [
        ("sign_in_failed", reader.email, "email code"),
        ("sign_in", "reader", "email code"),
    ]
    assert code not in str(list(AuditEvent.objects.values()))
    assert right.json()["token"] not in str(list(AuditEvent.objects.values()))


def test_the_admin_lists_the_trail_read_only(client, reader, login, make_user):
    login("reader")
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)

    listing = client.get("/admin/sso_app/auditevent/")
    event = AuditEvent.objects.get()

    assert listing.status_code == HTTPStatus.OK
    assert "signed in" in listing.content.decode()
    assert client.get("/admin/sso_app/auditevent/add/").status_code == HTTPStatus.FORBIDDEN
    assert client.post(f"/admin/sso_app/auditevent/{event.pk}/delete/").status_code == HTTPStatus.FORBIDDEN


def test_old_events_are_pruned_after_the_retention(api, reader, login, settings):
    settings.SSO_AUDIT_RETENTION_DAYS = 30
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        login("reader")
    login("reader")

    output = StringIO()
    call_command("prune_sso_audit", stdout=output)

    assert "Deleted 1 audit events" in output.getvalue()
    assert AuditEvent.objects.count() == 1
