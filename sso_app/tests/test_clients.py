from __future__ import annotations

import json
import re
from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from sso_app.models import AuditEvent, ServiceClient
from sso_app.services import client_authenticate, client_create, client_secret_rotate, token_digest

pytestmark = pytest.mark.django_db


def command_json(*args: str) -> dict[str, str]:
    output = StringIO()
    call_command(*args, stdout=output)
    printed: dict[str, str] = json.loads(output.getvalue())
    return printed


def test_a_created_client_authenticates_with_its_secret_and_only_its_hash_is_stored():
    credentials = client_create(name="wiki-proxy")

    client = ServiceClient.objects.get(client_id=credentials.client_id)
    assert client_authenticate(client_id=credentials.client_id, client_secret=credentials.client_secret) == client
    assert client.secret_digest == token_digest(credentials.client_secret)
    assert credentials.client_secret not in str(ServiceClient.objects.filter(pk=client.pk).values().get())
    assert client_authenticate(client_id=credentials.client_id, client_secret=credentials.client_secret + "x") is None
    assert client_authenticate(client_id="fpc_unknown", client_secret=credentials.client_secret) is None


def test_a_disabled_client_is_refused():
    credentials = client_create(name="old-service")
    ServiceClient.objects.filter(client_id=credentials.client_id).update(enabled=False)

    assert client_authenticate(client_id=credentials.client_id, client_secret=credentials.client_secret) is None


def test_while_rotating_both_secrets_work_and_the_old_one_stops_at_the_end_of_the_overlap():
    old = client_create(name="kong")
    client = ServiceClient.objects.get(client_id=old.client_id)

    new = client_secret_rotate(client=client, overlap=timedelta(hours=1))

    assert new.client_id == old.client_id and new.client_secret != old.client_secret
    assert client_authenticate(client_id=old.client_id, client_secret=new.client_secret) is not None
    assert client_authenticate(client_id=old.client_id, client_secret=old.client_secret) is not None
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert client_authenticate(client_id=old.client_id, client_secret=old.client_secret) is None
        assert client_authenticate(client_id=old.client_id, client_secret=new.client_secret) is not None


def test_a_second_rotation_retires_the_oldest_secret_so_at_most_two_are_ever_valid():
    first = client_create(name="envoy")
    client = ServiceClient.objects.get(client_id=first.client_id)
    second = client_secret_rotate(client=client, overlap=timedelta(hours=1))

    third = client_secret_rotate(client=client, overlap=timedelta(hours=1))

    valid = [
        secret
        for secret in (first.client_secret, second.client_secret, third.client_secret)
        if client_authenticate(client_id=first.client_id, client_secret=secret) is not None
    ]
    assert valid == [second.client_secret, third.client_secret]


def test_rotating_without_overlap_ends_the_old_secret_at_once():
    old = client_create(name="nginx")
    client = ServiceClient.objects.get(client_id=old.client_id)

    client_secret_rotate(client=client, overlap=timedelta(0))

    assert client_authenticate(client_id=old.client_id, client_secret=old.client_secret) is None


def test_the_create_command_prints_the_credentials_once_as_json():
    printed = command_json("sso_client_create", "oauth2-proxy")

    assert set(printed) == {"client_id", "client_secret", "name"}
    assert printed["name"] == "oauth2-proxy"
    assert re.fullmatch(r"fpc_[A-Za-z0-9_-]{16}", printed["client_id"])
    assert client_authenticate(client_id=printed["client_id"], client_secret=printed["client_secret"]) is not None
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.CLIENT_CREATED)
    assert event.client is not None
    assert event.client.client_id == printed["client_id"]
    assert printed["client_secret"] not in str(AuditEvent.objects.values().get())


def test_the_create_command_refuses_a_name_in_use_or_empty():
    command_json("sso_client_create", "grafana")

    with pytest.raises(CommandError, match="exists"):
        call_command("sso_client_create", "grafana", stdout=StringIO())
    with pytest.raises(CommandError, match="1 to 100"):
        call_command("sso_client_create", "  ", stdout=StringIO())
    assert ServiceClient.objects.count() == 1


def test_the_rotate_command_prints_a_new_secret_and_keeps_the_old_one_for_the_overlap(settings):
    settings.SSO_CLIENT_SECRET_OVERLAP_HOURS = 2
    old = command_json("sso_client_create", "traefik")

    new = command_json("sso_client_rotate", "traefik")

    client = ServiceClient.objects.get()
    assert new["client_id"] == old["client_id"]
    assert client_authenticate(client_id=old["client_id"], client_secret=new["client_secret"]) == client
    assert client_authenticate(client_id=old["client_id"], client_secret=old["client_secret"]) == client
    assert client.previous_secret_expires_at is not None
    assert timedelta(hours=1, minutes=59) < client.previous_secret_expires_at - timezone.now() <= timedelta(hours=2)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.CLIENT_ROTATED, client=client).count() == 1


def test_the_rotate_command_refuses_an_unknown_client_and_a_negative_overlap():
    command_json("sso_client_create", "known")

    with pytest.raises(CommandError, match="No service client"):
        call_command("sso_client_rotate", "unknown", stdout=StringIO())
    with pytest.raises(CommandError, match="negative"):
        call_command("sso_client_rotate", "known", "--overlap-hours", "-1", stdout=StringIO())


def test_the_admin_creates_a_client_and_shows_its_secret_once(staff_client):
    response = staff_client.post("/admin/sso_app/serviceclient/add/", {"name": "jenkins"})

    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    client = ServiceClient.objects.get(name="jenkins")
    shown = re.search(r"Client secret</th><td><code>([A-Za-z0-9_-]+)</code>", page)
    assert shown is not None
    secret = shown.group(1)
    assert client.client_id in page
    assert client_authenticate(client_id=client.client_id, client_secret=secret) == client
    detail = staff_client.get(f"/admin/sso_app/serviceclient/{client.pk}/change/").content.decode()
    assert secret not in detail and client.secret_digest not in detail
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.CLIENT_CREATED).username == "admin"


def test_the_admin_rotates_one_client_at_a_time_and_can_disable_but_not_delete(staff_client):
    first, second = client_create(name="a"), client_create(name="b")
    client = ServiceClient.objects.get(client_id=first.client_id)
    changelist = "/admin/sso_app/serviceclient/"

    both = staff_client.post(
        changelist, {"action": "rotate_secret", "_selected_action": [c.pk for c in ServiceClient.objects.all()]}
    )
    one = staff_client.post(changelist, {"action": "rotate_secret", "_selected_action": [client.pk]})
    disabled = staff_client.post(f"{changelist}{client.pk}/change/", {"enabled": ""})

    assert both.status_code == HTTPStatus.FOUND
    shown = re.search(r"Client secret</th><td><code>([A-Za-z0-9_-]+)</code>", one.content.decode())
    assert shown is not None
    new_secret = shown.group(1)
    assert new_secret not in (first.client_secret, second.client_secret)
    assert disabled.status_code == HTTPStatus.FOUND
    assert client_authenticate(client_id=first.client_id, client_secret=new_secret) is None
    assert staff_client.get(f"{changelist}{client.pk}/delete/").status_code == HTTPStatus.FORBIDDEN
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.CLIENT_ROTATED).count() == 1
    disabling = AuditEvent.objects.get(kind=AuditEvent.Kind.CLIENT_DISABLED)
    assert (disabling.client, disabling.username) == (client, "admin")
    staff_client.post(f"{changelist}{client.pk}/change/", {"enabled": "on"})
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.CLIENT_ENABLED, client=client).count() == 1
